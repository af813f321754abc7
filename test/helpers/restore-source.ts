import type { Cluster, KubeObject, ResourceRef } from '../../src/kube/index.ts';
import { groupResource } from '../../src/kube/resource.ts';
import { aBackupArchive } from './archive-builder.ts';
import { apps, core, createNamespace, waitFor } from './cluster.ts';

export const RESTORE_CRD_GROUP = 'skiff-restore.example.com';
const CRDS: ResourceRef = { group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions' };

export interface SourceObjects {
  ns: string;
  pvName: string;
  crdName: string;
  crType: ResourceRef;
  /** The objects as the API server returned them, with the resource type each came from. */
  objects: { ref: ResourceRef; namespaced: boolean; object: KubeObject }[];
}

/**
 * Builds the namespace a restore test backs up by hand: a Deployment, a Service, a ConfigMap,
 * a Secret, a PVC bound to a static Retain PV, and a CRD with one custom resource. The
 * objects are read back from the server so the tarball holds what a backup would hold.
 */
export async function createRestoreSource(cluster: Cluster, ns: string): Promise<SourceObjects> {
  const suffix = ns.slice(-6);
  const plural = `gizmos${suffix}`;
  const crdName = `${plural}.${RESTORE_CRD_GROUP}`;
  const crType: ResourceRef = { group: RESTORE_CRD_GROUP, version: 'v1', resource: plural };
  const pvName = `pv-${ns}`;
  const storageClassName = `skiff-static-${suffix}`;
  await createNamespace(cluster, ns, { team: 'restore-tests' });
  await cluster.create(CRDS, crd(plural));
  await waitFor(`CRD ${crdName} served`, async () => {
    await cluster.client.request({ method: 'GET', path: `/apis/${RESTORE_CRD_GROUP}/v1/${plural}` });
    return true;
  });
  const objects: [ResourceRef, KubeObject][] = [
    [
      core('persistentvolumes'),
      {
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name: pvName },
        spec: {
          capacity: { storage: '1Gi' },
          accessModes: ['ReadWriteOnce'],
          persistentVolumeReclaimPolicy: 'Retain',
          storageClassName,
          hostPath: { path: `/tmp/${pvName}` },
        },
      },
    ],
    [
      core('persistentvolumeclaims'),
      {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: 'data', namespace: ns },
        spec: { accessModes: ['ReadWriteOnce'], storageClassName, resources: { requests: { storage: '1Gi' } } },
      },
    ],
    [
      core('configmaps'),
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'web-config', namespace: ns },
        data: { greeting: 'hello' },
      },
    ],
    [
      core('secrets'),
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'web-secret', namespace: ns },
        stringData: { password: 's3cret' },
      },
    ],
    [
      core('services'),
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web', namespace: ns },
        spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 80 }] },
      },
    ],
    [apps('deployments'), deployment(ns)],
    [
      crType,
      {
        apiVersion: `${RESTORE_CRD_GROUP}/v1`,
        kind: 'Gizmo',
        metadata: { name: 'g1', namespace: ns },
        spec: { size: 3 },
      },
    ],
  ];
  for (const [ref, obj] of objects) await cluster.create(ref, obj);
  await waitFor(
    'the PVC to bind',
    async () => phase(await cluster.get(core('persistentvolumeclaims'), 'data', ns)) === 'Bound',
  );
  await waitFor('the deployment to be ready', async () => {
    const d = await cluster.get(apps('deployments'), 'web', ns);
    return (d.status as { readyReplicas?: number }).readyReplicas === 1;
  });
  const out: SourceObjects['objects'] = [];
  const read = async (ref: ResourceRef, name: string, namespace?: string): Promise<void> => {
    out.push({ ref, namespaced: namespace !== undefined, object: await cluster.get(ref, name, namespace) });
  };
  await read(core('namespaces'), ns);
  await read(CRDS, crdName);
  await read(core('persistentvolumes'), pvName);
  for (const [ref, obj] of objects.slice(1)) await read(ref, obj.metadata.name ?? '', ns);
  return { ns, pvName, crdName, crType, objects: out };
}

/** The tarball Velero would write for these objects (§2.4: legacy and preferred-version copies). */
export async function backupTarball(source: Pick<SourceObjects, 'objects'>): Promise<Buffer> {
  const archive = aBackupArchive();
  for (const { ref, object } of source.objects) {
    archive.item({
      group: ref.group,
      version: ref.version,
      resource: ref.resource,
      ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
      name: object.metadata.name ?? '',
      object: object,
    });
  }
  return archive.gzip();
}

export function folderOf(ref: ResourceRef): string {
  return groupResource(ref);
}

export function phase(obj: KubeObject | undefined): string | undefined {
  return (obj?.status as { phase?: string } | undefined)?.phase;
}

/** Removes what a source created (namespace, PV, CRD) and waits until each is gone. */
export async function deleteRestoreSource(
  cluster: Cluster,
  source: SourceObjects,
  namespaces: string[] = [],
): Promise<void> {
  for (const n of [source.ns, ...namespaces]) await cluster.delete(core('namespaces'), n);
  await cluster.delete(core('persistentvolumes'), source.pvName);
  await cluster.delete(CRDS, source.crdName);
  for (const n of [source.ns, ...namespaces]) {
    await waitFor(
      `namespace ${n} gone`,
      async () => (await cluster.find(core('namespaces'), n)) === undefined,
      120_000,
    );
  }
  await waitFor('PV gone', async () => (await cluster.find(core('persistentvolumes'), source.pvName)) === undefined);
  await waitFor('CRD gone', async () => (await cluster.find(CRDS, source.crdName)) === undefined);
}

function crd(plural: string): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${RESTORE_CRD_GROUP}` },
    spec: {
      group: RESTORE_CRD_GROUP,
      scope: 'Namespaced',
      names: { plural, singular: plural.replace(/s$/, ''), kind: 'Gizmo', listKind: 'GizmoList' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
  };
}

function deployment(ns: string): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: ns, labels: { app: 'web' } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [{ name: 'web', image: 'nginx:1.27', envFrom: [{ configMapRef: { name: 'web-config' } }] }],
        },
      },
    },
  };
}
