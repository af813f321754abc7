/**
 * The kubelet's and a local-volume provisioner's part of file-system backup in the test
 * environment (issue 14), used by the pod agent:
 * - PVCs of StorageClass `node-local` get a PV of type `local` (`/mnt/skiff-volumes/<pv>`)
 *   with node affinity to the node the scheduler picked (`volume.kubernetes.io/selected-node`),
 *   its data in `<run>/nodes/<node>/mnt/skiff-volumes/<pv>`; released ones are deleted with
 *   their data;
 * - every scheduled pod gets the kubelet's volume directories under
 *   `<run>/nodes/<node>/var/lib/kubelet/pods/<uid>/volumes/`: `kubernetes.io~empty-dir/<vol>`
 *   for emptyDir volumes and `kubernetes.io~local-volume/<pv>` (a relative symlink to the PV's
 *   data, where a kubelet would bind-mount it) for PVCs bound to a `node-local` PV.
 */
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { isAlreadyExists, type Cluster, type KubeObject, type ResourceType } from '../../src/kube/index.ts';

export const NODE_LOCAL_CLASS = 'node-local';
export const NODE_LOCAL_PROVISIONER = 'skiff.dev/node-local';
/** Where a node-local PV's data lives on its node (relative to the node's host root). */
const LOCAL_ROOT = '/mnt/skiff-volumes';

const pvcType: ResourceType = {
  group: '',
  version: 'v1',
  resource: 'persistentvolumeclaims',
  kind: 'PersistentVolumeClaim',
  namespaced: true,
  verbs: [],
};
const pvType: ResourceType = {
  group: '',
  version: 'v1',
  resource: 'persistentvolumes',
  kind: 'PersistentVolume',
  namespaced: false,
  verbs: [],
};

interface ClaimSpec {
  storageClassName?: string;
  volumeName?: string;
  accessModes?: string[];
  resources?: { requests?: { storage?: string } };
  volumeMode?: string;
}

function nodeRoot(run: string, node: string): string {
  return join(run, 'nodes', node);
}

/** Provisions a `node-local` PVC once the scheduler has picked its node; other PVCs are left alone. */
export async function provisionNodeLocal(cluster: Cluster, run: string, pvc: KubeObject): Promise<void> {
  const spec = pvc.spec as ClaimSpec | undefined;
  const { name, namespace, uid } = pvc.metadata;
  if (!spec || !name || !namespace || !uid || spec.volumeName || pvc.metadata.deletionTimestamp) return;
  if (spec.storageClassName !== NODE_LOCAL_CLASS) return;
  const node = pvc.metadata.annotations?.['volume.kubernetes.io/selected-node'];
  if (!node) return; // WaitForFirstConsumer: the scheduler names the node when a pod needs the claim
  const pvName = `pvc-${uid}`;
  mkdirSync(join(nodeRoot(run, node), LOCAL_ROOT, pvName), { recursive: true });
  const pv: KubeObject = {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: pvName, annotations: { 'pv.kubernetes.io/provisioned-by': NODE_LOCAL_PROVISIONER } },
    spec: {
      capacity: { storage: spec.resources?.requests?.storage ?? '1Gi' },
      accessModes: spec.accessModes ?? ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName: NODE_LOCAL_CLASS,
      volumeMode: spec.volumeMode ?? 'Filesystem',
      local: { path: `${LOCAL_ROOT}/${pvName}` },
      nodeAffinity: {
        required: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] },
          ],
        },
      },
      claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace, name, uid },
    },
  };
  try {
    await cluster.create(pvType, pv);
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
}

/** The node a `node-local` PV's affinity names. */
function nodeOfLocalVolume(pv: KubeObject): string | undefined {
  const terms = (
    pv.spec as
      | { nodeAffinity?: { required?: { nodeSelectorTerms?: { matchExpressions?: { values?: string[] }[] }[] } } }
      | undefined
  )?.nodeAffinity?.required?.nodeSelectorTerms;
  return terms?.[0]?.matchExpressions?.[0]?.values?.[0];
}

/** Deletes a released `node-local` PV (reclaimPolicy Delete) and its data; true when the PV was ours. */
export async function reclaimNodeLocal(cluster: Cluster, run: string, pv: KubeObject): Promise<boolean> {
  if (pv.metadata.annotations?.['pv.kubernetes.io/provisioned-by'] !== NODE_LOCAL_PROVISIONER) return false;
  const name = pv.metadata.name;
  const node = nodeOfLocalVolume(pv);
  const path = (pv.spec as { local?: { path?: string } } | undefined)?.local?.path;
  if (!name) return true;
  await cluster.delete(pvType, name);
  if (node && path) rmSync(join(nodeRoot(run, node), path), { recursive: true, force: true });
  return true;
}

interface PodVolume {
  name: string;
  emptyDir?: unknown;
  persistentVolumeClaim?: { claimName: string };
}

/**
 * Creates the kubelet volume directories of a scheduled pod. PVC volumes need their claim
 * bound (the scheduler binds WaitForFirstConsumer claims before it sets the pod's node).
 */
export async function createPodVolumeDirs(cluster: Cluster, run: string, pod: KubeObject): Promise<void> {
  const { namespace, uid } = pod.metadata;
  const spec = pod.spec as { nodeName?: string; volumes?: PodVolume[] } | undefined;
  const node = spec?.nodeName;
  if (!namespace || !uid || !node) return;
  const root = nodeRoot(run, node);
  const volumesDir = join(root, 'var/lib/kubelet/pods', uid, 'volumes');
  for (const volume of spec.volumes ?? []) {
    if (volume.emptyDir !== undefined) {
      mkdirSync(join(volumesDir, 'kubernetes.io~empty-dir', volume.name), { recursive: true });
      continue;
    }
    const claimName = volume.persistentVolumeClaim?.claimName;
    if (!claimName) continue;
    const pvName = await boundVolume(cluster, namespace, claimName);
    if (!pvName) continue;
    const pv = await cluster.find(pvType, pvName);
    const localPath = (pv?.spec as { local?: { path?: string } } | undefined)?.local?.path;
    if (!pv || !localPath) continue;
    const link = join(volumesDir, 'kubernetes.io~local-volume', pvName);
    mkdirSync(dirname(link), { recursive: true });
    const target = join(root, localPath);
    mkdirSync(target, { recursive: true });
    try {
      symlinkSync(relative(dirname(link), target), link);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

/** The PV a claim is bound to, waiting a little for the binder. */
async function boundVolume(cluster: Cluster, namespace: string, claim: string): Promise<string | undefined> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const pvc = await cluster.find(pvcType, claim, namespace);
    const volumeName = (pvc?.spec as ClaimSpec | undefined)?.volumeName;
    if (volumeName) return volumeName;
    if (!pvc) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return undefined;
}
