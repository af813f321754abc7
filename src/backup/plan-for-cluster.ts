import type { BackupSpec } from '../api/backup.ts';
import type { Cluster } from '../kube/cluster.ts';
import type { KubeObject } from '../kube/object.ts';
import { defaultBackupActions } from './actions/registry.ts';
import { collectBackupItems, LIST_CONCURRENCY, listUnits, type CollectedEvent } from './collect/collect-items.ts';
import { clusterItemSource } from './collect/item-source.ts';
import { groupVersionText, type Discovery, type UnavailableGroupVersion } from '../kube/discovery.ts';
import { planBackup, type BackupPlan, type NamespaceInfo, type UnavailableApiGroup } from './plan/backup-plan.ts';

/** The namespaces, as a list call takes them. */
export const NAMESPACES = {
  group: '',
  version: 'v1',
  resource: 'namespaces',
  kind: 'Namespace',
  namespaced: false,
  verbs: [],
};

export interface BackupPlanOptions {
  /** Annotation skiff.io/include-app-cluster-resources, already parsed. */
  includeAppClusterResources?: boolean;
  /** The LIST page size the backup will use (BackupRunDeps.pageSize; 500 by default): its first pages are asked for while planning. */
  pageSize?: number;
  /** The backup's LISTs at a time (BackupRunDeps.listConcurrency). */
  listConcurrency?: number;
}

/** The namespaces each cluster had at its last backup plan: the guess for the next one (prefetchFirstLists). */
const lastNamespaces = new WeakMap<Cluster, NamespaceInfo[]>();

/** Reads what the planner needs from the cluster (discovery, namespaces) and plans. Writes nothing. */
export async function planBackupForCluster(
  cluster: Cluster,
  spec: BackupSpec,
  options: BackupPlanOptions = {},
): Promise<BackupPlan> {
  // Fresh discovery per backup: CRDs installed since the last one must be seen.
  const known = cluster.lastDiscovery;
  const discovering = cluster.discover(true);
  discovering.catch(() => undefined);
  const namespaces: NamespaceInfo[] = [];
  const listing = (async () => {
    for await (const ns of cluster.list(NAMESPACES)) namespaces.push(namespaceInfo(ns));
  })();
  listing.catch(() => undefined);
  prefetchFirstLists(cluster, spec, options, known);
  await listing;
  lastNamespaces.set(cluster, namespaces);
  const discovery = await discovering;
  return planBackup({
    spec,
    resourceTypes: discovery.preferred,
    resolve: (n) => discovery.resolve(n),
    namespaces,
    unavailableGroupVersions: await Promise.all(discovery.unavailable.map((gv) => whyUnavailable(cluster, gv))),
    ...(options.includeAppClusterResources ? { includeAppClusterResources: true } : {}),
  });
}

/**
 * Asks for the first pages of the backup's first LISTs while discovery and the namespace
 * list, which the plan needs, are under way: planned with the cluster's previous discovery
 * and namespaces (the spec's namespaces when it names them and no plan was made yet; `skiff
 * server` discovers at start-up), the plan is nearly always the one about to be made, and its first lists
 * then start with their first page already under way or in (Cluster.prefetchFirstPage). A
 * guess that turns out wrong costs only those requests: a list takes a prefetched page only
 * when its path and query are the same. Why: at 10,000 objects the LISTs take ~0.3 s, and
 * planning, one round trip and more, came before the first of them.
 */
function prefetchFirstLists(
  cluster: Cluster,
  spec: BackupSpec,
  options: BackupPlanOptions,
  discovery: Discovery | undefined,
): void {
  const namespaces = lastNamespaces.get(cluster) ?? namedNamespaces(spec);
  if (!discovery || !namespaces) return;
  let guess: BackupPlan;
  try {
    guess = planBackup({
      spec,
      resourceTypes: discovery.preferred,
      resolve: (n) => discovery.resolve(n),
      namespaces,
      unavailableGroupVersions: [],
      ...(options.includeAppClusterResources ? { includeAppClusterResources: true } : {}),
    });
  } catch {
    return; // the real plan says what is wrong
  }
  if (guess.validationErrors.length > 0) return;
  for (const unit of listUnits(guess).slice(0, options.listConcurrency ?? LIST_CONCURRENCY)) {
    const namespace = unit.namespaces[0];
    const labelSelector = unit.labelSelectors[0];
    cluster.prefetchFirstPage(unit.type, {
      pageSize: options.pageSize ?? 500,
      ...(namespace ? { namespace } : {}),
      ...(labelSelector ? { labelSelector } : {}),
    });
  }
}

const API_SERVICES = { group: 'apiregistration.k8s.io', version: 'v1', resource: 'apiservices' };

/** An unavailable group-version, with what its APIService says about it (the reason a user can act on). */
async function whyUnavailable(cluster: Cluster, gv: UnavailableGroupVersion): Promise<UnavailableApiGroup> {
  const groupVersion = groupVersionText(gv);
  const name = `${gv.version}.${gv.group}`;
  let reason = gv.detail ? `discovery failed: ${gv.detail}` : 'discovery has no current answer for it';
  try {
    const apiService = gv.group === '' ? undefined : await cluster.find(API_SERVICES, name);
    if (apiService) {
      const conditions = (apiService.status as { conditions?: unknown } | undefined)?.conditions;
      const available = Array.isArray(conditions)
        ? (conditions as { type?: string; status?: string; reason?: string; message?: string }[]).find(
            (c) => c.type === 'Available',
          )
        : undefined;
      reason =
        available && available.status !== 'True'
          ? `its APIService ${name} is not Available: ${available.reason ?? ''}: ${available.message ?? ''}`
          : `its APIService ${name} does not answer discovery`;
    }
  } catch {
    // Reading the APIService is a courtesy: the warning stands without it.
  }
  return { groupVersion, reason };
}

/** The stream of items a backup of this plan would take (and leave out), read from the cluster. */
export async function collectFromCluster(
  cluster: Cluster,
  backupName: string,
  plan: BackupPlan,
): Promise<AsyncGenerator<CollectedEvent>> {
  const discovery = await cluster.discover();
  return collectBackupItems(plan, {
    backupName,
    source: clusterItemSource(cluster),
    actions: defaultBackupActions(),
    typeOf: (group, resource) => discovery.preferred.find((rt) => rt.group === group && rt.resource === resource),
  });
}

/** The spec's included namespaces, when it names each (no wildcard): the guess before any plan was made. */
function namedNamespaces(spec: BackupSpec): NamespaceInfo[] | undefined {
  const names = spec.includedNamespaces ?? [];
  if (names.length === 0 || names.some((n) => /[*?[\]]/.test(n))) return undefined;
  return names.map((name) => ({ name }));
}

function namespaceInfo(ns: KubeObject): NamespaceInfo {
  const phase = (ns.status as { phase?: string } | undefined)?.phase;
  return {
    name: ns.metadata.name ?? '',
    ...(ns.metadata.labels ? { labels: ns.metadata.labels } : {}),
    ...(phase ? { phase } : {}),
  };
}
