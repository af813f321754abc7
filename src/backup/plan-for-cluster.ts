import type { BackupSpec } from '../api/backup.ts';
import type { Cluster } from '../kube/cluster.ts';
import type { KubeObject } from '../kube/object.ts';
import { defaultBackupActions } from './actions/registry.ts';
import { collectBackupItems, type CollectedEvent } from './collect/collect-items.ts';
import { clusterItemSource } from './collect/item-source.ts';
import { groupVersionText, type UnavailableGroupVersion } from '../kube/discovery.ts';
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
}

/** Reads what the planner needs from the cluster (discovery, namespaces) and plans. Writes nothing. */
export async function planBackupForCluster(
  cluster: Cluster,
  spec: BackupSpec,
  options: BackupPlanOptions = {},
): Promise<BackupPlan> {
  // Fresh discovery per backup: CRDs installed since the last one must be seen.
  const discovering = cluster.discover(true);
  discovering.catch(() => undefined);
  const namespaces: NamespaceInfo[] = [];
  for await (const ns of cluster.list(NAMESPACES)) namespaces.push(namespaceInfo(ns));
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

function namespaceInfo(ns: KubeObject): NamespaceInfo {
  const phase = (ns.status as { phase?: string } | undefined)?.phase;
  return {
    name: ns.metadata.name ?? '',
    ...(ns.metadata.labels ? { labels: ns.metadata.labels } : {}),
    ...(phase ? { phase } : {}),
  };
}
