import type { BackupSpec } from '../api/backup.ts';
import type { Cluster } from '../kube/cluster.ts';
import type { KubeObject } from '../kube/object.ts';
import { defaultBackupActions } from './actions/registry.ts';
import { collectBackupItems, type CollectedEvent } from './collect/collect-items.ts';
import { clusterItemSource } from './collect/item-source.ts';
import { planBackup, type BackupPlan, type NamespaceInfo } from './plan/backup-plan.ts';

/** The namespaces, as a list call takes them. */
export const NAMESPACES = {
  group: '',
  version: 'v1',
  resource: 'namespaces',
  kind: 'Namespace',
  namespaced: false,
  verbs: [],
};

/** Reads what the planner needs from the cluster (discovery, namespaces) and plans. Writes nothing. */
export async function planBackupForCluster(cluster: Cluster, spec: BackupSpec): Promise<BackupPlan> {
  // Fresh discovery per backup: CRDs installed since the last one must be seen.
  const discovering = cluster.discover(true);
  discovering.catch(() => undefined);
  const namespaces: NamespaceInfo[] = [];
  for await (const ns of cluster.list(NAMESPACES)) namespaces.push(namespaceInfo(ns));
  const discovery = await discovering;
  return planBackup({ spec, resourceTypes: discovery.preferred, resolve: (n) => discovery.resolve(n), namespaces });
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
