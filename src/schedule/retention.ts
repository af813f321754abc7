/**
 * Retention beyond TTL: a Schedule annotated `skiff.io/retain: "hourly=24,daily=7,weekly=4,monthly=12"`
 * keeps, for each rule, the newest Completed backup of each of the N most recent periods
 * (grandfather-father-son), and the union over the rules. Velero ignores the annotation, so
 * the Schedule stays a valid Velero object.
 *
 * Decisions, documented in the README:
 *   - Periods are counted among those that hold a Completed backup, not on the calendar
 *     back from now: a schedule whose backups stop succeeding never loses its last good
 *     backups by the passage of time.
 *   - A backup's time is `status.startTimestamp` (the time `restore --from-schedule` sorts
 *     by), else its creationTimestamp; periods are read in the schedule's CRON_TZ/TZ zone,
 *     else UTC. An hour is a real hour: the repeated hour of a DST change is two periods.
 *     A week starts on Monday (ISO 8601).
 *   - PartiallyFailed, Failed and FailedValidation backups are deleted once a newer
 *     Completed backup exists, and kept until then. Backups in any other phase (New,
 *     InProgress, Deleting, ...) are never touched.
 * Pure: given backups, rules and zone, it returns a decision and a reason for each. The
 * current time plays no part: only the backups' own times decide.
 */
import type { Backup } from '../api/backup.ts';
import { ValidationError } from '../util/errors.ts';

export const RETAIN_ANNOTATION = 'skiff.io/retain';

export const RETENTION_PERIODS = ['hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;
export type RetentionPeriod = (typeof RETENTION_PERIODS)[number];

export interface RetentionRule {
  period: RetentionPeriod;
  count: number;
}

/** `hourly=24,daily=7` → rules, in the order hourly..yearly; a ValidationError names the annotation. */
export function parseRetention(text: string): RetentionRule[] {
  const fail = (why: string): ValidationError =>
    new ValidationError(
      `invalid annotation ${RETAIN_ANNOTATION} "${text}": ${why} (example: "hourly=24,daily=7,weekly=4,monthly=12")`,
    );
  const parts = text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (parts.length === 0) throw fail('it names no rule');
  const rules = new Map<RetentionPeriod, number>();
  for (const part of parts) {
    const m = /^([a-z]+)\s*=\s*(\S+)$/i.exec(part);
    if (!m) throw fail(`"${part}" is not period=count`);
    const period = (m[1] ?? '').toLowerCase() as RetentionPeriod;
    if (!RETENTION_PERIODS.includes(period)) {
      throw fail(`"${m[1] ?? ''}" is not a period (use ${RETENTION_PERIODS.join(', ')})`);
    }
    if (rules.has(period)) throw fail(`${period} is given twice`);
    const count = m[2] ?? '';
    if (!/^\d+$/.test(count) || Number(count) < 1)
      throw fail(`${period}=${count}: the count must be a whole number ≥ 1`);
    rules.set(period, Number(count));
  }
  return RETENTION_PERIODS.filter((p) => rules.has(p)).map((period) => ({ period, count: rules.get(period) ?? 0 }));
}

export function formatRules(rules: readonly RetentionRule[]): string {
  return rules.map((r) => `${r.period}=${r.count}`).join(',');
}

export type RetentionAction = 'keep' | 'delete';

export interface RetentionEntry {
  name: string;
  phase: string;
  /** The time periods are computed from (RFC 3339), when the backup has one. */
  time: string | undefined;
  action: RetentionAction;
  reason: string;
}

export interface RuleOutcome {
  rule: RetentionRule;
  /** Newest first: each period this rule keeps a backup for, and that backup. */
  kept: { period: string; backup: string }[];
}

export interface RetentionPlan {
  rules: RetentionRule[];
  timeZone: string;
  /** Newest first. */
  entries: RetentionEntry[];
  outcomes: RuleOutcome[];
}

const DELETABLE_UNSUCCESSFUL = new Set(['PartiallyFailed', 'Failed', 'FailedValidation']);

export function planRetention(
  backups: readonly Backup[],
  rules: readonly RetentionRule[],
  opts: { timeZone: string },
): RetentionPlan {
  const timed = backups
    .map((b) => ({ backup: b, time: backupTime(b) }))
    .sort((a, b) => (b.time?.getTime() ?? Infinity) - (a.time?.getTime() ?? Infinity));
  const completed = timed.filter((t) => phaseOf(t.backup) === 'Completed' && t.time !== undefined);
  const keptBy = new Map<string, string[]>();
  const outcomes: RuleOutcome[] = rules.map((rule) => {
    const kept: RuleOutcome['kept'] = [];
    const seen = new Set<string>();
    for (const { backup, time } of completed) {
      if (kept.length >= rule.count) break;
      const period = periodKey(rule.period, time ?? new Date(0), opts.timeZone);
      if (seen.has(period)) continue;
      seen.add(period);
      const name = backup.metadata.name ?? '';
      kept.push({ period, backup: name });
      keptBy.set(name, [...(keptBy.get(name) ?? []), `${rule.period} ${period}`]);
    }
    return { rule, kept };
  });
  const newestCompleted = completed[0]?.time;
  const entries = timed.map(({ backup, time }): RetentionEntry => {
    const name = backup.metadata.name ?? '';
    const phase = phaseOf(backup);
    const base = { name, phase, time: time?.toISOString() };
    const by = keptBy.get(name);
    if (by) return { ...base, action: 'keep', reason: `newest Completed backup of ${by.join(', ')}` };
    if (phase === 'Completed') {
      if (!time) return { ...base, action: 'keep', reason: 'has no start or creation time' };
      return {
        ...base,
        action: 'delete',
        reason: `not the newest Completed backup of any period kept by ${formatRules(rules)}`,
      };
    }
    if (DELETABLE_UNSUCCESSFUL.has(phase)) {
      if (newestCompleted && time && time < newestCompleted) {
        return { ...base, action: 'delete', reason: `${phase} and older than the newest Completed backup` };
      }
      return { ...base, action: 'keep', reason: `${phase}, but no newer Completed backup exists yet` };
    }
    return { ...base, action: 'keep', reason: `${phase}: only finished backups are deleted` };
  });
  return { rules: [...rules], timeZone: opts.timeZone, entries, outcomes };
}

function phaseOf(b: Backup): string {
  if (b.metadata.deletionTimestamp) return 'Deleting';
  return b.status?.phase || 'New';
}

function backupTime(b: Backup): Date | undefined {
  const text = b.status?.startTimestamp ?? b.metadata.creationTimestamp;
  if (!text) return undefined;
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  offset: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function localParts(d: Date, timeZone: string): LocalParts {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      hourCycle: 'h23',
      timeZoneName: 'longOffset',
    });
    formatters.set(timeZone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(d).map((p) => [p.type, p.value]));
  const offset = (parts.timeZoneName ?? 'GMT').replace(/^GMT/, '') || '+00:00';
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    offset,
  };
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** The period a time falls in, as a readable key: `2025-03-30T02+01:00`, `2025-03-30`, `2025-W13`, `2025-03`, `2025`. */
export function periodKey(period: RetentionPeriod, d: Date, timeZone: string): string {
  const p = localParts(d, timeZone);
  const date = `${p.year}-${pad(p.month)}-${pad(p.day)}`;
  switch (period) {
    case 'hourly':
      // The offset tells apart the two occurrences of the hour repeated when DST ends.
      return `${date}T${pad(p.hour)}${p.offset}`;
    case 'daily':
      return date;
    case 'weekly': {
      const { year, week } = isoWeek(p.year, p.month, p.day);
      return `${year}-W${pad(week)}`;
    }
    case 'monthly':
      return `${p.year}-${pad(p.month)}`;
    case 'yearly':
      return String(p.year);
  }
}

/** ISO 8601 week of a calendar date: weeks start on Monday; week 1 holds the year's first Thursday. */
function isoWeek(year: number, month: number, day: number): { year: number; week: number } {
  const d = new Date(Date.UTC(year, month - 1, day));
  const weekday = d.getUTCDay() || 7;
  d.setUTCDate(d.getUTCDate() + 4 - weekday);
  const weekYear = d.getUTCFullYear();
  const firstDay = Date.UTC(weekYear, 0, 1);
  return { year: weekYear, week: Math.floor((d.getTime() - firstDay) / 86_400_000 / 7) + 1 };
}

/** The plan as text: one line per rule and what it keeps, then each backup's fate. */
export function formatRetentionPlan(plan: RetentionPlan): string {
  const lines = [`Retention (${RETAIN_ANNOTATION}, periods in ${plan.timeZone}):`];
  for (const o of plan.outcomes) {
    const what = o.kept.map((k) => `${k.period}: ${k.backup}`);
    lines.push(
      `  ${o.rule.period}=${o.rule.count}: keeps ${o.kept.length} of ${o.rule.count}${what.length > 0 ? '' : ' (no Completed backups yet)'}`,
    );
    for (const w of what) lines.push(`    ${w}`);
  }
  const deleted = plan.entries.filter((e) => e.action === 'delete');
  lines.push(deleted.length === 0 ? '  Deletes: none' : '  Deletes:');
  for (const e of deleted) lines.push(`    ${e.name} (${e.reason})`);
  return lines.join('\n') + '\n';
}
