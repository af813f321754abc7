import type { Cluster } from '../../kube/cluster.ts';
import type { KubeObject } from '../../kube/object.ts';

export const NAMESPACES = { group: '', version: 'v1', resource: 'namespaces' };

/** The live Namespace: its UID is what tenant ownership is keyed by. */
export function liveNamespace(cluster: Cluster, name: string): Promise<KubeObject | undefined> {
  return cluster.find(NAMESPACES, name);
}
