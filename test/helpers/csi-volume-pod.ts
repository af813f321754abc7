/**
 * One claim of the CSI test class mounted by one pod pinned to a node (CSI-CONTRACT): for data-mover tests that
 * need a single CSI volume whose files they write directly.
 */
import type { Cluster, KubeObject } from '../../src/kube/index.ts';
import { core, waitFor } from './cluster.ts';
import { waitForCsiVolumeMounted } from './csi.ts';
import type { TestEnv } from './testenv.ts';

export interface CsiVolumePod {
  pod: KubeObject;
  pv: KubeObject;
  /** The volume's data directory on the pod's node (a real bind mount). */
  dir: string;
}

/** Claim `claim` (class `skiff-csi`, WaitForFirstConsumer) and pod `pod` mounting it on `node`. */
export async function createCsiVolumePod(
  cluster: Cluster,
  env: TestEnv,
  namespace: string,
  opts: { node: string; claim?: string; pod?: string; size?: string },
): Promise<CsiVolumePod> {
  const claim = opts.claim ?? 'data';
  const podName = opts.pod ?? 'app';
  await cluster.create(core('persistentvolumeclaims'), {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: claim, namespace },
    spec: {
      storageClassName: env.csi.storageClass,
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: opts.size ?? '1Gi' } },
    },
  });
  await cluster.create(core('pods'), {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: podName, namespace, labels: { app: podName } },
    spec: {
      nodeSelector: { 'kubernetes.io/hostname': opts.node },
      containers: [{ name: 'app', image: 'busybox', volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: claim } }],
    },
  });
  const pvName = await waitFor(`claim ${claim} bound`, async () => {
    const c = await cluster.get(core('persistentvolumeclaims'), claim, namespace);
    return (c.spec as { volumeName?: string }).volumeName;
  });
  const pod = await waitFor(`pod ${podName} scheduled`, async () => {
    const p = await cluster.get(core('pods'), podName, namespace);
    return (p.spec as { nodeName?: string }).nodeName ? p : undefined;
  });
  const pv = await cluster.get(core('persistentvolumes'), pvName);
  return { pod, pv, dir: await waitForCsiVolumeMounted(env, pod, pvName) };
}
