import type { Cluster } from '../../kube/cluster.ts';
import type { KubeObject } from '../../kube/object.ts';
import type { ResourceRef, ResourceType } from '../../kube/resource.ts';
import type { ListedObject } from '../../kube/served-list.ts';

/** Read access to the objects a backup collects: a Cluster, or plain data in unit tests. */
export interface ItemSource {
  /**
   * Pages of objects: the collector handles a page per turn instead of paying a turn per item.
   * Objects may come as served (ServedObject): the backup writes those without parsing them whole.
   */
  list(type: ResourceType, opts: { namespace?: string; labelSelector?: string }): AsyncIterable<ListedObject[]>;
  find(ref: ResourceRef, name: string, namespace?: string): Promise<KubeObject | undefined>;
}

export function clusterItemSource(cluster: Cluster, pageSize = 500): ItemSource {
  return {
    list: (type, opts) =>
      cluster.listServedPages(type, {
        pageSize,
        ...(opts.namespace ? { namespace: opts.namespace } : {}),
        ...(opts.labelSelector ? { labelSelector: opts.labelSelector } : {}),
      }),
    find: (ref, name, namespace) => cluster.find(ref, name, namespace),
  };
}
