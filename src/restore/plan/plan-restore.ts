import type { RestoreSpec } from '../../api/restore.ts';
import { Labels } from '../../api/labels.ts';
import type { Discovery } from '../../kube/discovery.ts';
import type { KubeObject } from '../../kube/object.ts';
import {
  hasLabelSelection,
  mapNamespace,
  resolveRestoreSelection,
  validateRestoreSelection,
} from '../../selection/index.ts';
import { ValidationError } from '../../util/errors.ts';
import { defaultRestoreActions, type RestoreActionRegistry } from '../actions/registry.ts';
import { CHANGE_TOPOLOGY_LABEL, topologyMapProblems } from '../actions/topology-actions.ts';
import type { RestoreActionEnv } from '../actions/types.ts';
import { DATA_UPLOAD_GROUP_RESOURCE, indexDataUploads } from '../actions/data-mover-actions.ts';
import type { CatalogueEntry, ItemCatalogue } from '../read/catalogue.ts';
import { restoreHookWarnings } from '../hooks/restore-hook-spec.ts';
import { isBackendLastResource } from './backends.ts';
import { NAMESPACE_TYPE, planNamespaces } from './namespaces.ts';
import type { PlanResourceModifiers } from '../modifiers/modify-item.ts';
import { exclusion, includedAsPrimary, planItem, type LiveLookup, type PlanContext } from './plan-item.ts';
import {
  CRD_GROUP_RESOURCE,
  DEFAULT_RESTORE_PRIORITIES,
  NAMESPACES_GROUP_RESOURCE,
  orderResourceGroups,
  type ResourceGroup,
  type RestorePriorities,
} from './priorities.ts';
import { TargetTypes } from './target-types.ts';
import {
  ExistingPolicy,
  TierWait,
  type RestoreOperation,
  type RestorePlan,
  type RestorePlanStream,
  type RestoreTier,
  type StreamedTier,
} from './types.ts';
import {
  additionalKey,
  decidePersistentVolumes,
  podAdditionalItems,
  pvcAdditionalItems,
  volumeSnapshotAdditionalItems,
} from './volumes.ts';
import { VS_GROUP_RESOURCE } from '../../volumes/csi/snapshot-objects.ts';
import { claimsBackedUpByPods, indexPodVolumeBackups, type PodVolumeRestoreEnv } from '../volumes/pod-volumes.ts';
import { POD_VOLUME_RESTORE_PLUGIN_LABEL } from '../volumes/restore-wait.ts';
import { includesResource, type RestoreSelection } from '../../selection/index.ts';

export { NAMESPACE_TYPE };

export interface RestorePlanInput {
  restoreName: string;
  spec: RestoreSpec;
  catalogue: ItemCatalogue;
  /** The target cluster's discovery (constructible from plain data: `new Discovery(types, preferred)`). */
  discovery: Discovery;
  live: LiveLookup;
  /** `--restore-resource-priorities`; Velero's defaults when absent. */
  priorities?: RestorePriorities;
  /**
   * ConfigMaps in the Velero namespace labelled `velero.io/plugin-config` (reference §4.6), and
   * those labelled `skiff.io/change-topology` (so that one missing the first label is named, not ignored).
   */
  pluginConfigs?: readonly KubeObject[];
  /** The backup's `volumeinfo` file (reference §1.14), for the PV decision. */
  volumeInfo?: readonly unknown[];
  /** StorageClass names in the target cluster, for change-storage-class. */
  storageClasses?: readonly string[];
  actions?: RestoreActionRegistry;
  /** The parsed `spec.resourceModifier` ConfigMap (reference §4.8), applied to each item after its actions. */
  resourceModifiers?: PlanResourceModifiers;
  /** The backup's `podvolumebackups` file (reference §6.5): which pod volumes get data back. */
  podVolumeBackups?: readonly unknown[];
  /** The Restore's uid (restore-wait's argument; a placeholder in a dry run). */
  restoreUID?: string;
  /** The backup's storage location (PodVolumeRestores read its repositories). */
  backupStorageLocation?: string;
  /** Node names in the target cluster (the CSI claim action keeps a selected node that exists). */
  nodes?: readonly string[];
}

/** Plugin ConfigMaps the restore actions read, by their plugin label (reference §4.5, §4.6; the last is Skiff's). */
const PLUGIN_LABELS = [
  'velero.io/change-storage-class',
  'velero.io/change-image-name',
  POD_VOLUME_RESTORE_PLUGIN_LABEL,
  CHANGE_TOPOLOGY_LABEL,
] as const;
const REMOVED_PLUGIN_LABELS = ['velero.io/change-pvc-node-selector'] as const;

/**
 * Plans a restore without writing anything: which objects are created, updated, skipped or
 * in conflict, tier by tier in Velero's order (reference §4.2–4.5). Reads item bodies from
 * the catalogue and live objects through `live`. Throws `ValidationError` for a spec the
 * restore controller would move to FailedValidation (reference §1.2).
 *
 * The whole plan in memory: for tests and small restores. The restore and the dry run use
 * `streamRestorePlan`, which this collects.
 */
export async function planRestore(input: RestorePlanInput): Promise<RestorePlan> {
  return collectPlan(await streamRestorePlan(input));
}

/** A streamed plan, collected into memory. */
export async function collectPlan(stream: RestorePlanStream): Promise<RestorePlan> {
  const { tiers: streamed, totalItems: _totalItems, ...header } = stream;
  const tiers: RestoreTier[] = [];
  for await (const tier of streamed) {
    const operations: RestoreOperation[] = [];
    for await (const op of tier.operations) operations.push(op);
    tiers.push({ resources: tier.resources, ...(tier.wait ? { wait: tier.wait } : {}), operations });
  }
  return { ...header, tiers };
}

/**
 * The plan as a stream (see `RestorePlanStream`): everything restore-level is decided here,
 * and each tier's operations are planned one item at a time while the caller consumes them,
 * so at most the caller's in-flight objects are ever prepared at once. A first pass over the
 * catalogue, which keeps no objects, finds the namespaces the items go into (the namespace
 * tier precedes them) and counts the restore records for progress.
 */
export async function streamRestorePlan(input: RestorePlanInput): Promise<RestorePlanStream> {
  const { spec, catalogue } = input;
  const policy = validatePolicy(spec);
  const problems = validateRestoreSelection(spec);
  if (problems.length > 0) throw new ValidationError(problems.join('; '));
  const warnings: string[] = [];
  const errors: string[] = [];
  const read = (gr: string): Promise<KubeObject[]> =>
    Promise.all([...catalogue.entries(gr)].map((e) => catalogue.read(e)));
  const types = new TargetTypes(input.discovery, await read(CRD_GROUP_RESOURCE));
  const selection = resolveRestoreSelection(spec, (n) => types.resolve(n));
  const env = await buildEnv(input, read, selection, { warnings, errors });
  warnings.push(...restoreHookWarnings(spec));
  const createdNamespaces = new Set<string>();
  const ctx: PlanContext = {
    spec,
    selection,
    types,
    env,
    actions: input.actions ?? defaultRestoreActions(),
    policy,
    live: input.live,
    additional: new Set(),
    createdNamespaces,
    ...(input.resourceModifiers ? { modifiers: input.resourceModifiers } : {}),
  };
  ctx.additional = await additionalItems(catalogue, (e, o) => includedAsPrimary(ctx, e, o));
  for (const issue of catalogue.issues) warnings.push(`${issue.message}; the item is not restored`);
  if (catalogue.groupResources.length === 0) warnings.push('zero items to be restored');
  const groups = orderResourceGroups(catalogue.groupResources, input.priorities ?? DEFAULT_RESTORE_PRIORITIES, (n) =>
    types.resolveName(n),
  );
  const census = await takeCensus(ctx, catalogue, groups);
  const tiers: StreamedTier[] = groups.map((group) => ({
    resources: group.resources,
    ...tierWait(group),
    operations: planGroup(ctx, catalogue, group.resources),
  }));
  if (census.namespaces.size > 0) {
    const nsTier: StreamedTier = {
      resources: [NAMESPACES_GROUP_RESOURCE],
      wait: TierWait.Active,
      operations: planNamespaces(census.namespaces, backedUpNamespaces(catalogue), input.live, createdNamespaces),
    };
    tiers.splice(tiers[0]?.wait === TierWait.Established ? 1 : 0, 0, nsTier);
  }
  return {
    restoreName: input.restoreName,
    backupName: spec.backupName ?? '',
    policy,
    tiers,
    warnings,
    errors,
    env,
    totalItems: census.records + census.namespaces.size,
  };
}

/** What a tier waits for: CRDs become Established after; webhooks and APIServices wait for their backends before. */
function tierWait(group: ResourceGroup): { wait?: TierWait } {
  if (group.resources.includes(CRD_GROUP_RESOURCE)) return { wait: TierWait.Established };
  if (group.resources.length === 1 && isBackendLastResource(group.resources[0] ?? ''))
    return { wait: TierWait.Backends };
  return {};
}

/**
 * How many items are read and planned ahead of the consumer. Planning an item may wait on a
 * LIST of its (type, namespace) in the target cluster; a backup of many small namespaces has one
 * such LIST per few items, so planning them one after another left the restore waiting on one
 * request at a time (measured: 2,000 namespaces restored at a few dozen items/s). Items plan
 * independently of each other, so they overlap; the consumer still takes them in catalogue order.
 */
export const PLAN_AHEAD = 16;

/** A tier's operations, in catalogue order, with up to PLAN_AHEAD items read and planned ahead. */
async function* planGroup(
  ctx: PlanContext,
  catalogue: ItemCatalogue,
  resources: readonly string[],
): AsyncGenerator<RestoreOperation> {
  for (const gr of resources) {
    const ahead: Promise<RestoreOperation>[] = [];
    const entries = catalogue.entries(gr)[Symbol.iterator]();
    const fill = (): void => {
      while (ahead.length < PLAN_AHEAD) {
        const next = entries.next();
        if (next.done) return;
        const entry = next.value;
        const op = catalogue.read(entry).then((object) => planItem(ctx, entry, object));
        op.catch(() => undefined);
        ahead.push(op);
      }
    };
    fill();
    for (let op = ahead.shift(); op; op = ahead.shift()) {
      const planned = await op;
      fill();
      yield planned;
    }
  }
}

interface Census {
  /** Target namespace → its source namespace, for every namespace an item is restored into. */
  namespaces: Map<string, string>;
  /** Operations of the item tiers that are restore records (`isRestoreRecord`). */
  records: number;
}

/**
 * The first pass: for each item, whether it will be a restore record and which namespace it
 * goes into, decided as `planItem` decides it (filters, then the target type and scope) from
 * the catalogue entry alone. Bodies are read only when a label selector needs the labels.
 * One difference: an item whose restore item action fails still has its namespace created.
 */
async function takeCensus(
  ctx: PlanContext,
  catalogue: ItemCatalogue,
  groups: readonly ResourceGroup[],
): Promise<Census> {
  const census: Census = { namespaces: new Map(), records: 0 };
  const needsLabels = hasLabelSelection(ctx.selection);
  for (const group of groups) {
    for (const gr of group.resources) {
      for (const entry of catalogue.entries(gr)) {
        const labels = needsLabels ? ((await catalogue.read(entry)).metadata.labels ?? {}) : {};
        if (exclusion(ctx, entry, labels) !== null) continue;
        census.records++;
        // Never restored (velero.io/dataupload): the server namespace it was backed up in is not needed here.
        if (gr === DATA_UPLOAD_GROUP_RESOURCE) continue;
        const target = targetNamespace(ctx, entry);
        if (target !== undefined && !census.namespaces.has(target)) {
          census.namespaces.set(target, entry.namespace ?? target);
        }
      }
    }
  }
  return census;
}

/** The namespace a restored item goes into, or undefined when it is cluster-scoped or will fail on its type. */
function targetNamespace(ctx: PlanContext, entry: CatalogueEntry): string | undefined {
  if (entry.namespace === undefined) return undefined;
  const lookup = ctx.types.forItem(entry.group, entry.resource, entry.apiVersion);
  if ('error' in lookup || !lookup.type.namespaced) return undefined;
  return mapNamespace(ctx.spec, entry.namespace);
}

/** The backup's Namespace objects, read one at a time when the namespace tier needs them. */
function backedUpNamespaces(catalogue: ItemCatalogue): (name: string) => Promise<KubeObject | undefined> {
  const byName = new Map<string, CatalogueEntry>();
  for (const e of catalogue.entries(NAMESPACES_GROUP_RESOURCE)) byName.set(e.name, e);
  return async (name) => {
    const entry = byName.get(name);
    return entry ? catalogue.read(entry) : undefined;
  };
}

function validatePolicy(spec: RestoreSpec): ExistingPolicy {
  const raw = spec.existingResourcePolicy ?? '';
  if (raw === '' || raw === ExistingPolicy.None) return ExistingPolicy.None;
  if (raw === ExistingPolicy.Update) return ExistingPolicy.Update;
  throw new ValidationError(`invalid existingResourcePolicy ${JSON.stringify(raw)}: use "none" or "update"`);
}

async function buildEnv(
  input: RestorePlanInput,
  read: (gr: string) => Promise<KubeObject[]>,
  selection: RestoreSelection,
  out: { warnings: string[]; errors: string[] },
): Promise<RestoreActionEnv> {
  const spec = input.spec;
  const restorePVs = spec.restorePVs !== false;
  const pvbs = input.podVolumeBackups ?? [];
  const pvs = decidePersistentVolumes(
    await read('persistentvolumes'),
    input.volumeInfo ?? [],
    restorePVs,
    claimsBackedUpByPods(pvbs),
  );
  const podVolumes = podVolumeEnv(input, selection, out);
  const dataUploads = await read(DATA_UPLOAD_GROUP_RESOURCE);
  out.warnings.push(...pvs.warnings);
  const serviceAccounts: Record<string, string[]> = {};
  for (const e of input.catalogue.entries('serviceaccounts')) {
    (serviceAccounts[e.namespace ?? ''] ??= []).push(e.name);
  }
  return {
    restoreName: input.restoreName,
    backupName: spec.backupName ?? '',
    namespaceMapping: spec.namespaceMapping ?? {},
    preserveNodePorts: spec.preserveNodePorts === true,
    restorePVs,
    pvDecisions: pvs.decisions,
    pluginConfigs: pluginConfigs(input.pluginConfigs ?? [], out),
    ...(input.storageClasses ? { storageClasses: [...input.storageClasses] } : {}),
    serviceAccounts,
    ...(podVolumes ? { podVolumes, podVolumeClaims: [...claimsBackedUpByPods(pvbs)] } : {}),
    ...(spec.hooks?.resources?.length ? { hooks: spec.hooks.resources } : {}),
    csi: { restoreUID: input.restoreUID ?? '', ...(input.nodes ? { nodes: [...input.nodes] } : {}) },
    ...(dataUploads.length > 0 ? { dataMover: indexDataUploads(dataUploads, input.restoreUID ?? '') } : {}),
  };
}

/**
 * The pod volumes to restore (reference §6.5 step 2): only when the restore takes both PVCs
 * and PVs, as in Velero; otherwise the pods come back without their data, which is said.
 */
function podVolumeEnv(
  input: RestorePlanInput,
  selection: RestoreSelection,
  out: { warnings: string[] },
): PodVolumeRestoreEnv | undefined {
  const index = indexPodVolumeBackups(input.podVolumeBackups ?? []);
  const pods = Object.keys(index).length;
  const missing = ['persistentvolumeclaims', 'persistentvolumes'].filter(
    (gr) => !includesResource(selection.resources, gr),
  );
  if (missing.length > 0) {
    // Legacy `snapshot.velero.io/<volume>` annotations are not counted here: they are rare.
    if (pods > 0)
      out.warnings.push(
        `the backup has file-system backups of ${pods} pod(s), but the restore leaves out ${missing.join(' and ')}: their volume data is not restored`,
      );
    return undefined;
  }
  return {
    restoreUID: input.restoreUID ?? '',
    index,
    backupStorageLocation: input.backupStorageLocation ?? '',
  };
}

function pluginConfigs(
  configMaps: readonly KubeObject[],
  out: { warnings: string[]; errors: string[] },
): Record<string, Record<string, string>> {
  const configs: Record<string, Record<string, string>> = {};
  const isPlugin = (cm: KubeObject, label: string): boolean =>
    cm.metadata.labels?.[Labels.PluginConfig] !== undefined && cm.metadata.labels[label] === 'RestoreItemAction';
  for (const label of PLUGIN_LABELS) {
    const found = configMaps.filter((cm) => isPlugin(cm, label));
    if (found.length > 1) {
      out.errors.push(`more than one ConfigMap is labelled ${label}=RestoreItemAction; the ${label} action is not run`);
    } else if (found[0]) {
      configs[label] = { ...((found[0].data as Record<string, string> | undefined) ?? {}) };
    }
  }
  checkTopologyMap(configMaps, configs[CHANGE_TOPOLOGY_LABEL]);
  for (const label of REMOVED_PLUGIN_LABELS) {
    if (configMaps.some((cm) => isPlugin(cm, label))) {
      out.warnings.push(
        `the ${label} ConfigMap is ignored: Velero removed that action in 1.18 and the selected-node annotation is always removed`,
      );
    }
  }
  return configs;
}

/**
 * A topology map that cannot be applied as written fails the restore before anything is
 * created: restoring the objects with the source cluster's zones would leave them unschedulable.
 */
function checkTopologyMap(configMaps: readonly KubeObject[], data: Record<string, string> | undefined): void {
  for (const cm of configMaps) {
    const value = cm.metadata.labels?.[CHANGE_TOPOLOGY_LABEL];
    if (value === undefined) continue;
    const name = `ConfigMap ${cm.metadata.name ?? ''}`;
    if (value !== 'RestoreItemAction') {
      throw new ValidationError(
        `${name} is labelled ${CHANGE_TOPOLOGY_LABEL}=${JSON.stringify(value)}: the value must be RestoreItemAction`,
      );
    }
    if (cm.metadata.labels?.[Labels.PluginConfig] === undefined) {
      throw new ValidationError(
        `${name} is labelled ${CHANGE_TOPOLOGY_LABEL} but lacks the label ${Labels.PluginConfig}`,
      );
    }
  }
  if (data === undefined) return;
  const problems = topologyMapProblems(data);
  if (problems.length > 0) {
    throw new ValidationError(`the ${CHANGE_TOPOLOGY_LABEL} ConfigMap cannot be used: ${problems.join('; ')}`);
  }
}

/**
 * Items that included pods, PVCs and VolumeSnapshots pull in (reference §4.3, §7.5): their
 * PVCs, PVs, PriorityClasses, VolumeSnapshots and VolumeSnapshotContents.
 */
async function additionalItems(
  catalogue: ItemCatalogue,
  included: (entry: CatalogueEntry, object: KubeObject) => boolean,
): Promise<Set<string>> {
  const keys = new Set<string>();
  for (const e of catalogue.entries('pods')) {
    const pod = await catalogue.read(e);
    if (included(e, pod)) for (const k of podAdditionalItems(pod)) keys.add(k);
  }
  for (const e of catalogue.entries('persistentvolumeclaims')) {
    const pvc = await catalogue.read(e);
    const pulled = keys.has(additionalKey('persistentvolumeclaims', e.namespace, e.name));
    if (pulled || included(e, pvc)) for (const k of pvcAdditionalItems(pvc)) keys.add(k);
  }
  for (const e of catalogue.entries(VS_GROUP_RESOURCE)) {
    const vs = await catalogue.read(e);
    const pulled = keys.has(additionalKey(VS_GROUP_RESOURCE, e.namespace, e.name));
    if (pulled || included(e, vs)) for (const k of volumeSnapshotAdditionalItems(vs)) keys.add(k);
  }
  return keys;
}
