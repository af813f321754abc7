import type { ItemSource } from '../../../src/backup/collect/item-source.ts';
import type { KubeObject, ResourceType } from '../../../src/kube/index.ts';

const ALL_VERBS = ['list', 'create', 'get', 'delete', 'watch', 'update', 'patch'];

export function rt(group: string, resource: string, kind: string, namespaced = true, version = 'v1'): ResourceType {
  return { group, version, resource, kind, namespaced, verbs: ALL_VERBS };
}

/** A small served API, in discovery order. */
export const TYPES: ResourceType[] = [
  rt('', 'configmaps', 'ConfigMap'),
  rt('', 'secrets', 'Secret'),
  rt('', 'namespaces', 'Namespace', false),
  rt('', 'persistentvolumes', 'PersistentVolume', false),
  rt('', 'persistentvolumeclaims', 'PersistentVolumeClaim'),
  rt('', 'pods', 'Pod'),
  rt('', 'serviceaccounts', 'ServiceAccount'),
  rt('', 'nodes', 'Node', false),
  rt('apps', 'deployments', 'Deployment'),
  rt('extensions', 'deployments', 'Deployment', true, 'v1beta1'),
  rt('rbac.authorization.k8s.io', 'clusterrolebindings', 'ClusterRoleBinding', false),
  rt('rbac.authorization.k8s.io', 'clusterroles', 'ClusterRole', false),
  rt('apiextensions.k8s.io', 'customresourcedefinitions', 'CustomResourceDefinition', false),
  rt('example.com', 'widgets', 'Widget'),
];

export function resolve(name: string): ResourceType | undefined {
  const [res, ...group] = name.split('.');
  return TYPES.find(
    (t) =>
      (t.resource === res || t.kind.toLowerCase() === res || t.resource.replace(/s$/, '') === res) &&
      (group.length === 0 || t.group === group.join('.')),
  );
}

export function typeOf(group: string, resource: string): ResourceType | undefined {
  return TYPES.find((t) => t.group === group && t.resource === resource);
}

export function obj(type: ResourceType, name: string, namespace?: string, extra: Partial<KubeObject> = {}): KubeObject {
  return {
    apiVersion: type.group ? `${type.group}/${type.version}` : type.version,
    kind: type.kind,
    ...extra,
    metadata: { name, ...(namespace ? { namespace } : {}), ...(extra.metadata ?? {}) },
  };
}

/** An ItemSource over plain objects, honouring namespace and `a=b` label selectors like the API server. */
export function memorySource(objects: KubeObject[]): ItemSource & { lists: string[] } {
  const lists: string[] = [];
  const matches = (o: KubeObject, selector?: string): boolean =>
    !selector ||
    selector.split(',').every((req) => {
      const [k, v] = req.split('=');
      return o.metadata.labels?.[k ?? ''] === v;
    });
  return {
    lists,
    async *list(type, opts) {
      lists.push(
        `${type.resource}${opts.namespace ? `@${opts.namespace}` : ''}${opts.labelSelector ? `?${opts.labelSelector}` : ''}`,
      );
      const page: KubeObject[] = [];
      for (const o of objects) {
        if (o.kind !== type.kind || (o.apiVersion.split('/')[0] !== type.group && type.group !== '')) continue;
        if (opts.namespace && o.metadata.namespace !== opts.namespace) continue;
        if (matches(o, opts.labelSelector)) page.push(structuredClone(o));
      }
      await Promise.resolve();
      // Two pages when there is more than one object, so page boundaries are exercised.
      const half = Math.ceil(page.length / 2);
      if (page.length > 0) yield page.slice(0, half);
      if (page.length > half) yield page.slice(half);
    },
    find(ref, name, namespace) {
      const type = typeOf(ref.group, ref.resource);
      return Promise.resolve(
        objects.find(
          (o) => type && o.kind === type.kind && o.metadata.name === name && o.metadata.namespace === namespace,
        ),
      );
    },
  };
}
