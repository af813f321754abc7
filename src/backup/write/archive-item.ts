import type { ArchiveItem } from '../../archive/index.ts';
import type { ResourceType } from '../../kube/resource.ts';
import { objectJson, type ListedObject } from '../../kube/served-list.ts';

/**
 * A collected object as the tarball writer takes it. `preferredVersion` false puts it only
 * under `resources/<gr>/<version>/` (EnableAPIGroupVersions, reference §2.4).
 */
export function archiveItem(type: ResourceType, item: ListedObject, preferredVersion: boolean): ArchiveItem {
  return {
    group: type.group,
    version: type.version,
    resource: type.resource,
    namespaced: type.namespaced,
    namespace: item.metadata.namespace,
    name: item.metadata.name ?? '',
    preferredVersion,
    json: objectJson(item),
  };
}
