import type { Readable } from 'node:stream';
import type { ArchiveLimits } from '../archive/index.ts';
import { Labels } from '../api/labels.ts';
import type { Restore } from '../api/restore.ts';
import { Kinds, resourceRef } from '../api/kinds.ts';
import type { Cluster } from '../kube/cluster.ts';
import type { Discovery } from '../kube/discovery.ts';
import { isNotFound, KubeApiError } from '../kube/errors.ts';
import type { KubeObject } from '../kube/object.ts';
import type { ResourceRef, ResourceType } from '../kube/resource.ts';
import type { BackupStore } from '../storage/index.ts';
import { ValidationError } from '../util/errors.ts';
import { sha256Stream } from '../util/sha256-stream.ts';
import { CHANGE_TOPOLOGY_LABEL } from './actions/topology-actions.ts';
import { loadResourceModifiers } from './modifiers/load.ts';
import type { ModifierEvent } from './modifiers/types.ts';
import type { LiveLookup } from './plan/plan-item.ts';
import { collectPlan, PLAN_AHEAD, streamRestorePlan, type RestorePlanInput } from './plan/plan-restore.ts';
import type { RestorePriorities } from './plan/priorities.ts';
import type { RestorePlan, RestorePlanStream } from './plan/types.ts';
import { readBackupCatalogue } from './read/read-backup.ts';
import { versionedCopies, type VersionedCopies } from './read/version-config.ts';
import type { ItemCatalogue } from './read/catalogue.ts';

export interface RestorePlanDeps {
  cluster: Cluster;
  store: BackupStore;
  /** Namespace of the Velero install, where plugin ConfigMaps live (default `velero`). */
  veleroNamespace?: string;
  /** `--restore-resource-priorities`, parsed. */
  priorities?: RestorePriorities;
  archiveLimits?: Partial<ArchiveLimits>;
  /** Parent directory of the restore's spool directory. */
  tempDir?: string;
  /** The server feature EnableAPIGroupVersions: choose each group's version (reference §2.4). */
  enableApiGroupVersions?: boolean;
  /** Told what each resource-modifier rule did to each object (the restore log records it). */
  onResourceModified?: (event: ModifierEvent) => void;
  /**
   * The sha256 the backup's tarball must have (a tenant backup's seal records it), checked over
   * the very bytes the restore reads, before anything is planned; `mismatch` is the error then.
   */
  expectedContent?: { sha256: string; mismatch: () => Error };
}

/**
 * Reads the backup and the live cluster and plans the restore, writing nothing: the whole
 * plan in memory (for tests and small tools). The restore and its dry run use `withRestorePlan`.
 */
export async function planRestoreForCluster(deps: RestorePlanDeps, restore: Restore): Promise<RestorePlan> {
  return withRestorePlan(deps, restore, (plan) => collectPlan(plan));
}

/**
 * Reads the backup into a catalogue and hands `use` the streamed plan against the live
 * cluster, with the notes on tarball entries the reader skipped (for the restore log). The
 * plan reads item bodies from the catalogue as it is consumed, so the catalogue lives until
 * `use` has finished with it. This is both the first half of `runRestore` and the whole of
 * `restore create --dry-run`.
 */
export async function withRestorePlan<T>(
  deps: RestorePlanDeps,
  restore: Restore,
  use: (plan: RestorePlanStream, notes: readonly string[]) => Promise<T>,
): Promise<T> {
  const backupName = restore.spec.backupName ?? '';
  if (backupName === '') throw new ValidationError('restore has no spec.backupName; resolve scheduleName first');
  const veleroNamespace = deps.veleroNamespace ?? 'velero';
  // Everything the plan needs is requested at once: one after another, these requests were
  // latency the restore spent before its first create. The tarball is the long one.
  // Reference §4.8: the ConfigMap lives in the Velero namespace.
  const modifiersRead = loadResourceModifiers(deps.cluster, veleroNamespace, restore.spec);
  // Fresh discovery: CRDs installed since the last restore must be seen.
  const discoveryRead = deps.cluster.discover(true);
  const reading = readCatalogue(deps, backupName, veleroNamespace, discoveryRead);
  const inputsRead = Promise.all([
    deps.store.getBackupFile(backupName, 'volumeInfo'),
    podVolumeInputs(deps, veleroNamespace, restore, backupName),
    discoveryRead.then((discovery) => planInputsFromCluster(deps.cluster, discovery, veleroNamespace)),
  ]);
  // Awaited below in a fixed order; until then a failure must not count as unhandled.
  for (const p of [modifiersRead, discoveryRead, reading.done, inputsRead]) p.catch(() => undefined);
  let catalogue: ItemCatalogue | undefined;
  try {
    // In the order a problem is reported: the modifiers first, to fail fast on a malformed rule.
    const modifiers = await modifiersRead;
    const discovery = await discoveryRead;
    const read = await reading.done;
    catalogue = read.catalogue;
    const [volumeInfo, podVolumes, fromCluster] = await inputsRead;
    const plan = await streamRestorePlan({
      restoreName: restore.metadata.name ?? '',
      spec: restore.spec,
      catalogue,
      discovery,
      live: clusterLiveLookup(deps.cluster, discovery),
      ...fromCluster,
      ...(Array.isArray(volumeInfo) ? { volumeInfo } : {}),
      ...podVolumes,
      ...(deps.priorities ? { priorities: deps.priorities } : {}),
      ...(modifiers ? { resourceModifiers: { ...modifiers, report: deps.onResourceModified } } : {}),
    });
    plan.warnings.push(...(read.versions?.warnings ?? []));
    return await use(plan, catalogue.notes);
  } finally {
    if (catalogue) await catalogue.dispose();
    else await reading.abandon();
    await Promise.allSettled([inputsRead]);
  }
}

interface CatalogueRead {
  catalogue: ItemCatalogue;
  versions: VersionedCopies | undefined;
}

/**
 * Reads the backup's tarball into a catalogue, beside the restore's other requests. `abandon`
 * stops a read that is no longer wanted (the restore failed before it used the catalogue) and
 * disposes what it made.
 */
function readCatalogue(
  deps: RestorePlanDeps,
  backupName: string,
  veleroNamespace: string,
  discoveryRead: Promise<Discovery>,
): { done: Promise<CatalogueRead>; abandon: () => Promise<void> } {
  let source: Readable | undefined;
  const state = { abandoned: false };
  const done = (async (): Promise<CatalogueRead> => {
    const versions = deps.enableApiGroupVersions
      ? await versionedCopies(deps.cluster, await discoveryRead, veleroNamespace)
      : undefined;
    const stored = await deps.store.getBackupContents(backupName);
    const checked = deps.expectedContent ? sha256Stream(stored) : undefined;
    source = checked?.stream ?? stored;
    if (state.abandoned) source.destroy();
    const catalogue = await readBackupCatalogue(source, {
      ...(deps.archiveLimits ? { limits: deps.archiveLimits } : {}),
      ...(deps.tempDir ? { tempDir: deps.tempDir } : {}),
      ...(versions ? { copies: versions.copies } : {}),
    }).catch(async (err: unknown) => {
      // A tarball that cannot be read may be one put in the sealed one's place: say so, rather
      // than what is wrong with the impostor.
      if (deps.expectedContent && (await storedSha256(deps.store, backupName)) !== deps.expectedContent.sha256)
        throw deps.expectedContent.mismatch();
      throw err;
    });
    if (checked && deps.expectedContent && (await checked.digest()) !== deps.expectedContent.sha256) {
      await catalogue.dispose();
      throw deps.expectedContent.mismatch();
    }
    return { catalogue, versions };
  })();
  return {
    done,
    abandon: async () => {
      state.abandoned = true;
      source?.destroy();
      const read = await done.catch(() => undefined);
      await read?.catalogue.dispose();
    },
  };
}

/** The sha256 hex of a backup's tarball as stored (or of nothing, when it cannot be read). */
async function storedSha256(store: BackupStore, backupName: string): Promise<string> {
  try {
    return await sha256Stream(await store.getBackupContents(backupName)).digest();
  } catch {
    return '';
  }
}

/** What the planner reads from the target cluster besides live objects: plugin ConfigMaps, StorageClasses, nodes. */
async function planInputsFromCluster(
  cluster: Cluster,
  discovery: Discovery,
  veleroNamespace: string,
): Promise<Pick<RestorePlanInput, 'pluginConfigs' | 'storageClasses' | 'nodes'>> {
  const storageClassesRef = { group: 'storage.k8s.io', version: 'v1', resource: 'storageclasses' };
  const [pluginConfigs, storageClasses, nodes] = await Promise.all([
    pluginConfigMaps(cluster, discovery, veleroNamespace),
    listOrEmpty(cluster, discovery, storageClassesRef),
    nodeNames(cluster, discovery),
  ]);
  return { pluginConfigs, storageClasses: storageClasses.map((sc) => sc.metadata.name ?? ''), ...nodes };
}

/** Placeholder for the Restore's uid in a dry run, whose Restore was never created. */
export const DRY_RUN_RESTORE_UID = '<restore-uid>';

/**
 * The backup's PodVolumeBackups (reference §6.5) and its storage location, which the
 * PodVolumeRestores name (a backup synced from another cluster may name a location its PVBs
 * do not).
 */
async function podVolumeInputs(
  deps: RestorePlanDeps,
  veleroNamespace: string,
  restore: Restore,
  backupName: string,
): Promise<Pick<RestorePlanInput, 'podVolumeBackups' | 'restoreUID' | 'backupStorageLocation'>> {
  const pvbs = await deps.store.getBackupFile(backupName, 'podVolumeBackups');
  if (!Array.isArray(pvbs) || pvbs.length === 0) return { restoreUID: restore.metadata.uid ?? DRY_RUN_RESTORE_UID };
  const backup = await deps.cluster.find(resourceRef(Kinds.Backup), backupName, veleroNamespace);
  const location = (backup?.spec as { storageLocation?: string } | undefined)?.storageLocation;
  return {
    podVolumeBackups: pvbs,
    restoreUID: restore.metadata.uid ?? DRY_RUN_RESTORE_UID,
    ...(location ? { backupStorageLocation: location } : {}),
  };
}

function typeFor(discovery: Discovery, ref: ResourceRef): ResourceType | undefined {
  return discovery.all.find(
    (rt) => rt.group === ref.group && rt.version === ref.version && rt.resource === ref.resource,
  );
}

/**
 * The cluster's node names, which decide whether a restored claim keeps its selected node. A
 * server that may not list nodes still restores: without the list the annotation is dropped,
 * as Velero always does.
 */
async function nodeNames(cluster: Cluster, discovery: Discovery): Promise<{ nodes?: string[] }> {
  try {
    const nodes = await listOrEmpty(cluster, discovery, { group: '', version: 'v1', resource: 'nodes' });
    return { nodes: nodes.map((n) => n.metadata.name ?? '') };
  } catch (err) {
    if (err instanceof KubeApiError && err.forbidden) return {};
    throw err;
  }
}

async function listOrEmpty(
  cluster: Cluster,
  discovery: Discovery,
  ref: ResourceRef,
  namespace?: string,
): Promise<KubeObject[]> {
  const type = typeFor(discovery, ref);
  if (!type) return [];
  const out: KubeObject[] = [];
  try {
    for await (const obj of cluster.list(type, namespace ? { namespace } : {})) out.push(obj);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  return out;
}

async function pluginConfigMaps(cluster: Cluster, discovery: Discovery, namespace: string): Promise<KubeObject[]> {
  const type = typeFor(discovery, { group: '', version: 'v1', resource: 'configmaps' });
  if (!type) return [];
  const byName = new Map<string, KubeObject>();
  // The second list finds a topology map that lacks the plugin-config label, so that the plan can name it.
  for (const labelSelector of [Labels.PluginConfig, CHANGE_TOPOLOGY_LABEL]) {
    for await (const cm of cluster.list(type, { namespace, labelSelector })) byName.set(cm.metadata.name ?? '', cm);
  }
  return [...byName.values()];
}

/**
 * Pages of live objects kept at once. The planner walks one (type, namespace) after another, with
 * PLAN_AHEAD items in flight, which may span as many small namespaces.
 */
const LIVE_PAGES = PLAN_AHEAD;

/**
 * Live objects, listed once per (type, namespace) (Velero reads through an informer cache
 * for the same reason, reference §4.4 step 9): one LIST instead of one GET per item. A type
 * the cluster does not serve yet (a CR whose CRD the restore creates) is empty. The planner
 * takes items grouped by type and then namespace, so only the last few pages are kept: the
 * pages it has moved past are dropped rather than held for the whole restore.
 */
export function clusterLiveLookup(cluster: Cluster, discovery: Discovery): LiveLookup {
  const cache = new Map<string, Promise<Map<string, KubeObject>>>();
  return async (ref, name, namespace) => {
    const key = `${ref.group}/${ref.version}/${ref.resource}|${namespace ?? ''}`;
    let page = cache.get(key);
    if (page) {
      // Most recently used last: Map keeps insertion order.
      cache.delete(key);
    } else {
      page = listOrEmpty(cluster, discovery, ref, namespace).then(
        (objs) => new Map(objs.map((o) => [o.metadata.name ?? '', o])),
      );
    }
    cache.set(key, page);
    for (const oldest of cache.keys()) {
      if (cache.size <= LIVE_PAGES) break;
      cache.delete(oldest);
    }
    return (await page).get(name);
  };
}
