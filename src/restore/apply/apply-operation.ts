import { isAlreadyExists, isForbidden, isNotFound } from '../../kube/errors.ts';
import type { KubeObject } from '../../kube/object.ts';
import type { ResourceRef } from '../../kube/resource.ts';
import type { OperationLog } from '../../results/operation-log.ts';
import { scopeOf } from '../../results/results.ts';
import { formatError } from '../../util/errors.ts';
import type { RestoreActionRegistry } from '../actions/registry.ts';
import { getPath } from '../actions/types.ts';
import { decideExisting } from '../plan/existing.ts';
import { NAMESPACE_TYPE } from '../plan/namespaces.ts';
import { CRD_GROUP_RESOURCE } from '../plan/priorities.ts';
import {
  SkipReason,
  TierWait,
  type CreateOperation,
  type RestoreOperation,
  type RestorePlanStream,
  type UpdateOperation,
} from '../plan/types.ts';
import { awaitBackends, type BackendGate } from './backend-gate.ts';
import { describe, fields } from './describe.ts';
import { ItemAction } from './resource-list.ts';
import type { RestoreTargetCluster } from './target-cluster.ts';
import { waitForCrd, waitForGone, waitForNamespaceActive, type WaitOptions } from './waits.ts';

export interface OperationDeps {
  cluster: RestoreTargetCluster;
  log: OperationLog;
  plan: Pick<RestorePlanStream, 'policy' | 'env'>;
  actions: RestoreActionRegistry;
  resourceWait: WaitOptions;
  terminatingWait: WaitOptions;
  /** Holds webhook configurations and APIServices back until their backends are ready. */
  backends: BackendGate;
  /** Told of each object this run created, as the server returned it (pod volume restores start here). */
  afterCreate?: AfterCreate;
  /** Told of each pod created (the restore's exec hooks follow it, reference §4.7). */
  onPodCreated?: (pod: KubeObject, namespace: string) => void;
}

/** Called after a create succeeded, with the created object (its new uid); errors it throws fail the item. */
export type AfterCreate = (op: CreateOperation, created: KubeObject) => Promise<void>;

/** Runs one operation; returns what the resource list records, or undefined for filtered-out items. */
/** What an operation needs of its tier: what to wait for after it. */
export interface TierInfo {
  wait?: TierWait | undefined;
}

export async function applyOperation(
  op: RestoreOperation,
  tier: TierInfo,
  deps: OperationDeps,
): Promise<ItemAction | undefined> {
  const scope = scopeOf(op.target.namespace);
  switch (op.kind) {
    case 'create':
      return tier.wait === TierWait.Active ? ensureNamespace(op, deps) : create(op, tier, deps);
    case 'update':
      if (tier.wait === TierWait.Backends) await awaitBackends(op, deps);
      return update(op, deps);
    case 'conflict':
      deps.log.warn(scope, conflictMessage(op), fields(op));
      return ItemAction.Failed;
    case 'fail':
      deps.log.error(scope, `error restoring ${describe(op)}: ${op.error}`, fields(op));
      return ItemAction.Failed;
    case 'skip':
      if (op.reason === SkipReason.Excluded || op.reason === SkipReason.NonRestorable) return undefined;
      deps.log.info(`skipping ${describe(op)}: ${op.detail}`, fields(op));
      // A resumed restore: the earlier attempt created it, so it is this restore's creation.
      if (op.restoredEarlier) {
        await restoreManagedFields(op, op.managedFields, deps);
        return ItemAction.Created;
      }
      // An existing namespace is not a restored item (reference §4.3 records only created ones).
      return op.reason === SkipReason.Exists ? undefined : ItemAction.Skipped;
  }
}

/** Velero's wording (reference §4.4 step 10). */
function conflictMessage(op: RestoreOperation): string {
  return `could not restore, ${op.target.kind} "${op.target.name}" already exists. Warning: the in-cluster version is different than the backed-up version`;
}

function typeOf(op: RestoreOperation): ResourceRef {
  if (!op.target.type) throw new Error(`no resource type for ${describe(op)}`);
  return op.target.type;
}

async function create(op: CreateOperation, tier: TierInfo, deps: OperationDeps): Promise<ItemAction | undefined> {
  const type = typeOf(op);
  if (tier.wait === TierWait.Backends) await awaitBackends(op, deps);
  // Only a pod whose volumes come back (or a claim whose moved data does) needs the created object; every other
  // create skips decoding the API server's echo.
  const wantsCreated = deps.afterCreate !== undefined && (op.podVolumes !== undefined || op.dataDownload !== undefined);
  let created: KubeObject | undefined;
  try {
    if (wantsCreated) created = await deps.cluster.create(type, op.object);
    else await deps.cluster.createOnly(type, op.object);
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    return alreadyExists(op, deps);
  }
  deps.log.info(`restored ${describe(op)}`, fields(op));
  if (created && deps.afterCreate) await deps.afterCreate(op, created);
  if (op.target.groupResource === 'pods' && op.target.namespace !== undefined)
    deps.onPodCreated?.(op.object, op.target.namespace);
  if (op.status !== undefined) await restoreStatus(op, deps);
  await restoreManagedFields(op, op.object.metadata.managedFields, deps);
  if (tier.wait === TierWait.Established && op.target.groupResource === CRD_GROUP_RESOURCE) {
    if (!(await waitForCrd(deps.cluster, type, op.target.name, deps.resourceWait))) {
      deps.log.error(
        'cluster',
        `CustomResourceDefinition ${op.target.name} did not become Established within ${deps.resourceWait.timeoutMs} ms`,
        fields(op),
      );
    }
  }
  return ItemAction.Created;
}

/**
 * The object appeared between planning and now (or a crashed restore is being resumed):
 * compare it like the planner does, then skip, warn or patch. This is what makes a second
 * run of a restore find its own objects identical.
 */
async function alreadyExists(op: CreateOperation, deps: OperationDeps): Promise<ItemAction | undefined> {
  const live = await deps.cluster.find(typeOf(op), op.target.name, op.target.namespace).catch((err: unknown) => {
    deps.log.warn(
      scopeOf(op.target.namespace),
      `${describe(op)} already exists and could not be read: ${formatError(err)}`,
      fields(op),
    );
    return null;
  });
  if (live === null) return ItemAction.Failed;
  if (live === undefined) throw new Error(`${describe(op)} was reported to exist but is gone`);
  const next = decideExisting({
    target: op.target,
    desired: op.object,
    live,
    policy: deps.plan.policy,
    env: deps.plan.env,
    actions: deps.actions,
    warnings: [],
  });
  return applyOperation(next, {}, deps);
}

async function restoreStatus(op: CreateOperation, deps: OperationDeps): Promise<void> {
  try {
    const target = { name: op.target.name, namespace: op.target.namespace, subresource: 'status' };
    await deps.cluster.patch(typeOf(op), target, 'merge', { status: op.status });
  } catch (err) {
    deps.log.warn(
      scopeOf(op.target.namespace),
      `could not restore the status of ${describe(op)}: ${formatError(err)}`,
      fields(op),
    );
  }
}

/**
 * Reference §4.4 step 11. A create hands every field of the new object to the restore's own
 * field manager, whatever `managedFields` its body carried, so the backed-up owners (the
 * appliers and controllers a later server-side apply checks against) are put back with a merge
 * patch, which the API server takes as given. Last, so that a status update is not recorded
 * over them.
 */
async function restoreManagedFields(
  op: RestoreOperation,
  managedFields: unknown[] | undefined,
  deps: OperationDeps,
): Promise<void> {
  // A backup without owners costs no second request.
  if (!managedFields || managedFields.length === 0) return;
  try {
    const target = { name: op.target.name, namespace: op.target.namespace };
    await deps.cluster.patchOnly(typeOf(op), target, 'merge', { metadata: { managedFields } });
  } catch (err) {
    // Gone already (a pod that ran to its end and was removed): nothing left to own.
    if (isNotFound(err)) {
      deps.log.info(`${describe(op)} was gone before its managedFields were restored`, fields(op));
      return;
    }
    // A role that may create but not patch (least-privilege RBAC on CRDs): the object is
    // restored, only its owners are not, which the user can still grant and does not lose data.
    const log = isForbidden(err) ? deps.log.warn.bind(deps.log) : deps.log.error.bind(deps.log);
    log(
      scopeOf(op.target.namespace),
      `could not restore the managedFields of ${describe(op)}: ${formatError(err)}`,
      fields(op),
    );
  }
}

/** Reference §4.4 step 10, policy update: merge patch; on failure a warning, then try just the restore labels. */
async function update(op: UpdateOperation, deps: OperationDeps): Promise<ItemAction> {
  const type = typeOf(op);
  const target = { name: op.target.name, namespace: op.target.namespace };
  const scope = scopeOf(op.target.namespace);
  try {
    await deps.cluster.patch(type, target, 'merge', op.patch);
    deps.log.info(`updated ${describe(op)}`, { ...fields(op), changes: op.changes.map((c) => c.path).join(',') });
    return ItemAction.Updated;
  } catch (err) {
    if (op.labelsOnly) throw err;
    deps.log.warn(scope, `could not update ${describe(op)}: ${formatError(err)}`, fields(op));
  }
  await deps.cluster.patch(type, target, 'merge', { metadata: { labels: restoreLabels(op.object) } });
  return ItemAction.Failed;
}

function restoreLabels(obj: KubeObject): Record<string, string> {
  const labels = obj.metadata.labels ?? {};
  return Object.fromEntries(
    Object.entries(labels).filter(([k]) => k === 'velero.io/backup-name' || k === 'velero.io/restore-name'),
  );
}

/** Reference §4.3: wait out a terminating namespace, create it, wait until Active. */
async function ensureNamespace(op: CreateOperation, deps: OperationDeps): Promise<ItemAction | undefined> {
  const name = op.target.name;
  if (op.awaitTermination && !(await waitForGone(deps.cluster, NAMESPACE_TYPE, name, deps.terminatingWait))) {
    throw new Error(`namespace ${name} is still terminating after ${deps.terminatingWait.timeoutMs} ms`);
  }
  let created: KubeObject;
  try {
    created = await deps.cluster.create(NAMESPACE_TYPE, op.object);
  } catch (err) {
    if (isAlreadyExists(err)) return undefined;
    throw err;
  }
  // The API server answers a create with the phase already Active; polling is for when it does not.
  const active = getPath(created, 'status', 'phase') === 'Active';
  if (!active && !(await waitForNamespaceActive(deps.cluster, NAMESPACE_TYPE, name, deps.resourceWait))) {
    throw new Error(`namespace ${name} did not become Active within ${deps.resourceWait.timeoutMs} ms`);
  }
  deps.log.info(`created namespace ${name}`);
  return ItemAction.Created;
}
