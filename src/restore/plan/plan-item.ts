import type { RestoreSpec } from '../../api/restore.ts';
import type { KubeObject } from '../../kube/object.ts';
import { apiVersionOf, type ResourceRef } from '../../kube/resource.ts';
import {
  decideRestoreItem,
  hasLabelSelection,
  mapNamespace,
  NON_RESTORABLE_RESOURCES,
  shouldRestoreStatus,
  skippedOutright,
  type RestoreSelection,
  type SelectionItem,
} from '../../selection/index.ts';
import { errorMessage } from '../../util/errors.ts';
import { plannedDataDownload } from '../actions/data-mover-actions.ts';
import { prepareItem } from '../actions/prepare-item.ts';
import type { RestoreActionRegistry } from '../actions/registry.ts';
import type { RestoreActionEnv } from '../actions/types.ts';
import { modifyPreparedItem, type PlanResourceModifiers } from '../modifiers/modify-item.ts';
import type { CatalogueEntry } from '../read/catalogue.ts';
import { decideExisting } from './existing.ts';
import type { TargetTypes } from './target-types.ts';
import { SkipReason, type ExistingPolicy, type OperationTarget, type RestoreOperation } from './types.ts';
import { additionalKey } from './volumes.ts';
import { volumesToRestore, type BackedUpVolume } from '../volumes/pod-volumes.ts';

/** Finds the live object, or undefined. A function so that the planner stays free of I/O of its own. */
export type LiveLookup = (
  type: ResourceRef,
  name: string,
  namespace?: string,
) => Promise<KubeObject | undefined> | KubeObject | undefined;

export interface PlanContext {
  spec: RestoreSpec;
  selection: RestoreSelection;
  types: TargetTypes;
  env: RestoreActionEnv;
  actions: RestoreActionRegistry;
  policy: ExistingPolicy;
  live: LiveLookup;
  /** Items some included item pulls in (a PVC's PV, a pod's PVCs). */
  additional: Set<string>;
  /** The Restore's `spec.resourceModifier` rules (reference §4.8). */
  modifiers?: PlanResourceModifiers;
  /**
   * Target namespaces the namespace tier creates: absent (or terminating) when it was planned.
   * Filled as that tier is planned, before any namespaced item (tiers are consumed in order).
   */
  createdNamespaces?: ReadonlySet<string>;
}

function selectionItem(
  entry: CatalogueEntry,
  labels: Record<string, string>,
  annotations: Record<string, string> = {},
): SelectionItem {
  return {
    groupResource: entry.groupResource,
    namespaced: entry.namespace !== undefined,
    ...(entry.namespace !== undefined ? { namespace: entry.namespace } : {}),
    name: entry.name,
    labels,
    annotations,
  };
}

type SkipDecision = Omit<RestoreOperation & { kind: 'skip' }, 'target' | 'warnings' | 'kind'>;

/**
 * Why the filters leave the item out (it is then no restore record), or null: never-restored
 * types, then the filters (an additional item gets a second chance). Needs only the labels,
 * so that the planner's first pass can decide it without the rest of the object.
 */
export function exclusion(
  ctx: PlanContext,
  entry: CatalogueEntry,
  labels: Record<string, string>,
): SkipDecision | null {
  if ((NON_RESTORABLE_RESOURCES as readonly string[]).includes(entry.groupResource)) {
    return { reason: SkipReason.NonRestorable, detail: `resource ${entry.groupResource} is never restored` };
  }
  let decision = primaryDecision(ctx.selection, entry, labels);
  if (!decision.included && ctx.additional.has(additionalKey(entry.groupResource, entry.namespace, entry.name))) {
    decision = decideRestoreItem(ctx.selection, selectionItem(entry, labels), { origin: 'additional' });
  }
  return decision.included ? null : { reason: SkipReason.Excluded, detail: decision.reason };
}

/**
 * Decisions of `decideRestoreItem` by type and source namespace, per selection. Without a label
 * selector an archived item's decision depends on nothing else (Namespace objects aside, which
 * are few), so a restore decides it once per (type, namespace), not twice per item (the census
 * and the plan).
 */
type Decision = ReturnType<typeof decideRestoreItem>;
const decisionsBySelection = new WeakMap<RestoreSelection, Map<string, Decision>>();

function primaryDecision(selection: RestoreSelection, entry: CatalogueEntry, labels: Record<string, string>): Decision {
  if (hasLabelSelection(selection) || entry.groupResource === NAMESPACES) {
    return decideRestoreItem(selection, selectionItem(entry, labels));
  }
  let byType = decisionsBySelection.get(selection);
  if (!byType) decisionsBySelection.set(selection, (byType = new Map<string, Decision>()));
  const key = entry.namespace === undefined ? entry.groupResource : `${entry.groupResource}\u0000${entry.namespace}`;
  let decision = byType.get(key);
  if (!decision) byType.set(key, (decision = decideRestoreItem(selection, selectionItem(entry, labels))));
  return decision;
}

const NAMESPACES = 'namespaces';

/** The first reason an item is out, or null: the filters (`exclusion`), then §4.3 skips. */
function filteredOut(ctx: PlanContext, entry: CatalogueEntry, object: KubeObject): SkipDecision | null {
  const excluded = exclusion(ctx, entry, object.metadata.labels ?? {});
  if (excluded) return excluded;
  const outright = skippedOutright({
    groupResource: entry.groupResource,
    annotations: object.metadata.annotations ?? null,
    status: (object.status as { phase?: string; completionTime?: string } | undefined) ?? null,
  });
  return outright === null ? null : { reason: SkipReason.Outright, detail: outright };
}

/** Whether the filters take the item on its own (not as an additional item). */
export function includedAsPrimary(ctx: PlanContext, entry: CatalogueEntry, object: KubeObject): boolean {
  const item = selectionItem(entry, object.metadata.labels ?? {}, object.metadata.annotations ?? {});
  return decideRestoreItem(ctx.selection, item).included;
}

/** Plans one backed-up item: filtered out, failed, created, or compared with the live object. */
export async function planItem(ctx: PlanContext, entry: CatalogueEntry, object: KubeObject): Promise<RestoreOperation> {
  const target: OperationTarget = {
    apiVersion: object.apiVersion,
    kind: object.kind,
    groupResource: entry.groupResource,
    name: entry.name,
    ...(entry.namespace !== undefined
      ? { sourceNamespace: entry.namespace, namespace: mapNamespace(ctx.spec, entry.namespace) }
      : {}),
  };
  const skip = filteredOut(ctx, entry, object);
  if (skip) return { kind: 'skip', target, warnings: [], ...skip };
  const lookup = ctx.types.forItem(entry.group, entry.resource, object.apiVersion);
  if ('error' in lookup) return { kind: 'fail', target, warnings: [], error: lookup.error };
  const type = lookup.type;
  target.type = { group: type.group, version: type.version, resource: type.resource };
  target.apiVersion = apiVersionOf(type);
  target.kind = type.kind;
  if (type.namespaced !== (entry.namespace !== undefined)) {
    const scope = type.namespaced ? 'namespaced' : 'cluster-scoped';
    return { kind: 'fail', target, warnings: [], error: `${entry.groupResource} is ${scope} in the target cluster` };
  }
  // Velero uses the name from the object; the path name only locates it (§2.4).
  target.name = object.metadata.name ?? entry.name;
  try {
    return await planPrepared(ctx, target, object);
  } catch (err) {
    return { kind: 'fail', target, warnings: [], error: errorMessage(err) };
  }
}

/**
 * Types Kubernetes itself puts into every new namespace: the `kube-root-ca.crt` ConfigMap (the
 * root CA publisher) and the `default` ServiceAccount (the ServiceAccount controller).
 */
const FILLED_BY_THE_CLUSTER: ReadonlySet<string> = new Set(['configmaps', 'serviceaccounts']);

/**
 * A namespace this restore creates holds nothing of the backup's to compare with, so its items
 * are planned as creates without a LIST of it: with many small namespaces those LISTs cost as
 * many requests as the creates. The types the cluster fills a new namespace with are still
 * listed: one LIST finds `kube-root-ca.crt` cheaper than a create that fails and the GET after
 * it. Anything else a controller puts there answers the create with AlreadyExists, and the
 * apply step compares it under the existing-resource policy as the planner would have
 * (apply-operation.ts, `alreadyExists`). A dry run creates no namespace and its LISTs of them
 * find nothing, so it plans the same.
 */
function inCreatedNamespace(ctx: PlanContext, target: OperationTarget): boolean {
  if (target.namespace === undefined || FILLED_BY_THE_CLUSTER.has(target.groupResource)) return false;
  return ctx.createdNamespaces?.has(target.namespace) === true;
}

async function planPrepared(ctx: PlanContext, target: OperationTarget, object: KubeObject): Promise<RestoreOperation> {
  const prepared = prepareItem({
    object,
    groupResource: target.groupResource,
    sourceNamespace: target.sourceNamespace,
    targetNamespace: target.namespace,
    env: ctx.env,
    actions: ctx.actions,
  });
  const warnings = prepared.warnings;
  // An action may rename the item (the CSI ones, reference §7.5): it is created under the new name.
  if (prepared.object.metadata.name) target.name = prepared.object.metadata.name;
  if (prepared.skip !== undefined) {
    return { kind: 'skip', target, warnings, reason: SkipReason.Action, detail: prepared.skip };
  }
  // Reference §4.4 step 5: after the item actions; throws (the item fails) when a rule cannot apply.
  if (ctx.modifiers) modifyPreparedItem(ctx.modifiers, { prepared, target, original: object, env: ctx.env });
  const rewrites = prepared.rewrites.length > 0 ? { rewrites: prepared.rewrites } : {};
  if (!target.type) throw new Error('target type unresolved');
  const live = inCreatedNamespace(ctx, target) ? undefined : await ctx.live(target.type, target.name, target.namespace);
  if (live) {
    const op = decideExisting({
      target,
      desired: prepared.object,
      live,
      policy: ctx.policy,
      env: ctx.env,
      actions: ctx.actions,
      warnings,
    });
    return op.kind === 'update' || op.kind === 'conflict' ? { ...op, ...rewrites } : op;
  }
  const withStatus =
    prepared.status !== undefined &&
    shouldRestoreStatus(ctx.selection, {
      groupResource: target.groupResource,
      namespaced: target.namespace !== undefined,
      name: target.name,
      annotations: object.metadata.annotations ?? {},
    });
  const podVolumes = restoredPodVolumes(ctx, target, prepared.object);
  const dataDownload =
    target.groupResource === 'persistentvolumeclaims' && target.namespace !== undefined
      ? plannedDataDownload(ctx.env, object, { name: target.name, namespace: target.namespace })
      : undefined;
  return {
    kind: 'create',
    target,
    warnings,
    object: prepared.object,
    ...(withStatus ? { status: prepared.status } : {}),
    ...rewrites,
    ...(podVolumes.length > 0 ? { podVolumes } : {}),
    ...(dataDownload ? { dataDownload } : {}),
  };
}

/** The volumes of a pod to create whose data the restore brings back (reference §6.5 step 2). */
function restoredPodVolumes(ctx: PlanContext, target: OperationTarget, pod: KubeObject): BackedUpVolume[] {
  const env = ctx.env.podVolumes;
  if (!env || target.groupResource !== 'pods') return [];
  return volumesToRestore(pod, target.sourceNamespace ?? '', env.index, {
    backupStorageLocation: env.backupStorageLocation,
  });
}
