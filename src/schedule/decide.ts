/**
 * What one pass of the schedule controller does (reference §5.1), decided without touching
 * the cluster: the phase and validation errors, the one-shot skipImmediately, whether a
 * backup is due, and the Backup to create. The controller only carries it out.
 */
import { parseIncludeAppClusterResources } from '../backup/plan/app-cluster-resources.ts';
import { volumeGroupSnapshotRefusal } from '../backup/volumes/settings.ts';
import type { Backup } from '../api/backup.ts';
import { Labels } from '../api/labels.ts';
import type { Schedule, SchedulePhase } from '../api/schedule.ts';
import { validateBackupSelection } from '../selection/backup-selection.ts';
import { timestampSuffix } from '../util/clock.ts';
import { errorMessage } from '../util/errors.ts';
import { validLabelValue } from '../util/label-value.ts';
import { parseCronSchedule, type CronSchedule } from './cron.ts';
import { parseRetention, RETAIN_ANNOTATION, type RetentionRule } from './retention.ts';

/** Velero re-checks every schedule once a minute (reference §10.2 "schedule resync 1m"). */
export const SCHEDULE_RESYNC_MS = 60_000;
/** How soon to look again while a backup of the schedule is still running. */
export const IN_PROGRESS_RECHECK_MS = 10_000;

/** `-YYYYMMDDhhmmss` after the schedule's name, and Kubernetes' limit on object names. */
const BACKUP_SUFFIX_LENGTH = 15;
const MAX_NAME_LENGTH = 253;

/** Phases during which a new run is skipped (reference §5.1 step 4: Queued/ReadyToStart are not checked). */
const RUNNING_PHASES = new Set(['', 'New', 'InProgress']);

export interface ScheduleInput {
  schedule: Schedule;
  /** Backups labelled `velero.io/schedule-name=<schedule>`. */
  backups: readonly Backup[];
  now: Date;
  /** `--schedule-skip-immediately`: the value of an unset `spec.skipImmediately`. */
  skipImmediatelyDefault: boolean;
}

export type ScheduleAction =
  | { kind: 'paused' }
  | { kind: 'invalid' }
  /** Not due yet; `next` is the next run. */
  | { kind: 'wait'; next: Date }
  /** Due, but a backup of this schedule is still running. */
  | { kind: 'skip-running'; next: Date; running: string[] }
  | { kind: 'create'; next: Date; backup: Backup };

export interface ScheduleDecision {
  action: ScheduleAction;
  /** The status to write (only what changed is patched). */
  phase?: SchedulePhase;
  validationErrors: string[];
  /** Set when skipImmediately was applied this pass: lastSkipped=now and the flag reset to false. */
  skipped: boolean;
  cron?: CronSchedule;
  retention?: RetentionRule[];
  /** When to look again; at most a minute away. */
  requeueAfterMs?: number;
}

/** Parses what a schedule needs to run; every problem is listed, each naming its field. */
export function validateSchedule(schedule: Schedule): {
  errors: string[];
  cron?: CronSchedule;
  retention?: RetentionRule[];
} {
  const errors: string[] = [];
  let cron: CronSchedule | undefined;
  let retention: RetentionRule[] | undefined;
  try {
    cron = parseCronSchedule(schedule.spec.schedule);
  } catch (err) {
    errors.push(errorMessage(err));
  }
  for (const e of validateBackupSelection(schedule.spec.template)) errors.push(`spec.template: ${e}`);
  // Every backup made from it would fail validation for this: say so on the Schedule instead.
  const groupKey = schedule.spec.template.volumeGroupSnapshotLabelKey;
  if (groupKey) errors.push(`spec.template: ${volumeGroupSnapshotRefusal(groupKey)}`);
  const name = schedule.metadata.name ?? '';
  if (name.length + BACKUP_SUFFIX_LENGTH > MAX_NAME_LENGTH) {
    errors.push(
      `metadata.name: "${name}" is ${name.length} characters; backups are named <schedule>-<YYYYMMDDhhmmss>, so at most ${MAX_NAME_LENGTH - BACKUP_SUFFIX_LENGTH} fit`,
    );
  }
  const retain = schedule.metadata.annotations?.[RETAIN_ANNOTATION];
  if (retain !== undefined) {
    try {
      retention = parseRetention(retain);
    } catch (err) {
      errors.push(errorMessage(err));
    }
  }
  // Copied onto every backup (reference §5.1 step 5): a bad value would fail each one.
  const appResources = parseIncludeAppClusterResources(schedule.metadata.annotations);
  if ('problem' in appResources) errors.push(appResources.problem);
  return { errors, ...(cron ? { cron } : {}), ...(retention ? { retention } : {}) };
}

export function decideSchedule(input: ScheduleInput): ScheduleDecision {
  const { schedule, now } = input;
  // A paused schedule is not reconciled at all (reference §5.1).
  if (schedule.spec.paused) return { action: { kind: 'paused' }, validationErrors: [], skipped: false };
  const skipped = schedule.spec.skipImmediately ?? input.skipImmediatelyDefault;
  const { errors, cron, retention } = validateSchedule(schedule);
  if (errors.length > 0 || !cron) {
    return { action: { kind: 'invalid' }, phase: 'FailedValidation', validationErrors: errors, skipped };
  }
  const lastSkipped = skipped ? now : parseTime(schedule.status?.lastSkipped);
  const next = nextRun(schedule, cron, lastSkipped);
  const base = { phase: 'Enabled' as const, validationErrors: [], skipped, cron, ...(retention ? { retention } : {}) };
  if (next === undefined) return { ...base, action: { kind: 'invalid' }, requeueAfterMs: SCHEDULE_RESYNC_MS };
  // Due only once the next run has passed (reference §5.1 step 3); missed runs are not caught up.
  if (!(now.getTime() > next.getTime())) {
    return { ...base, action: { kind: 'wait', next }, requeueAfterMs: untilDue(next, now) };
  }
  const running = input.backups
    .filter((b) => RUNNING_PHASES.has(b.status?.phase ?? ''))
    .map((b) => b.metadata.name ?? '');
  if (running.length > 0) {
    return { ...base, action: { kind: 'skip-running', next, running }, requeueAfterMs: IN_PROGRESS_RECHECK_MS };
  }
  const backup = backupForSchedule(schedule, now);
  // After this run the reference becomes now, so the following one is cron.next(now).
  const following = cron.next(now);
  return {
    ...base,
    action: { kind: 'create', next, backup },
    requeueAfterMs: following ? untilDue(following, now) : SCHEDULE_RESYNC_MS,
  };
}

/** reference §5.1 step 3: from lastBackup, else creation; a later lastSkipped wins. */
export function nextRun(schedule: Schedule, cron: CronSchedule, lastSkipped?: Date): Date | undefined {
  return nextRunAfter(cron, {
    lastBackup: schedule.status?.lastBackup,
    created: schedule.metadata.creationTimestamp,
    ...(lastSkipped ? { lastSkipped } : {}),
  });
}

/** The same rule for any schedule-like object (a TenantSchedule has lastBackup and a creation time too). */
export function nextRunAfter(
  cron: CronSchedule,
  times: { lastBackup?: string | null | undefined; created?: string | null | undefined; lastSkipped?: Date },
): Date | undefined {
  let ref = parseTime(times.lastBackup) ?? parseTime(times.created) ?? new Date(0);
  if (times.lastSkipped && times.lastSkipped > ref) ref = times.lastSkipped;
  return cron.next(ref);
}

/** A second past the run (due means strictly after it), and never more than a minute. */
export function untilDue(next: Date, now: Date): number {
  return Math.min(SCHEDULE_RESYNC_MS, Math.max(1000, next.getTime() - now.getTime() + 1000));
}

function parseTime(text: string | null | undefined): Date | undefined {
  if (!text) return undefined;
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/**
 * The Backup a run creates (reference §5.1 step 5): named `<schedule>-<YYYYMMDDhhmmss>` in UTC,
 * spec = the template as written (a ttl of 0 is left for the backup controller to read as the
 * server default, as Velero's does), labels = the template's labels if the template has a
 * labels map, else the schedule's, plus `velero.io/schedule-name`; the schedule's annotations;
 * and a controller ownerReference when `useOwnerReferencesInBackup`.
 */
export function backupForSchedule(schedule: Schedule, now: Date): Backup {
  const name = schedule.metadata.name ?? '';
  const template = schedule.spec.template;
  const labels = {
    ...(template.metadata?.labels !== undefined ? template.metadata.labels : (schedule.metadata.labels ?? {})),
    [Labels.ScheduleName]: validLabelValue(name),
  };
  const annotations = schedule.metadata.annotations ?? {};
  const ownerReferences = schedule.spec.useOwnerReferencesInBackup
    ? [
        {
          apiVersion: 'velero.io/v1',
          kind: 'Schedule',
          name,
          uid: schedule.metadata.uid ?? '',
          controller: true,
        },
      ]
    : undefined;
  return {
    apiVersion: 'velero.io/v1',
    kind: 'Backup',
    metadata: {
      name: `${name}-${timestampSuffix(now)}`,
      namespace: schedule.metadata.namespace ?? '',
      labels,
      ...(Object.keys(annotations).length > 0 ? { annotations: { ...annotations } } : {}),
      ...(ownerReferences ? { ownerReferences } : {}),
    },
    spec: structuredClone(template),
  };
}
