/**
 * Pods with volumes whose data a node agent can back up in the test environment: claims of
 * StorageClass `node-local` (local PVs on the node the pod lands on) and emptyDir volumes. The
 * pod agent creates their kubelet directories under `<run>/nodes/<node>`.
 */
import type { Cluster, KubeObject } from '../../src/kube/index.ts';
import { resolveVolumePath, volumeDirName, type PodVolumeLike } from '../../src/volumes/host-path.ts';
import { apps, core, waitFor } from './cluster.ts';
import { loadTestEnv } from './testenv.ts';

export interface VolumePodSpec {
  /** Claims to create (StorageClass node-local) and mount, by volume name = claim name. */
  claims?: string[];
  emptyDirs?: string[];
  /** Pin the pod to a node. */
  node?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface VolumePod {
  pod: KubeObject;
  uid: string;
  node: string;
  /** The real directory of a volume's data on its node. */
  volumeDir(volume: string): Promise<string>;
}

export async function createVolumePod(
  cluster: Cluster,
  namespace: string,
  name: string,
  spec: VolumePodSpec,
): Promise<VolumePod> {
  const claims = spec.claims ?? [];
  for (const claim of claims) {
    await cluster.create(core('persistentvolumeclaims'), {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: claim, namespace },
      spec: {
        storageClassName: 'node-local',
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '1Gi' } },
      },
    });
  }
  const volumes: PodVolumeLike[] = [
    ...claims.map((c) => ({ name: c, persistentVolumeClaim: { claimName: c } })),
    ...(spec.emptyDirs ?? []).map((d) => ({ name: d, emptyDir: {} })),
  ];
  await cluster.create(core('pods'), {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      labels: spec.labels ?? { app: name },
      ...(spec.annotations ? { annotations: spec.annotations } : {}),
    },
    spec: {
      ...(spec.node ? { nodeSelector: { 'kubernetes.io/hostname': spec.node } } : {}),
      containers: [
        {
          name: 'app',
          image: 'busybox',
          volumeMounts: volumes.map((v) => ({ name: v.name, mountPath: `/data/${v.name}` })),
        },
      ],
      volumes,
    },
  });
  const pod = await waitFor(
    `pod ${namespace}/${name} running`,
    async () => {
      const p = await cluster.find(core('pods'), name, namespace);
      return (p?.status as { phase?: string } | undefined)?.phase === 'Running' ? p : undefined;
    },
    120_000,
  );
  const node = (pod.spec as { nodeName: string }).nodeName;
  const uid = pod.metadata.uid ?? '';
  const hostRoot = loadTestEnv().nodeRoot(node);
  const volumeDir = async (volume: string): Promise<string> => {
    const v = volumes.find((x) => x.name === volume);
    if (!v) throw new Error(`pod ${name} has no volume ${volume}`);
    let pv: KubeObject | undefined;
    if (v.persistentVolumeClaim) {
      const pvc = await cluster.get(core('persistentvolumeclaims'), v.persistentVolumeClaim.claimName, namespace);
      pv = await cluster.get(core('persistentvolumes'), (pvc.spec as { volumeName: string }).volumeName);
    }
    const dirName = volumeDirName(v, pv);
    return waitFor(
      `directory of volume ${volume} of pod ${name}`,
      () => resolveVolumePath(hostRoot, uid, dirName),
      30_000,
    );
  };
  return { pod, uid, node, volumeDir };
}

/** Waits until exactly `count` pods of `ns` are Running (a StatefulSet's replicas), sorted by name. */
export async function runningPods(cluster: Cluster, ns: string, count: number): Promise<KubeObject[]> {
  const pods = { ...core('pods'), kind: 'Pod', namespaced: true, verbs: [] };
  return waitFor(
    `${count} running pods in ${ns}`,
    async () => {
      const found: KubeObject[] = [];
      for await (const p of cluster.list(pods, { namespace: ns }))
        if ((p.status as { phase?: string } | undefined)?.phase === 'Running') found.push(p);
      return found.length === count
        ? found.sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))
        : undefined;
    },
    300_000,
  );
}

/**
 * The data directory of `pod`'s volume `volume` (claim `<volume>-<pod>`, a StatefulSet's
 * volumeClaimTemplate) under its node's kubelet tree, once the claim is bound and the volume is there.
 */
export async function claimDataDir(
  cluster: Cluster,
  pod: KubeObject,
  volume = 'data',
  nodeRoot: (node: string) => string = loadTestEnv().nodeRoot,
): Promise<string> {
  const ns = pod.metadata.namespace ?? '';
  const claim = `${volume}-${pod.metadata.name ?? ''}`;
  const pvc = await waitFor(`claim ${claim} bound`, async () => {
    const c = await cluster.get(core('persistentvolumeclaims'), claim, ns);
    return (c.spec as { volumeName?: string }).volumeName ? c : undefined;
  });
  const pv = await cluster.get(core('persistentvolumes'), (pvc.spec as { volumeName: string }).volumeName);
  const node = (pod.spec as { nodeName: string }).nodeName;
  const dir = volumeDirName({ name: volume, persistentVolumeClaim: { claimName: claim } }, pv);
  return waitFor(
    `data of ${pod.metadata.name ?? ''} mounted`,
    () => resolveVolumePath(nodeRoot(node), pod.metadata.uid ?? '', dir),
    120_000,
  );
}

/** StatefulSet `db`: 2 replicas, each with claim `data-db-<i>` of `storageClass` (1Gi, ReadWriteOnce). */
export async function createClaimStatefulSet(cluster: Cluster, ns: string, storageClass: string): Promise<void> {
  await cluster.create(apps('statefulsets'), {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'db', namespace: ns },
    spec: {
      replicas: 2,
      serviceName: 'db',
      selector: { matchLabels: { app: 'db' } },
      template: {
        metadata: { labels: { app: 'db' } },
        spec: {
          containers: [{ name: 'db', image: 'postgres:17', volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: 'data' },
          spec: {
            storageClassName: storageClass,
            accessModes: ['ReadWriteOnce'],
            resources: { requests: { storage: '1Gi' } },
          },
        },
      ],
    },
  });
}
