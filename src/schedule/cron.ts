/**
 * A Schedule's `spec.schedule`, read the way Velero's cron library (robfig/cron v3,
 * "standard" parser) reads it (reference §1.3):
 *   - five fields: minute hour day-of-month month day-of-week;
 *   - descriptors `@yearly`/`@annually`, `@monthly`, `@weekly`, `@daily`/`@midnight`,
 *     `@hourly`, and `@every <Go duration>`;
 *   - an optional `CRON_TZ=<zone>` or `TZ=<zone>` prefix.
 * Field matching is croner's; `@every` is not cron, so it is computed here. Croner
 * accepts more than robfig does (`L`, `W`, `#`, day-of-week 7); those are refused, so a
 * Schedule Skiff accepts is one a Velero server accepts too. Without a prefix the zone is
 * UTC (Velero uses the server's local zone, which is UTC in its container image).
 */
import { Cron } from 'croner';
import { parseDuration } from '../util/duration.ts';
import { errorMessage, ValidationError } from '../util/errors.ts';

export interface CronSchedule {
  /** The expression as written, prefix included. */
  readonly expression: string;
  /** IANA zone the fields are read in; UTC unless a prefix names one. */
  readonly timeZone: string;
  /** The first activation strictly after `after`, or undefined if there is none. */
  next(after: Date): Date | undefined;
}

/** robfig's descriptors, as the five-field patterns they stand for. */
const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const FIELD_NAMES = ['minute', 'hour', 'day-of-month', 'month', 'day-of-week'] as const;
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const FIELD = 'spec.schedule';

/** Parses and checks a schedule expression; a ValidationError names `spec.schedule` and what is wrong. */
export function parseCronSchedule(text: string): CronSchedule {
  const expression = text;
  let rest = text.trim();
  if (rest === '') throw invalid(text, 'it is empty; use a cron expression such as "0 1 * * *" or "@every 6h"');
  let timeZone = 'UTC';
  const prefix = /^(CRON_TZ|TZ)=(\S*)(?:\s+(.*))?$/s.exec(rest);
  if (prefix) {
    const zone = prefix[2] ?? '';
    if (!isTimeZone(zone)) throw invalid(text, `"${zone}" is not a time zone (use an IANA name such as Europe/Berlin)`);
    timeZone = zone;
    rest = (prefix[3] ?? '').trim();
    if (rest === '') throw invalid(text, `nothing follows the ${prefix[1] ?? ''}= prefix`);
  }
  if (rest.startsWith('@every')) return everySchedule(expression, timeZone, rest);
  if (rest.startsWith('@')) {
    const pattern = DESCRIPTORS[rest.toLowerCase()];
    if (!pattern) {
      throw invalid(text, `unknown descriptor "${rest}" (use ${Object.keys(DESCRIPTORS).join(', ')} or @every 6h)`);
    }
    return cronSchedule(expression, timeZone, pattern);
  }
  const fields = rest.split(/\s+/);
  if (fields.length !== 5) {
    throw invalid(text, `expected 5 fields (minute hour day-of-month month day-of-week), found ${fields.length}`);
  }
  fields.forEach((f, i) => checkField(text, i, f));
  // robfig reads `?` as `*`; croner would replace it with the current time.
  return cronSchedule(expression, timeZone, fields.map((f) => f.replaceAll('?', '*')).join(' '));
}

/**
 * The shortest time between two consecutive runs among the first `runs` after `from`
 * (undefined when it runs fewer than twice): what a minimum interval is checked against. A
 * cron expression repeats within its largest field, so a few hundred runs find its closest pair.
 */
export function shortestInterval(cron: CronSchedule, from: Date, runs = 200): number | undefined {
  let shortest: number | undefined;
  let previous = cron.next(from);
  for (let i = 1; previous && i < runs; i++) {
    const next = cron.next(previous);
    if (!next) break;
    const gap = next.getTime() - previous.getTime();
    if (shortest === undefined || gap < shortest) shortest = gap;
    previous = next;
  }
  return shortest;
}

function everySchedule(expression: string, timeZone: string, rest: string): CronSchedule {
  const arg = rest.slice('@every'.length).trim();
  let ms: number;
  try {
    ms = parseDuration(arg, '@every interval');
  } catch (err) {
    throw invalid(expression, errorMessage(err));
  }
  if (ms <= 0) throw invalid(expression, `the @every interval must be positive, e.g. "@every 6h"`);
  // robfig rounds intervals below a second up to one and drops fractions of a second.
  const delay = Math.max(1000, Math.floor(ms / 1000) * 1000);
  return {
    expression,
    timeZone,
    next: (after) => new Date(Math.floor(after.getTime() / 1000) * 1000 + delay),
  };
}

function cronSchedule(expression: string, timeZone: string, pattern: string): CronSchedule {
  let cron: Cron;
  try {
    // domAndDow false: day-of-month and day-of-week are ORed unless one of them is `*`, as in robfig.
    cron = new Cron(pattern, { paused: true, mode: '5-part', timezone: timeZone, domAndDow: false });
  } catch (err) {
    throw invalid(expression, errorMessage(err).replace(/^Cron\w*: /, ''));
  }
  const next = (after: Date): Date | undefined => cron.nextRun(after) ?? undefined;
  if (next(new Date(0)) === undefined) throw invalid(expression, 'it never matches a date');
  return { expression, timeZone, next };
}

/** Only robfig's grammar: numbers, `*`, `?`, ranges, steps, lists, and names in the month and weekday fields. */
function checkField(text: string, index: number, field: string): void {
  const name = FIELD_NAMES[index] ?? '';
  for (const word of field.match(/[A-Za-z]+/g) ?? []) {
    const names = index === 3 ? MONTHS : index === 4 ? DAYS : [];
    if (!names.includes(word.toUpperCase())) {
      const hint = names.length > 0 ? ` (names allowed here: ${names.join(', ')})` : '';
      throw invalid(text, `${name} field "${field}": "${word}" is not supported${hint}`);
    }
  }
  if (/[^0-9A-Za-z*?,/-]/.test(field)) {
    throw invalid(text, `${name} field "${field}": only numbers, names, *, ?, ranges (a-b), steps (/n) and lists (,)`);
  }
  if (index === 4 && (field.match(/\d+/g) ?? []).some((n) => Number(n) > 6 && !field.includes(`/${n}`))) {
    throw invalid(text, `day-of-week field "${field}": days are 0-6 (0 is Sunday)`);
  }
}

function isTimeZone(zone: string): boolean {
  if (zone === '') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function invalid(text: string, why: string): ValidationError {
  return new ValidationError(`invalid ${FIELD} "${text}": ${why}`);
}
