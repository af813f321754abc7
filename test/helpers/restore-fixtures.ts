import { Discovery } from '../../src/kube/discovery.ts';
import type { KubeObject } from '../../src/kube/object.ts';
import type { ResourceType } from '../../src/kube/resource.ts';
import type { RestoreSpec } from '../../src/api/restore.ts';
import { memoryCatalogue, type MemoryItem } from '../../src/restore/read/catalogue.ts';
import { planRestore, type RestorePlanInput } from '../../src/restore/plan/plan-restore.ts';
import type { RestorePlan, RestoreOperation } from '../../src/restore/plan/types.ts';

const t = (group: string, version: string, resource: string, kind: string, namespaced: boolean): ResourceType => ({
  group,
  version,
  resource,
  kind,
  namespaced,
  verbs: ['create', 'get', 'list', 'patch'],
});

/** A target cluster's discovery as plain data: the built-in types restore tests use. */
export function testDiscovery(extra: ResourceType[] = []): Discovery {
  const all = [
    t('', 'v1', 'namespaces', 'Namespace', false),
    t('', 'v1', 'configmaps', 'ConfigMap', true),
    t('', 'v1', 'secrets', 'Secret', true),
    t('', 'v1', 'services', 'Service', true),
    t('', 'v1', 'pods', 'Pod', true),
    t('', 'v1', 'serviceaccounts', 'ServiceAccount', true),
    t('', 'v1', 'persistentvolumes', 'PersistentVolume', false),
    t('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', true),
    t('', 'v1', 'nodes', 'Node', false),
    t('', 'v1', 'events', 'Event', true),
    t('apps', 'v1', 'deployments', 'Deployment', true),
    t('apps', 'v1', 'replicasets', 'ReplicaSet', true),
    t('batch', 'v1', 'jobs', 'Job', true),
    t('storage.k8s.io', 'v1', 'storageclasses', 'StorageClass', false),
    t('rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole', false),
    t('rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding', true),
    t('apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', false),
    ...extra,
  ];
  const preferred = new Map(all.map((rt) => [rt.group, rt.version]));
  return new Discovery(all, preferred);
}

export function obj(
  apiVersion: string,
  kind: string,
  name: string,
  namespace?: string,
  rest: Record<string, unknown> = {},
): KubeObject {
  const { metadata, ...body } = rest as { metadata?: Record<string, unknown> };
  return {
    apiVersion,
    kind,
    metadata: {
      name,
      ...(namespace !== undefined ? { namespace } : {}),
      uid: `uid-${name}`,
      resourceVersion: '42',
      creationTimestamp: '2026-01-01T00:00:00Z',
      ...metadata,
    },
    ...body,
  };
}

/** A memory item whose folder is derived from the object: `deployments.apps`, `pods`... */
export function item(groupResource: string, object: KubeObject): MemoryItem {
  return {
    groupResource,
    ...(object.metadata.namespace !== undefined ? { namespace: object.metadata.namespace } : {}),
    object,
  };
}

export interface PlanFixture {
  items: MemoryItem[];
  spec?: RestoreSpec;
  live?: KubeObject[];
  input?: Partial<RestorePlanInput>;
}

/** Plans over memory items and a live map keyed by resource/namespace/name. */
export function planFor(f: PlanFixture): Promise<RestorePlan> {
  const live = new Map<string, KubeObject>();
  for (const o of f.live ?? []) live.set(liveKey(o.apiVersion, o.kind, o.metadata.name ?? '', o.metadata.namespace), o);
  // As in a real cluster, the namespace of a live object is live too (unless the fixture gives it).
  for (const o of f.live ?? []) {
    const ns = o.metadata.namespace;
    if (ns !== undefined && !live.has(liveKey('v1', 'Namespace', ns))) {
      live.set(liveKey('v1', 'Namespace', ns), obj('v1', 'Namespace', ns, undefined, { status: { phase: 'Active' } }));
    }
  }
  const discovery = f.input?.discovery ?? testDiscovery();
  return planRestore({
    restoreName: 'r1',
    spec: { backupName: 'b1', ...f.spec },
    catalogue: memoryCatalogue(f.items),
    discovery,
    live: (type, name, namespace) => {
      const rt = discovery.all.find((x) => x.group === type.group && x.resource === type.resource);
      const apiVersion = type.group === '' ? type.version : `${type.group}/${type.version}`;
      return live.get(liveKey(apiVersion, rt?.kind ?? '', name, namespace));
    },
    ...f.input,
  });
}

function liveKey(apiVersion: string, kind: string, name: string, namespace?: string): string {
  return `${apiVersion}|${kind}|${namespace ?? ''}|${name}`;
}

export function allOps(plan: RestorePlan): RestoreOperation[] {
  return plan.tiers.flatMap((t) => t.operations);
}

export function opFor(plan: RestorePlan, kind: string, name: string): RestoreOperation {
  const op = allOps(plan).find((o) => o.target.kind === kind && o.target.name === name);
  if (!op) throw new Error(`no operation for ${kind} ${name}`);
  return op;
}
