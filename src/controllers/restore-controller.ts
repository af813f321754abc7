import { Finalizers, Kinds, parseRestore, resourceRef, type Restore } from '../api/index.ts';
import type { Cluster } from '../kube/cluster.ts';
import type { KubeObject } from '../kube/object.ts';
import { runRestore, type RestoreOutcome, type RestorePriorities, type RestoreProgress } from '../restore/index.ts';
import type { BackupStore } from '../storage/index.ts';
import { coalesced, throttle } from '../util/async.ts';
import { kubeTime, type Clock } from '../util/clock.ts';
import { errorMessage } from '../util/errors.ts';
import type { Logger } from '../util/log.ts';
import type { ServerMetrics } from '../server/metrics.ts';
import type { ControllerSpec, ReconcileResult } from './controller.ts';
import type { LocationResolver } from './locations.ts';
import { RestoreFinalizer } from './restore-finalizer.ts';
import { resolveRestoreSource, storeOfBackup } from './restore-source.ts';
import { scheduleRestores } from './restore-queue.ts';
import { RunningOperations, type RunRemainder } from './running-operations.ts';
import { veleroListType } from './velero-types.ts';

export interface RestoreControllerDeps {
  cluster: Cluster;
  namespace: string;
  locations: LocationResolver;
  clock: Clock;
  log: Logger;
  /** `--restore-resource-priorities`, parsed; Velero's defaults when absent. */
  priorities?: RestorePriorities;
  /** `--restore-backend-timeout`: how long, in all, webhooks and APIServices wait for their backends. */
  backendTimeoutMs?: number;
  /** Parent directory of each restore's spool directory (default: the OS temp dir). */
  tempDir?: string;
  /** Prometheus metrics (reference §10.3); absent in tests that do not look at them. */
  metrics?: ServerMetrics;
  /** Attempts at deleting a deleted Restore's files before its finalizer goes without them. */
  cleanupAttempts?: number;
  /** Server feature EnableAPIGroupVersions: each group's version is chosen (reference §2.4). */
  enableApiGroupVersions?: boolean;
  /** `--fs-backup-timeout`: how long a restore waits for its pod volume restores (default 240m). */
  podVolumeTimeoutMs?: number;
}

const RESTORES = veleroListType(Kinds.Restore);

const FINALIZER = Finalizers.RestoreExternalResources;

/**
 * Restore (reference §4.1): New → (its turn: restores into disjoint namespaces run at once,
 * see restore-queue.ts) → finalizer, validation → InProgress → run → Completed /
 * PartiallyFailed / Failed, or FailedValidation with every problem listed. A Restore left
 * InProgress by a server that stopped is run again: the plan is recomputed against the
 * cluster, so what the earlier attempt created is found and counted, not created twice.
 * Deleting a Restore removes its files under `restores/<name>/` before the finalizer goes
 * (restore-finalizer.ts: never blocking the deletion forever).
 * Restore has no status subresource (reference §0): status is written with merge patches.
 */
export function restoreController(deps: RestoreControllerDeps): ControllerSpec {
  const finalizer = new RestoreFinalizer(deps);
  const runs = new RunningOperations();
  const onRunError = (name: string) => (err: unknown) =>
    deps.log.error({ err, restore: name }, 'restore run ended with an error');
  const schedule = coalesced(() =>
    scheduleRestores({
      ...deps,
      runs,
      start: (obj) => {
        const name = obj.metadata.name ?? '';
        return runs.run(name, () => startRestore(deps, obj), onRunError(name));
      },
    }),
  );
  runs.onEnded(() => {
    schedule().catch((err: unknown) => deps.log.warn({ err }, 'restore queue: could not look at the queue'));
  });
  return {
    name: 'restore',
    type: RESTORES,
    namespace: deps.namespace,
    reconcile: (obj) => reconcileRestore(deps, { runs, schedule, onRunError }, finalizer, obj),
    drain: () => runs.drain(),
  };
}

interface RestoreRuns {
  runs: RunningOperations;
  /** Looks at the restores waiting for their namespaces and starts those that may run. */
  schedule: () => Promise<void>;
  onRunError: (name: string) => (err: unknown) => void;
}

async function reconcileRestore(
  deps: RestoreControllerDeps,
  { runs, schedule, onRunError }: RestoreRuns,
  finalizer: RestoreFinalizer,
  seen: KubeObject,
): Promise<ReconcileResult | undefined> {
  const name = seen.metadata.name ?? '';
  if (runs.has(name)) return undefined;
  // The informer's copy may predate our own patches (a progress patch queued behind the run):
  // decide on the object as it is now.
  const obj = await deps.cluster.find(resourceRef(Kinds.Restore), name, deps.namespace);
  if (!obj) return undefined;
  if (obj.metadata.deletionTimestamp) return finalizer.finalize(obj);
  const phase = (obj.status as { phase?: string } | undefined)?.phase ?? '';
  if (phase === '' || phase === 'New') await schedule();
  else if (phase === 'InProgress') await runs.run(name, () => resumeRestore(deps, obj), onRunError(name));
  return undefined;
}

/** Validates, then moves the restore InProgress; returns the run, undefined when it cannot start. */
async function startRestore(deps: RestoreControllerDeps, obj: KubeObject): Promise<RunRemainder | undefined> {
  const name = obj.metadata.name ?? '';
  const finalizers = withFinalizer(obj);
  // resourceVersion makes the transition a compare-and-swap: two servers cannot both start it.
  const metadata = { finalizers, resourceVersion: obj.metadata.resourceVersion };
  let restore: Restore;
  try {
    restore = parseRestore(obj);
  } catch (err) {
    await patchRestore(deps, name, { metadata, status: failedValidation([errorMessage(err)]) });
    deps.metrics?.restoreFailedValidation(scheduleOfRestore(obj));
    return undefined;
  }
  const source = await resolveRestoreSource(deps, restore.spec, restore.metadata.annotations);
  if ('errors' in source) {
    deps.metrics?.restoreFailedValidation(scheduleOfRestore(obj));
    deps.log.info({ restore: name, errors: source.errors }, 'restore failed validation');
    await patchRestore(deps, name, { metadata, status: failedValidation(source.errors) });
    return undefined;
  }
  // Out of the queue: the position goes (a merge patch's null removes the field).
  const status = { phase: 'InProgress', startTimestamp: kubeTime(deps.clock.now()), progress: {}, queuePosition: null };
  const running = parseRestore(
    await patchRestore(deps, name, { metadata, spec: { backupName: source.spec.backupName }, status }),
  );
  deps.metrics?.restoreAttempted(scheduleOfRestore(obj));
  deps.log.info({ restore: name, backup: source.spec.backupName }, 'restore started');
  return () => runAndRecord(deps, running, source.store);
}

/** A Restore InProgress that no run in this process owns: its server stopped. Run it again. */
async function resumeRestore(deps: RestoreControllerDeps, obj: KubeObject): Promise<RunRemainder | undefined> {
  const name = obj.metadata.name ?? '';
  let restore: Restore;
  let store: BackupStore | undefined;
  try {
    restore = parseRestore(obj);
    store = await storeOfBackup(deps, restore.spec.backupName ?? '');
  } catch (err) {
    await patchRestore(deps, name, { status: failed(deps, `cannot resume the restore: ${errorMessage(err)}`) });
    return undefined;
  }
  if (!store) {
    const reason = `cannot resume the restore: backup "${restore.spec.backupName ?? ''}" no longer exists`;
    await patchRestore(deps, name, { status: failed(deps, reason) });
    return undefined;
  }
  deps.log.warn({ restore: name, backup: restore.spec.backupName }, 'resuming a restore interrupted by a restart');
  return () => runAndRecord(deps, restore, store);
}

async function runAndRecord(deps: RestoreControllerDeps, restore: Restore, store: BackupStore): Promise<void> {
  const name = restore.metadata.name ?? '';
  const progress: RestoreProgress = { totalItems: 0, itemsRestored: 0 };
  // Reference §4.1: progress is patched at most once per second.
  const reporter = throttle(() => patchRestore(deps, name, { status: { progress } }).then(() => undefined), 1000);
  let outcome: RestoreOutcome;
  try {
    outcome = await runRestore(
      {
        cluster: deps.cluster,
        store,
        clock: deps.clock,
        veleroNamespace: deps.namespace,
        ...(deps.priorities ? { priorities: deps.priorities } : {}),
        ...(deps.backendTimeoutMs !== undefined ? { backendTimeoutMs: deps.backendTimeoutMs } : {}),
        ...(deps.tempDir ? { tempDir: deps.tempDir } : {}),
        ...(deps.enableApiGroupVersions ? { enableApiGroupVersions: true } : {}),
        ...(deps.podVolumeTimeoutMs !== undefined ? { podVolumeTimeoutMs: deps.podVolumeTimeoutMs } : {}),
      },
      restore,
      (p) => {
        Object.assign(progress, p);
        reporter.call();
      },
    );
  } catch (err) {
    // Only the upload of the restore's files escapes runRestore; the restore itself ran.
    outcome = failed(deps, `restore could not be recorded: ${errorMessage(err)}`);
  }
  await reporter.flush();
  await patchRestore(deps, name, { status: outcome });
  deps.metrics?.restoreFinished(scheduleOfRestore(restore), outcome.phase ?? 'Failed');
  deps.log.info({ restore: name, phase: outcome.phase, items: outcome.progress?.itemsRestored }, 'restore finished');
}

/** The `schedule` label of a restore's metrics: `spec.scheduleName`, "" when it names none (reference §10.3). */
function scheduleOfRestore(obj: KubeObject): string {
  return (obj.spec as { scheduleName?: string } | undefined)?.scheduleName ?? '';
}

function withFinalizer(obj: KubeObject): string[] {
  const finalizers = obj.metadata.finalizers ?? [];
  return finalizers.includes(FINALIZER) ? finalizers : [...finalizers, FINALIZER];
}

function failedValidation(errors: string[]): Record<string, unknown> {
  return { phase: 'FailedValidation', validationErrors: errors, queuePosition: null };
}

function failed(deps: RestoreControllerDeps, reason: string): RestoreOutcome {
  return { phase: 'Failed', failureReason: reason, completionTimestamp: kubeTime(deps.clock.now()) };
}

function patchRestore(deps: RestoreControllerDeps, name: string, patch: Record<string, unknown>): Promise<KubeObject> {
  return deps.cluster.patch(resourceRef(Kinds.Restore), { name, namespace: deps.namespace }, 'merge', patch);
}
