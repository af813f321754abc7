import type { KubeObject } from '../../kube/object.ts';
import type { ResultScope } from '../../results/results.ts';
import { scopeOf } from '../../results/results.ts';
import type { OperationLog } from '../../results/operation-log.ts';
import { forEachBounded } from '../../util/async.ts';
import { formatError } from '../../util/errors.ts';
import { defaultRestoreActions, type RestoreActionRegistry } from '../actions/registry.ts';
import {
  isRestoreRecord,
  streamOfPlan,
  type RestoreOperation,
  type RestorePlan,
  type RestorePlanStream,
  type StreamedTier,
} from '../plan/types.ts';
import { applyOperation, type AfterCreate, type OperationDeps } from './apply-operation.ts';
import { BackendGate, DEFAULT_BACKEND_TIMEOUT_MS, endpointsBackendProbe, type BackendProbe } from './backend-gate.ts';
import { describe, fields } from './describe.ts';
import { ItemAction, RestoreResourceList } from './resource-list.ts';
import type { RestoreTargetCluster } from './target-cluster.ts';

export interface RestoreProgress {
  totalItems: number;
  itemsRestored: number;
}

export interface ApplyRestoreDeps {
  cluster: RestoreTargetCluster;
  log: OperationLog;
  actions?: RestoreActionRegistry;
  /** Requests in flight at once within a tier (default DEFAULT_RESTORE_CONCURRENCY). */
  concurrency?: number;
  onProgress?: (p: RestoreProgress) => void;
  /** `--resource-timeout` (default 10m): CRD readiness (reference §4.2). */
  resourceTimeoutMs?: number;
  /** `--terminating-resource-timeout` (default 10m): terminating namespaces (reference §4.3). */
  terminatingTimeoutMs?: number;
  pollIntervalMs?: number;
  /**
   * How long, in all, webhook configurations and APIServices wait for their backend Services
   * to have a ready endpoint (default DEFAULT_BACKEND_TIMEOUT_MS); then they are restored with a warning.
   */
  backendTimeoutMs?: number;
  /** Whether a backend Service is ready; by default its Endpoints object, read with `cluster.find`. */
  backendProbe?: BackendProbe;
  /** Parent directory of the resource list's temp directory (the OS temp dir by default). */
  tempDir?: string;
  /** Told of each created object (pod volume restores start when their pod exists). */
  afterCreate?: AfterCreate;
  /** Told of each pod created (the restore's exec hooks follow it). */
  onPodCreated?: (pod: KubeObject, namespace: string) => void;
}

export interface ApplyRestoreOutcome {
  progress: RestoreProgress;
  /** The restore resource list (reference §1.14); the caller disposes it. */
  resourceList: RestoreResourceList;
  counts: RestoreResourceList['counts'];
}

const TEN_MINUTES = 10 * 60 * 1000;
/** Requests in flight at once within a tier when the caller does not say. */
export const DEFAULT_RESTORE_CONCURRENCY = 8;

/**
 * Carries out a plan: tier after tier, each tier's operations in parallel with at most
 * `concurrency` in flight. Operations are taken from the plan's stream only as a slot
 * frees up, so a streamed plan never has more than `concurrency` prepared objects alive.
 * Never deletes anything. Every item's outcome goes into the log (warnings and errors into
 * its Results) and into the resource list.
 */
export async function applyRestorePlan(
  planOrStream: RestorePlan | RestorePlanStream,
  deps: ApplyRestoreDeps,
): Promise<ApplyRestoreOutcome> {
  const plan = streamOfPlan(planOrStream);
  const list = new RestoreResourceList({ tempDir: deps.tempDir });
  const progress: RestoreProgress = { totalItems: plan.totalItems, itemsRestored: 0 };
  deps.onProgress?.({ ...progress });
  const opDeps: OperationDeps = {
    cluster: deps.cluster,
    log: deps.log,
    plan,
    actions: deps.actions ?? defaultRestoreActions(),
    resourceWait: { timeoutMs: deps.resourceTimeoutMs ?? TEN_MINUTES, pollMs: deps.pollIntervalMs ?? 1000 },
    terminatingWait: { timeoutMs: deps.terminatingTimeoutMs ?? TEN_MINUTES, pollMs: deps.pollIntervalMs ?? 1000 },
    backends: new BackendGate(deps.backendProbe ?? endpointsBackendProbe(deps.cluster), {
      timeoutMs: deps.backendTimeoutMs ?? DEFAULT_BACKEND_TIMEOUT_MS,
      pollMs: deps.pollIntervalMs ?? 1000,
    }),
    ...(deps.afterCreate ? { afterCreate: deps.afterCreate } : {}),
    ...(deps.onPodCreated ? { onPodCreated: deps.onPodCreated } : {}),
  };
  try {
    for await (const tier of plan.tiers) {
      deps.log.info('restoring tier', { resources: tier.resources.join(',') });
      await forEachBounded(tier.operations, deps.concurrency ?? DEFAULT_RESTORE_CONCURRENCY, async (op) => {
        await runOne(op, tier, opDeps, list);
        if (!isRestoreRecord(op)) return;
        progress.itemsRestored++;
        deps.onProgress?.({ ...progress });
      });
    }
  } catch (err) {
    await list.dispose();
    throw err;
  }
  return { progress, resourceList: list, counts: list.counts };
}

async function runOne(
  op: RestoreOperation,
  tier: StreamedTier,
  deps: OperationDeps,
  list: RestoreResourceList,
): Promise<void> {
  const scope: ResultScope = scopeOf(op.target.namespace);
  for (const w of op.warnings) deps.log.warn(scope, w, fields(op));
  let action: ItemAction | undefined;
  try {
    action = await applyOperation(op, tier, deps);
  } catch (err) {
    deps.log.error(scope, `error restoring ${describe(op)}: ${formatError(err)}`, fields(op));
    action = ItemAction.Failed;
  }
  // The list reads the target's names into its own strings: no copy of the target is needed.
  if (action !== undefined) list.add(op.target, action);
}
