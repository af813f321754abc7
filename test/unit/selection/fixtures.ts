import type { ResourceResolver } from '../../../src/selection/resource-filter.ts';
import type { SelectionItem } from '../../../src/selection/item.ts';

interface FakeType {
  group: string;
  resource: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
}

const TYPES: FakeType[] = [
  { group: '', resource: 'pods', kind: 'Pod', namespaced: true, shortNames: ['po'] },
  { group: '', resource: 'secrets', kind: 'Secret', namespaced: true },
  { group: '', resource: 'configmaps', kind: 'ConfigMap', namespaced: true, shortNames: ['cm'] },
  {
    group: '',
    resource: 'persistentvolumeclaims',
    kind: 'PersistentVolumeClaim',
    namespaced: true,
    shortNames: ['pvc'],
  },
  { group: '', resource: 'persistentvolumes', kind: 'PersistentVolume', namespaced: false, shortNames: ['pv'] },
  { group: '', resource: 'namespaces', kind: 'Namespace', namespaced: false, shortNames: ['ns'] },
  { group: '', resource: 'nodes', kind: 'Node', namespaced: false, shortNames: ['no'] },
  { group: 'apps', resource: 'deployments', kind: 'Deployment', namespaced: true, shortNames: ['deploy'] },
  { group: 'rbac.authorization.k8s.io', resource: 'clusterroles', kind: 'ClusterRole', namespaced: false },
  { group: 'storage.k8s.io', resource: 'storageclasses', kind: 'StorageClass', namespaced: false, shortNames: ['sc'] },
];

/** A stand-in for `Discovery.resolve`: plural, singular (kind), short name, optionally `.group`. */
export const resolve: ResourceResolver = (name) => {
  const lower = name.toLowerCase();
  for (const t of TYPES) {
    const names = [t.resource, t.kind.toLowerCase(), ...(t.shortNames ?? [])];
    if (names.some((n) => n === lower || `${n}.${t.group}` === lower)) return t;
  }
  return undefined;
};

export function nsItem(
  groupResource: string,
  namespace: string,
  name = 'x',
  labels: Record<string, string> = {},
): SelectionItem {
  return { groupResource, namespaced: true, namespace, name, labels };
}

export function clusterItem(groupResource: string, name = 'x', labels: Record<string, string> = {}): SelectionItem {
  return { groupResource, namespaced: false, name, labels };
}
