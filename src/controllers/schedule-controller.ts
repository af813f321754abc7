/**
 * Schedule controller (reference §5.1): carries out what `decideSchedule` decides — patches
 * the phase, skipImmediately and lastSkipped, creates the due Backup and records
 * lastBackup — and applies the `skiff.io/retain` retention plan through DeleteBackupRequests,
 * which the delete-backup controller carries out (storage first, then the Backup).
 */
import { Kinds, Labels, parseSchedule, resourceRef, type Backup, type Schedule } from '../api/index.ts';
import { deleteBackupRequestFor } from '../deletion/delete-request.ts';
import { isAlreadyExists } from '../kube/errors.ts';
import type { Cluster } from '../kube/cluster.ts';
import type { KubeObject } from '../kube/object.ts';
import { decideSchedule, SCHEDULE_RESYNC_MS, type ScheduleDecision } from '../schedule/decide.ts';
import { planRetention, type RetentionPlan } from '../schedule/retention.ts';
import { kubeTime, type Clock } from '../util/clock.ts';
import { errorMessage } from '../util/errors.ts';
import { validLabelValue } from '../util/label-value.ts';
import type { Logger } from '../util/log.ts';
import type { ServerMetrics } from '../server/metrics.ts';
import type { ControllerSpec, ReconcileResult } from './controller.ts';
import { veleroListType } from './velero-types.ts';

export interface ScheduleControllerDeps {
  cluster: Cluster;
  namespace: string;
  clock: Clock;
  log: Logger;
  /** `--schedule-skip-immediately` (reference §10.2), default false. */
  skipImmediately: boolean;
  /** Prometheus metrics (reference §10.3); absent in tests that do not look at them. */
  metrics?: ServerMetrics;
}

const SCHEDULES = veleroListType(Kinds.Schedule);
const BACKUPS = veleroListType(Kinds.Backup);
const DELETE_REQUESTS = veleroListType(Kinds.DeleteBackupRequest);

export function scheduleController(deps: ScheduleControllerDeps): ControllerSpec {
  const wakes = new WakeBook();
  return {
    name: 'schedule',
    type: SCHEDULES,
    namespace: deps.namespace,
    // Every schedule is looked at at least once a minute (reference §5.1, §10.2).
    resyncMs: SCHEDULE_RESYNC_MS,
    reconcile: async (obj) => {
      const name = obj.metadata.name ?? '';
      const result = await reconcileSchedule(deps, obj);
      return wakes.request(name, deps.clock.now().getTime(), result?.requeueAfterMs);
    },
  };
}

/**
 * Each reconcile asks to be called again at the schedule's next run, and reconciles also come
 * from watch events and the minute's resync. Every granted request is a timer that leads to
 * another request, so without this book each resync would start one more chain of timers.
 * A request is granted only when no wake-up at or before the wanted time is already pending.
 */
export class WakeBook {
  private readonly pending = new Map<string, number>();

  request(name: string, nowMs: number, afterMs: number | undefined): ReconcileResult | undefined {
    if (afterMs === undefined) return undefined;
    const at = nowMs + afterMs;
    const already = this.pending.get(name);
    if (already !== undefined && already > nowMs && already <= at) return undefined;
    this.pending.set(name, at);
    return { requeueAfterMs: afterMs };
  }
}

export async function reconcileSchedule(
  deps: ScheduleControllerDeps,
  obj: KubeObject,
): Promise<ReconcileResult | undefined> {
  const name = obj.metadata.name ?? '';
  const ref = resourceRef(Kinds.Schedule);
  const target = { name, namespace: deps.namespace };
  // The informer's copy may predate our own last write (lastBackup); decide on the current object.
  const fresh = await deps.cluster.find(ref, name, deps.namespace);
  if (!fresh) {
    // Its per-schedule series go with it (reference §5.1).
    deps.metrics?.scheduleRemoved(name);
    return undefined;
  }
  let schedule: Schedule;
  try {
    schedule = parseSchedule(fresh);
  } catch (err) {
    if ((fresh.spec as { paused?: unknown } | undefined)?.paused === true) return undefined;
    await writeStatus(deps, name, fresh, { phase: 'FailedValidation', validationErrors: [errorMessage(err)] });
    return undefined;
  }
  if (schedule.spec.paused) return undefined;
  const now = deps.clock.now();
  const backups = await schedulesBackups(deps, name);
  const decision = decideSchedule({ schedule, backups, now, skipImmediatelyDefault: deps.skipImmediately });
  const log = deps.log.child({ schedule: name });
  deps.metrics?.scheduleRegistered(name);

  if (decision.skipped) {
    // One-shot (reference §1.3): reset the flag so only this run is skipped.
    await deps.cluster.patch(ref, target, 'merge', { spec: { skipImmediately: false } });
    log.info('skipImmediately: this run is skipped, waiting for the next one');
  }
  const status: Record<string, unknown> = {
    phase: decision.phase,
    validationErrors: decision.validationErrors.length > 0 ? decision.validationErrors : null,
    ...(decision.skipped ? { lastSkipped: kubeTime(now) } : {}),
  };
  const changed = await writeStatus(deps, name, schedule, status);
  if (decision.action.kind === 'invalid') {
    // Said once per change, not at every minute's look.
    if (changed) log.warn({ errors: decision.validationErrors }, 'schedule failed validation');
    return decision.requeueAfterMs !== undefined ? { requeueAfterMs: decision.requeueAfterMs } : undefined;
  }
  await act(deps, schedule, decision, now, log);
  if (decision.retention && decision.cron) {
    const fresher = decision.action.kind === 'create' ? await schedulesBackups(deps, name) : backups;
    const plan = planRetention(fresher, decision.retention, { timeZone: decision.cron.timeZone });
    await applyRetention(deps, plan, fresher, log);
  }
  return decision.requeueAfterMs !== undefined ? { requeueAfterMs: decision.requeueAfterMs } : undefined;
}

async function act(
  deps: ScheduleControllerDeps,
  schedule: Schedule,
  decision: ScheduleDecision,
  now: Date,
  log: Logger,
): Promise<void> {
  const action = decision.action;
  if (action.kind === 'skip-running') {
    log.info({ running: action.running, due: kubeTime(action.next) }, 'run due, but a backup is still running');
    return;
  }
  if (action.kind !== 'create') return;
  const backupName = action.backup.metadata.name ?? '';
  try {
    await deps.cluster.create(resourceRef(Kinds.Backup), action.backup);
    // Its attempt and outcome are counted by the backup controller under label schedule=<name>.
    log.info({ backup: backupName, due: kubeTime(action.next) }, 'schedule created a backup');
  } catch (err) {
    // Created by an earlier pass in the same second: the run has happened.
    if (!isAlreadyExists(err)) throw err;
  }
  await deps.cluster.patchStatus(
    resourceRef(Kinds.Schedule),
    { name: schedule.metadata.name ?? '', namespace: deps.namespace },
    { lastBackup: kubeTime(now) },
  );
}

/** Patches only the status fields that differ, so an idle schedule causes no writes; says whether it wrote. */
async function writeStatus(
  deps: ScheduleControllerDeps,
  name: string,
  current: KubeObject,
  wanted: Record<string, unknown>,
): Promise<boolean> {
  const have = (current.status ?? {}) as Record<string, unknown>;
  const diff = Object.fromEntries(
    Object.entries(wanted).filter(([k, v]) => v !== undefined && JSON.stringify(have[k] ?? null) !== JSON.stringify(v)),
  );
  if (Object.keys(diff).length === 0) return false;
  await deps.cluster.patchStatus(resourceRef(Kinds.Schedule), { name, namespace: deps.namespace }, diff);
  return true;
}

async function schedulesBackups(deps: ScheduleControllerDeps, schedule: string): Promise<Backup[]> {
  const out: Backup[] = [];
  const labelSelector = `${Labels.ScheduleName}=${validLabelValue(schedule)}`;
  for await (const b of deps.cluster.list(BACKUPS, { namespace: deps.namespace, labelSelector })) out.push(b as Backup);
  return out;
}

/**
 * One DeleteBackupRequest per backup the plan deletes, unless one already exists for it: a
 * request still running will finish, and one that failed stays visible (with its errors)
 * until the delete controller's housekeeping removes it, after which the next pass retries.
 */
async function applyRetention(
  deps: ScheduleControllerDeps,
  plan: RetentionPlan,
  backups: readonly Backup[],
  log: Logger,
): Promise<void> {
  const byName = new Map(backups.map((b) => [b.metadata.name ?? '', b]));
  for (const entry of plan.entries) {
    if (entry.action !== 'delete') continue;
    const backup = byName.get(entry.name);
    if (!backup) continue;
    const labelSelector = `${Labels.BackupName}=${validLabelValue(entry.name)}`;
    let pending = false;
    for await (const r of deps.cluster.list(DELETE_REQUESTS, { namespace: deps.namespace, labelSelector })) {
      if ((r.metadata.labels?.[Labels.BackupUID] ?? '') === (backup.metadata.uid ?? '')) pending = true;
    }
    if (pending) continue;
    try {
      await deps.cluster.create(resourceRef(Kinds.DeleteBackupRequest), deleteBackupRequestFor(backup));
      log.info({ backup: entry.name, reason: entry.reason }, 'retention: deleting backup');
    } catch (err) {
      log.warn({ backup: entry.name, err }, 'retention: could not request deletion');
    }
  }
}
