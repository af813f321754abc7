/**
 * What one pass over a TenantSchedule does (issue 17), decided without touching the cluster.
 * The cron reading and the "next run" rule are the velero.io Schedule's (`src/schedule/`): a
 * run is due once the first activation after the last backup (or the creation) has passed, and
 * missed runs are not caught up. On top of them: the template is checked as a TenantBackup of
 * the namespace would be, and the TenantPolicy's minScheduleInterval bounds how often it fires.
 */
import { parseCronSchedule, shortestInterval, type CronSchedule } from '../../schedule/cron.ts';
import { nextRunAfter, untilDue, SCHEDULE_RESYNC_MS, IN_PROGRESS_RECHECK_MS } from '../../schedule/decide.ts';
import { isRecord } from '../../kube/object.ts';
import { timestampSuffix } from '../../util/clock.ts';
import { parseDuration } from '../../util/duration.ts';
import { errorMessage } from '../../util/errors.ts';
import { planTenantBackup } from './backup-plan.ts';
import type { TenantPolicy } from './policy.ts';

const KNOWN_FIELDS: ReadonlySet<string> = new Set(['requester', 'schedule', 'template', 'paused']);
/** `-YYYYMMDDhhmmss` after the schedule's name, and Kubernetes' limit on object names. */
const SUFFIX_LENGTH = 15;
const MAX_NAME_LENGTH = 253;

export interface TenantScheduleInput {
  name: string;
  namespace: string;
  namespaceUid: string;
  created: string | undefined;
  spec: Record<string, unknown>;
  lastBackup: string | undefined;
  policy: TenantPolicy;
  /** Names of this schedule's TenantBackups that have not finished. */
  unfinished: readonly string[];
  now: Date;
}

export type TenantScheduleDecision =
  | { kind: 'invalid'; errors: string[] }
  | { kind: 'paused' }
  | { kind: 'wait'; next: Date; requeueAfterMs: number }
  | { kind: 'skip-running'; next: Date; running: readonly string[]; requeueAfterMs: number }
  /** Create TenantBackup `backupName` with `template`; the following run is `next`. */
  | {
      kind: 'create';
      backupName: string;
      template: Record<string, unknown>;
      next: Date | undefined;
      requeueAfterMs: number;
    };

/** Every reason the schedule cannot run, each naming its field; the parsed cron when it can. */
export function validateTenantSchedule(input: TenantScheduleInput): { errors: string[]; cron?: CronSchedule } {
  const errors: string[] = [];
  const { spec, policy } = input;
  for (const key of Object.keys(spec)) {
    if (!KNOWN_FIELDS.has(key)) errors.push(`spec.${key} is not a TenantSchedule field this server acts on`);
  }
  if (input.name.length + SUFFIX_LENGTH > MAX_NAME_LENGTH) {
    errors.push(
      `metadata.name: backups are named <schedule>-<YYYYMMDDhhmmss>, so at most ${MAX_NAME_LENGTH - SUFFIX_LENGTH} characters fit`,
    );
  }
  let cron: CronSchedule | undefined;
  try {
    cron = parseCronSchedule(typeof spec.schedule === 'string' ? spec.schedule : '');
  } catch (err) {
    errors.push(errorMessage(err));
  }
  if (cron && policy.minScheduleInterval !== undefined) {
    const problem = intervalProblem(cron, policy, input.now);
    if (problem) errors.push(problem);
  }
  const template = isRecord(spec.template) ? spec.template : {};
  if ('requester' in template) errors.push('spec.template.requester: the schedule’s spec.requester is used');
  const plan = planTenantBackup(
    { namespace: input.namespace, namespaceUid: input.namespaceUid, spec: template },
    policy,
    '',
  );
  if ('errors' in plan) for (const e of plan.errors) errors.push(e.replace(/^spec\./, 'spec.template.'));
  return { errors, ...(cron ? { cron } : {}) };
}

function intervalProblem(cron: CronSchedule, policy: TenantPolicy, now: Date): string | undefined {
  let min: number;
  try {
    min = parseDuration(policy.minScheduleInterval ?? '', `TenantPolicy ${policy.name} minScheduleInterval`);
  } catch (err) {
    return errorMessage(err);
  }
  const shortest = shortestInterval(cron, now);
  if (shortest === undefined || shortest >= min) return undefined;
  return `spec.schedule "${cron.expression}" runs as often as every ${formatMs(shortest)}, more often than the minScheduleInterval ${policy.minScheduleInterval ?? ''} of TenantPolicy ${policy.name}`;
}

function formatMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${ms / 1000}s`;
}

export function decideTenantSchedule(input: TenantScheduleInput): TenantScheduleDecision {
  const { errors, cron } = validateTenantSchedule(input);
  if (errors.length > 0 || !cron) return { kind: 'invalid', errors };
  if (input.spec.paused === true) return { kind: 'paused' };
  const { now } = input;
  const next = nextRunAfter(cron, { lastBackup: input.lastBackup, created: input.created });
  if (!next) return { kind: 'invalid', errors: [`spec.schedule "${cron.expression}" has no next run`] };
  if (!(now.getTime() > next.getTime())) return { kind: 'wait', next, requeueAfterMs: untilDue(next, now) };
  // As a velero.io Schedule: a run is skipped while the previous one is still going.
  if (input.unfinished.length > 0) {
    return { kind: 'skip-running', next, running: input.unfinished, requeueAfterMs: IN_PROGRESS_RECHECK_MS };
  }
  const following = cron.next(now);
  const template = isRecord(input.spec.template) ? structuredClone(input.spec.template) : {};
  return {
    kind: 'create',
    backupName: `${input.name}-${timestampSuffix(now)}`,
    template,
    next: following,
    requeueAfterMs: following ? untilDue(following, now) : SCHEDULE_RESYNC_MS,
  };
}
