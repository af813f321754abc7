import { readFile } from 'node:fs/promises';
import type { Restore, RestoreStatus } from '../api/restore.ts';
import type { HookExec } from '../backup/hooks/hook-runner.ts';
import type { Cluster } from '../kube/cluster.ts';
import { runInPod } from '../kube/exec.ts';
import type { KubeObject } from '../kube/object.ts';
import { RestoreExecHookRunner } from './hooks/exec-hook-runner.ts';
import { restoreHooksOf } from './hooks/init-hooks.ts';
import { OperationLog } from '../results/operation-log.ts';
import type { BackupStore } from '../storage/index.ts';
import type { Clock } from '../util/clock.ts';
import { kubeTime } from '../util/clock.ts';
import { errorMessage } from '../util/errors.ts';
import { applyRestorePlan, type ApplyRestoreDeps, type RestoreProgress } from './apply/apply-plan.ts';
import { clusterBackendProbe } from './apply/backend-gate.ts';
import type { RestoreResourceList } from './apply/resource-list.ts';
import { modifierLogLine } from './modifiers/modify-item.ts';
import type { ModifierEvent } from './modifiers/types.ts';
import { withRestorePlan, type RestorePlanDeps } from './plan-for-cluster.ts';
import type { RestorePlanStream } from './plan/types.ts';
import { podVolumeStep } from './volumes/restore-step.ts';
import { dataDownloadStep } from './volumes/data-downloads.ts';
import type { AfterCreate } from './apply/apply-operation.ts';
import { isDataOnly } from './volumes/data-only.ts';
import { runDataOnlyRestore } from './volumes/data-only-run.ts';

export { planRestoreForCluster } from './plan-for-cluster.ts';

export interface RestoreRunDeps extends RestorePlanDeps {
  cluster: Cluster;
  store: BackupStore;
  clock: Clock;
  /** Requests in flight at once within a tier. */
  concurrency?: number;
  resourceTimeoutMs?: number;
  terminatingTimeoutMs?: number;
  /** How long, in all, webhooks and APIServices wait for their backends (default 60 s). */
  backendTimeoutMs?: number;
  pollIntervalMs?: number;
  /** `--fs-backup-timeout`: how long the restore waits for its pod volume restores (default 240m). */
  podVolumeTimeoutMs?: number;
  /** Runs exec hook commands in pods; by default `pods/exec` through the API server. */
  hookExec?: HookExec;
  /**
   * Where the restore's writes (creates, patches, hook execs) go, when not `cluster`: a tenant's
   * restore writes through a client impersonating its requester, so that RBAC, escalation
   * checks, quotas and admission apply to them (issue 17). Reads stay on `cluster`.
   */
  writeCluster?: Cluster;
  /**
   * The Restore exists only in memory (a tenant's, recorded by its TenantRestore in another
   * namespace): its PodVolumeRestores get no owner reference, which the garbage collector would
   * follow to a missing object and delete them while they run. Their owner removes them.
   */
  restoreNotStored?: boolean;
}

/** The status a finished run leaves (the controller writes it). */
export type RestoreOutcome = Pick<
  RestoreStatus,
  'phase' | 'completionTimestamp' | 'errors' | 'warnings' | 'progress' | 'failureReason' | 'hookStatus'
>;

/**
 * Runs a restore (reference §4.1 steps 4–7): read the backup → plan against the live
 * cluster → apply → upload log, results and resource list under `restores/<name>/`.
 */
export async function runRestore(
  deps: RestoreRunDeps,
  restore: Restore,
  onProgress: (p: RestoreProgress) => void = () => undefined,
): Promise<RestoreOutcome> {
  const name = restore.metadata.name ?? '';
  const log = await OperationLog.create({ restore: `${restore.metadata.namespace ?? ''}/${name}` });
  try {
    log.info('restore started', { backup: restore.spec.backupName });
    let failure: string | undefined;
    let resourceList: RestoreResourceList | undefined;
    let restored = 0;
    const hooks = new RestoreExecHookRunner({
      pods: deps.cluster,
      exec: deps.hookExec ?? ((target) => runInPod((deps.writeCluster ?? deps.cluster).client, target)),
      log,
      hooks: restoreHooksOf(restore.spec.hooks?.resources ?? undefined),
      ...(deps.pollIntervalMs !== undefined ? { pollMs: deps.pollIntervalMs } : {}),
    });
    try {
      if (isDataOnly(restore.metadata.annotations)) {
        // No object is restored: only pod volume data, into the pods that exist (volumes/data-only.ts).
        const pods = await runDataOnlyRestore(
          { ...deps, veleroNamespace: deps.veleroNamespace ?? restore.metadata.namespace ?? 'velero', log },
          restore,
        );
        log.info('data-only restore: pod volume data restored', { pods });
      } else {
        ({ resourceList, restored } = await restoreObjects(deps, restore, log, onProgress, hooks));
      }
    } catch (err) {
      failure = errorMessage(err);
      log.error('operation', `restore failed: ${failure}`);
    }
    // The restore completes once the exec hooks of the pods it created have run (reference §4.7).
    await hooks.done();
    const outcome: RestoreOutcome = {
      phase: failure ? 'Failed' : log.results.errorCount > 0 ? 'PartiallyFailed' : 'Completed',
      completionTimestamp: kubeTime(deps.clock.now()),
      errors: log.results.errorCount,
      warnings: log.results.warningCount,
      // Reference §4.1: both end as the number of restored-item records.
      progress: { totalItems: restored, itemsRestored: restored },
      ...(failure ? { failureReason: failure } : {}),
      ...(hooks.status ? { hookStatus: hooks.status } : {}),
    };
    log.info(`restore ended with phase ${outcome.phase ?? ''}`, { items: restored });
    try {
      await uploadRestoreFiles(deps.store, name, log, resourceList);
    } finally {
      await resourceList?.dispose();
    }
    return outcome;
  } finally {
    await log.dispose();
  }
}

/** The restore proper: plan against the cluster, apply, then wait for the pod volume restores. */
async function restoreObjects(
  deps: RestoreRunDeps,
  restore: Restore,
  log: OperationLog,
  onProgress: (p: RestoreProgress) => void,
  hooks: RestoreExecHookRunner,
): Promise<{ resourceList: RestoreResourceList; restored: number }> {
  const onResourceModified = (e: ModifierEvent): void => {
    const line = modifierLogLine(e);
    log.info(line.message, line.fields);
  };
  // The plan is streamed into the apply step: the catalogue is read as the tiers run.
  const applied = await withRestorePlan({ ...deps, onResourceModified }, restore, async (plan, notes) => {
    for (const note of notes) log.info(note);
    recordPlanProblems(plan, log);
    const volumes = podVolumeStep({ ...deps, log }, restore, plan);
    const downloads = dataDownloadStep({ ...deps, log }, restore, plan);
    const onPodCreated = (pod: KubeObject, ns: string): void => hooks.podCreated(pod, ns);
    try {
      await downloads?.start();
      const afterCreate = bothAfterCreate(volumes?.afterCreate, downloads?.afterCreate);
      const result = await applyRestorePlan(plan, {
        ...applyOptions(deps),
        log,
        onProgress,
        onPodCreated,
        ...(afterCreate ? { afterCreate } : {}),
      });
      try {
        await volumes?.finish();
        await downloads?.finish();
      } catch (err) {
        await result.resourceList.dispose();
        throw err;
      }
      return result;
    } finally {
      await downloads?.cleanup();
    }
  });
  return {
    resourceList: applied.resourceList,
    restored: Object.values(applied.counts).reduce((n, c) => n + c, 0),
  };
}

/** Runs the pod-volume and the data-mover hooks after a create, whichever exist. */
function bothAfterCreate(a: AfterCreate | undefined, b: AfterCreate | undefined): AfterCreate | undefined {
  if (!a || !b) return a ?? b;
  return async (op, created) => {
    await a(op, created);
    await b(op, created);
  };
}

function applyOptions(deps: RestoreRunDeps): Omit<ApplyRestoreDeps, 'log'> {
  return {
    cluster: deps.writeCluster ?? deps.cluster,
    backendProbe: clusterBackendProbe(deps.cluster),
    ...(deps.backendTimeoutMs !== undefined ? { backendTimeoutMs: deps.backendTimeoutMs } : {}),
    ...(deps.pollIntervalMs !== undefined ? { pollIntervalMs: deps.pollIntervalMs } : {}),
    ...(deps.concurrency !== undefined ? { concurrency: deps.concurrency } : {}),
    ...(deps.resourceTimeoutMs !== undefined ? { resourceTimeoutMs: deps.resourceTimeoutMs } : {}),
    ...(deps.terminatingTimeoutMs !== undefined ? { terminatingTimeoutMs: deps.terminatingTimeoutMs } : {}),
    ...(deps.tempDir !== undefined ? { tempDir: deps.tempDir } : {}),
  };
}

/** Restore-level problems go to the `velero` list of the results (reference §4.9). */
function recordPlanProblems(plan: RestorePlanStream, log: OperationLog): void {
  for (const w of plan.warnings) log.warn('operation', w);
  for (const e of plan.errors) log.error('operation', e);
}

/** Log, results and resource list under `restores/<name>/` (reference §2.3). */
async function uploadRestoreFiles(
  store: BackupStore,
  name: string,
  log: OperationLog,
  resourceList: RestoreResourceList | undefined,
): Promise<void> {
  const results = log.results.toJSON();
  await log.close();
  // The three uploads are independent: sent together, the restore waits for one round trip, not three.
  const uploads = [
    // Our log file is already gzipped: the store takes it as it is.
    readFile(log.path).then((gzipped) => store.putRestoreLog(name, { gzipped })),
    store.putRestoreFile(name, 'results', results),
    ...(resourceList ? [store.putRestoreFilePieces(name, 'resourceList', resourceList.jsonPieces())] : []),
  ];
  // Every upload settles before the first failure is reported: the caller then disposes the list.
  const outcomes = await Promise.allSettled(uploads);
  const failed = outcomes.find((o) => o.status === 'rejected');
  if (failed) throw failed.reason;
}
