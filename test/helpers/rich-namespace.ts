import type { Cluster, KubeObject, ResourceRef } from '../../src/kube/index.ts';
import { apps, core, createNamespace, waitFor } from './cluster.ts';

export const CRD_GROUP = 'skiff-test.example.com';
const CRDS: ResourceRef = { group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions' };
const rbac = (resource: string): ResourceRef => ({ group: 'rbac.authorization.k8s.io', version: 'v1', resource });

/**
 * The namespace the backup and restore issues describe: Deployments, a StatefulSet,
 * Services, ConfigMaps, Secrets, PVCs bound to PVs, a CRD with custom resources and RBAC.
 * The CRD's plural is suffixed with `plural` so test files do not share it.
 */
export async function createRichNamespace(
  cluster: Cluster,
  ns: string,
  plural: string,
): Promise<{ crdName: string; clusterRoleName: string }> {
  await createNamespace(cluster, ns, { team: 'skiff-tests' });
  const crdName = `${plural}.${CRD_GROUP}`;
  await ensureCrd(cluster, plural);
  const clusterRoleName = `${ns}-reader`;
  const objects: [ResourceRef, KubeObject][] = [
    [
      core('configmaps'),
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'web-config', namespace: ns, labels: { app: 'web' } },
        data: { greeting: 'hello' },
      },
    ],
    [
      core('configmaps'),
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'db-config', namespace: ns, labels: { app: 'db' } },
        data: { size: 'small' },
      },
    ],
    [
      core('secrets'),
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'web-secret', namespace: ns, labels: { app: 'web' } },
        stringData: { password: 's3cret' },
      },
    ],
    [
      core('serviceaccounts'),
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'web-sa', namespace: ns } },
    ],
    [
      core('persistentvolumeclaims'),
      {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: 'web-data', namespace: ns, labels: { app: 'web' } },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
      },
    ],
    [
      core('services'),
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web', namespace: ns, labels: { app: 'web' } },
        spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
      },
    ],
    [
      core('services'),
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'db', namespace: ns, labels: { app: 'db' } },
        spec: { clusterIP: 'None', selector: { app: 'db' }, ports: [{ port: 5432 }] },
      },
    ],
    [apps('deployments'), deployment(ns)],
    [apps('statefulsets'), statefulSet(ns)],
    [
      rbac('roles'),
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'web-role', namespace: ns },
        rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }],
      },
    ],
    [
      rbac('rolebindings'),
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'web-rb', namespace: ns },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'web-role' },
        subjects: [{ kind: 'ServiceAccount', name: 'web-sa', namespace: ns }],
      },
    ],
    [
      rbac('clusterroles'),
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: clusterRoleName },
        rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['list'] }],
      },
    ],
    [
      rbac('clusterrolebindings'),
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: `${ns}-reader` },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRoleName },
        subjects: [{ kind: 'ServiceAccount', name: 'web-sa', namespace: ns }],
      },
    ],
    [
      { group: CRD_GROUP, version: 'v1', resource: plural },
      {
        apiVersion: `${CRD_GROUP}/v1`,
        kind: kindOf(plural),
        metadata: { name: 'first', namespace: ns, labels: { app: 'web' } },
        spec: { size: 3, unknownField: { kept: true } },
      },
    ],
    [
      { group: CRD_GROUP, version: 'v1', resource: plural },
      {
        apiVersion: `${CRD_GROUP}/v1`,
        kind: kindOf(plural),
        metadata: { name: 'second', namespace: ns },
        spec: { size: 1 },
      },
    ],
  ];
  for (const [ref, obj] of objects) await cluster.create(ref, obj);
  await waitFor('the PVCs to bind', async () => {
    const list = await cluster.client.request<{ items: KubeObject[] }>({
      method: 'GET',
      path: `/api/v1/namespaces/${ns}/persistentvolumeclaims`,
    });
    return list.items.length >= 2 && list.items.every((c) => (c.status as { phase?: string }).phase === 'Bound');
  });
  await waitFor('web pods to run', async () => {
    const d = await cluster.get(apps('deployments'), 'web', ns);
    return (d.status as { readyReplicas?: number }).readyReplicas === 2;
  });
  return { crdName, clusterRoleName };
}

export function kindOf(plural: string): string {
  const singular = plural.replace(/s$/, '');
  return singular.charAt(0).toUpperCase() + singular.slice(1);
}

async function ensureCrd(cluster: Cluster, plural: string): Promise<void> {
  const name = `${plural}.${CRD_GROUP}`;
  await cluster.create(CRDS, {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name },
    spec: {
      group: CRD_GROUP,
      scope: 'Namespaced',
      names: { plural, singular: plural.replace(/s$/, ''), kind: kindOf(plural), listKind: `${kindOf(plural)}List` },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
  });
  await waitFor(`CRD ${name} established`, async () => {
    const crd = await cluster.get(CRDS, name);
    return ((crd.status as { conditions?: { type: string; status: string }[] }).conditions ?? []).some(
      (c) => c.type === 'Established' && c.status === 'True',
    );
  });
  // Discovery caches must see the new type before custom resources are created.
  await waitFor(`${plural} served`, async () => {
    await cluster.client.request({ method: 'GET', path: `/apis/${CRD_GROUP}/v1/${plural}` });
    return true;
  });
}

function deployment(ns: string): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: ns, labels: { app: 'web' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          serviceAccountName: 'web-sa',
          containers: [
            {
              name: 'web',
              image: 'nginx:1.27',
              envFrom: [{ configMapRef: { name: 'web-config' } }],
              volumeMounts: [{ name: 'data', mountPath: '/data' }],
            },
          ],
          volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'web-data' } }],
        },
      },
    },
  };
}

function statefulSet(ns: string): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'db', namespace: ns, labels: { app: 'db' } },
    spec: {
      serviceName: 'db',
      replicas: 1,
      selector: { matchLabels: { app: 'db' } },
      template: {
        metadata: { labels: { app: 'db' } },
        spec: {
          containers: [
            { name: 'db', image: 'postgres:16', volumeMounts: [{ name: 'pgdata', mountPath: '/var/lib/postgresql' }] },
          ],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: 'pgdata' },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
        },
      ],
    },
  };
}
