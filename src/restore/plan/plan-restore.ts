import type { RestoreSpec } from '../../api/restore.ts';
import { Labels } from '../../api/labels.ts';
import type { Discovery } from '../../kube/discovery.ts';
import type { KubeObject } from '../../kube/object.ts';
import { resolveRestoreSelection, validateRestoreSelection } from '../../selection/index.ts';
import { ValidationError } from '../../util/errors.ts';
import { defaultRestoreActions, type RestoreActionRegistry } from '../actions/registry.ts';
import { CHANGE_TOPOLOGY_LABEL, topologyMapProblems } from '../actions/topology-actions.ts';
import type { RestoreActionEnv } from '../actions/types.ts';
import type { CatalogueEntry, ItemCatalogue } from '../read/catalogue.ts';
import { NAMESPACE_TYPE, planNamespaces } from './namespaces.ts';
import type { PlanResourceModifiers } from '../modifiers/modify-item.ts';
import { includedAsPrimary, planItem, type LiveLookup, type PlanContext } from './plan-item.ts';
import {
  CRD_GROUP_RESOURCE,
  DEFAULT_RESTORE_PRIORITIES,
  NAMESPACES_GROUP_RESOURCE,
  orderResourceGroups,
  type RestorePriorities,
} from './priorities.ts';
import { TargetTypes } from './target-types.ts';
import { ExistingPolicy, isRestoreRecord, TierWait, type RestorePlan, type RestoreTier } from './types.ts';
import { additionalKey, decidePersistentVolumes, podAdditionalItems, pvcAdditionalItems } from './volumes.ts';

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
}

/** Plugin ConfigMaps the restore actions read, by their plugin label (reference §4.5, §4.6; the last is Skiff's). */
const PLUGIN_LABELS = ['velero.io/change-storage-class', 'velero.io/change-image-name', CHANGE_TOPOLOGY_LABEL] as const;
const REMOVED_PLUGIN_LABELS = ['velero.io/change-pvc-node-selector'] as const;

/**
 * Plans a restore without writing anything: which objects are created, updated, skipped or
 * in conflict, tier by tier in Velero's order (reference §4.2–4.5). Reads item bodies from
 * the catalogue and live objects through `live`. Throws `ValidationError` for a spec the
 * restore controller would move to FailedValidation (reference §1.2).
 */
export async function planRestore(input: RestorePlanInput): Promise<RestorePlan> {
  const { spec, catalogue } = input;
  const policy = validatePolicy(spec);
  const problems = validateRestoreSelection(spec);
  if (problems.length > 0) throw new ValidationError(problems.join('; '));
  const warnings: string[] = [];
  const errors: string[] = [];
  const read = (gr: string): Promise<KubeObject[]> =>
    Promise.all((catalogue.resources.get(gr) ?? []).map((e) => catalogue.read(e)));
  const types = new TargetTypes(input.discovery, await read(CRD_GROUP_RESOURCE));
  const selection = resolveRestoreSelection(spec, (n) => types.resolve(n));
  const env = await buildEnv(input, read, { warnings, errors });
  const ctx: PlanContext = {
    spec,
    selection,
    types,
    env,
    actions: input.actions ?? defaultRestoreActions(),
    policy,
    live: input.live,
    additional: new Set(),
    ...(input.resourceModifiers ? { modifiers: input.resourceModifiers } : {}),
  };
  ctx.additional = await additionalItems(catalogue, (e, o) => includedAsPrimary(ctx, e, o));
  for (const issue of catalogue.issues) warnings.push(`${issue.message}; the item is not restored`);
  if (catalogue.resources.size === 0) warnings.push('zero items to be restored');
  const groups = orderResourceGroups(catalogue.resources.keys(), input.priorities ?? DEFAULT_RESTORE_PRIORITIES, (n) =>
    types.resolveName(n),
  );
  const tiers: RestoreTier[] = [];
  for (const group of groups) {
    const tier: RestoreTier = { resources: group.resources, operations: [] };
    if (group.resources.includes(CRD_GROUP_RESOURCE)) tier.wait = TierWait.Established;
    for (const gr of group.resources) {
      for (const entry of catalogue.resources.get(gr) ?? []) {
        tier.operations.push(await planItem(ctx, entry, await catalogue.read(entry)));
      }
    }
    tiers.push(tier);
  }
  const nsTier = await namespaceTier(tiers, catalogue, read, input.live);
  if (nsTier) tiers.splice(tiers[0]?.wait === TierWait.Established ? 1 : 0, 0, nsTier);
  return { restoreName: input.restoreName, backupName: spec.backupName ?? '', policy, tiers, warnings, errors, env };
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
  out: { warnings: string[]; errors: string[] },
): Promise<RestoreActionEnv> {
  const spec = input.spec;
  const restorePVs = spec.restorePVs !== false;
  const pvs = decidePersistentVolumes(await read('persistentvolumes'), input.volumeInfo ?? [], restorePVs);
  out.warnings.push(...pvs.warnings);
  const serviceAccounts: Record<string, string[]> = {};
  for (const e of input.catalogue.resources.get('serviceaccounts') ?? []) {
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

/** Items that included pods and PVCs pull in (reference §4.3): their PVCs, PVs and PriorityClasses. */
async function additionalItems(
  catalogue: ItemCatalogue,
  included: (entry: CatalogueEntry, object: KubeObject) => boolean,
): Promise<Set<string>> {
  const keys = new Set<string>();
  for (const e of catalogue.resources.get('pods') ?? []) {
    const pod = await catalogue.read(e);
    if (included(e, pod)) for (const k of podAdditionalItems(pod)) keys.add(k);
  }
  for (const e of catalogue.resources.get('persistentvolumeclaims') ?? []) {
    const pvc = await catalogue.read(e);
    const pulled = keys.has(additionalKey('persistentvolumeclaims', e.namespace, e.name));
    if (pulled || included(e, pvc)) for (const k of pvcAdditionalItems(pvc)) keys.add(k);
  }
  return keys;
}

async function namespaceTier(
  tiers: readonly RestoreTier[],
  catalogue: ItemCatalogue,
  read: (gr: string) => Promise<KubeObject[]>,
  live: LiveLookup,
): Promise<RestoreTier | undefined> {
  const targets = new Map<string, string>();
  for (const tier of tiers) {
    for (const op of tier.operations) {
      const { namespace, sourceNamespace } = op.target;
      if (isRestoreRecord(op) && op.kind !== 'fail' && namespace !== undefined && !targets.has(namespace)) {
        targets.set(namespace, sourceNamespace ?? namespace);
      }
    }
  }
  if (targets.size === 0) return undefined;
  const backedUp = new Map<string, KubeObject>();
  const entries: readonly CatalogueEntry[] = catalogue.resources.get(NAMESPACES_GROUP_RESOURCE) ?? [];
  const objects = await read(NAMESPACES_GROUP_RESOURCE);
  entries.forEach((e, i) => {
    const obj = objects[i];
    if (obj) backedUp.set(e.name, obj);
  });
  return {
    resources: [NAMESPACES_GROUP_RESOURCE],
    wait: TierWait.Active,
    operations: await planNamespaces(targets, backedUp, live),
  };
}
