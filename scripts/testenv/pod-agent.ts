/**
 * The test environment's stand-in for what a kubelet and a storage provisioner do on a
 * real node, as far as Skiff's tests need them:
 * - every scheduled pod gets its own kwok `Exec` (so `exec` runs a local command in a
 *   per-pod working directory, `<run>/pods/<ns>/<pod>`), goes Running only once kwok runs
 *   commands under it (exec-ready.ts), and gets a kubelet pod folder
 *   `<run>/nodes/<node>/var/lib/kubelet/pods/<uid>/`;
 * - PVCs of the default StorageClass `standard` get a hostPath PV under `<run>/volumes/`,
 *   and released PVs of ours are deleted (reclaimPolicy Delete).
 * - `node-local` PVCs and the kubelet's volume directories: pod-volumes.ts.
 * The Exec objects carry `velero.io/exclude-from-backup=true`, so backups ignore them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  Cluster,
  isAlreadyExists,
  KubeClient,
  runInformer,
  type KubeObject,
  type ResourceType,
} from '../../src/kube/index.ts';
import { errorMessage } from '../../src/util/errors.ts';
import { createPodVolumeDirs, provisionNodeLocal, reclaimNodeLocal } from './pod-volumes.ts';
import { makeExecReady } from './exec-ready.ts';
import { holdForRestoreWait } from './restore-wait.ts';

const { values } = parseArgs({ options: { run: { type: 'string' } } });
const run = values.run ?? '.testenv';
const cluster = new Cluster(KubeClient.fromKubeconfig({ kubeconfig: join(run, 'admin.kubeconfig') }));
const controller = new AbortController();
process.on('SIGTERM', () => controller.abort());
process.on('SIGINT', () => controller.abort());

const PROVISIONER = 'skiff.dev/host-path';
const pods: ResourceType = { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true, verbs: [] };
const pvcs: ResourceType = {
  group: '',
  version: 'v1',
  resource: 'persistentvolumeclaims',
  kind: 'PersistentVolumeClaim',
  namespaced: true,
  verbs: [],
};
const pvs: ResourceType = {
  group: '',
  version: 'v1',
  resource: 'persistentvolumes',
  kind: 'PersistentVolume',
  namespaced: false,
  verbs: [],
};
const seen = new Set<string>();

function log(msg: string, err?: unknown): void {
  process.stderr.write(`${new Date().toISOString()} ${msg}${err === undefined ? '' : `: ${errorMessage(err)}`}\n`);
}

function onPod(type: string, pod: KubeObject): void {
  const { name, namespace, uid } = pod.metadata;
  const node = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
  if (type === 'DELETED' || !name || !namespace || !uid || !node || pod.metadata.deletionTimestamp) return;
  if (seen.has(uid)) return;
  seen.add(uid);
  const workDir = join(run, 'pods', namespace, name);
  const kubeletDir = join(run, 'nodes', node, 'var/lib/kubelet/pods', uid);
  mkdirSync(workDir, { recursive: true });
  mkdirSync(join(kubeletDir, 'volumes'), { recursive: true });
  // Not awaited: a PVC volume may wait for its binding, an Exec for kwok to see it, and other pods
  // should not wait behind them.
  void createPodVolumeDirs(cluster, run, pod).catch((err: unknown) => log(`volumes of ${namespace}/${name}`, err));
  void holdForRestoreWait(cluster, run, pod, kubeletDir, log);
  const env = { POD_NAME: name, POD_NAMESPACE: namespace, POD_UID: uid, NODE_NAME: node, KUBELET_POD_DIR: kubeletDir };
  void makeExecReady(cluster, pod, { workDir, env }, log, controller.signal);
}

async function onClaim(type: string, pvc: KubeObject): Promise<void> {
  const spec = pvc.spec as
    | {
        storageClassName?: string;
        volumeName?: string;
        accessModes?: string[];
        resources?: { requests?: { storage?: string } };
        volumeMode?: string;
      }
    | undefined;
  const { name, namespace, uid } = pvc.metadata;
  if (type === 'DELETED' || !spec || !name || !namespace || !uid || spec.volumeName || pvc.metadata.deletionTimestamp)
    return;
  await provisionNodeLocal(cluster, run, pvc).catch((err: unknown) => log(`provision ${namespace}/${name}`, err));
  if ((spec.storageClassName ?? 'standard') !== 'standard') return;
  const pvName = `pvc-${uid}`;
  const path = join(run, 'volumes', pvName);
  mkdirSync(path, { recursive: true });
  const pv: KubeObject = {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: pvName, annotations: { 'pv.kubernetes.io/provisioned-by': PROVISIONER } },
    spec: {
      capacity: { storage: spec.resources?.requests?.storage ?? '1Gi' },
      accessModes: spec.accessModes ?? ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName: 'standard',
      volumeMode: spec.volumeMode ?? 'Filesystem',
      hostPath: { path, type: 'DirectoryOrCreate' },
      claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace, name, uid },
    },
  };
  try {
    await cluster.create(pvs, pv);
  } catch (err) {
    if (!isAlreadyExists(err)) log(`provision ${namespace}/${name}`, err);
  }
}

async function onVolume(type: string, pv: KubeObject): Promise<void> {
  const phase = (pv.status as { phase?: string } | undefined)?.phase;
  const reclaim = (pv.spec as { persistentVolumeReclaimPolicy?: string } | undefined)?.persistentVolumeReclaimPolicy;
  if (type === 'DELETED' || phase !== 'Released' || reclaim !== 'Delete') return;
  const local = await reclaimNodeLocal(cluster, run, pv).catch((err: unknown) => {
    log(`delete released ${pv.metadata.name}`, err);
    return true;
  });
  if (local) return;
  if (pv.metadata.annotations?.['pv.kubernetes.io/provisioned-by'] !== PROVISIONER || !pv.metadata.name) return;
  await cluster.delete(pvs, pv.metadata.name).catch((err: unknown) => log(`delete released ${pv.metadata.name}`, err));
}

let synced = 0;
const onSynced = (): void => {
  if (++synced === 3) writeFileSync(join(run, 'pod-agent.ready'), `${process.pid}\n`);
};
const common = { signal: controller.signal, onSynced, onError: (err: unknown) => log('watch error', err) };
await Promise.all([
  runInformer(cluster, pods, onPod, common),
  runInformer(cluster, pvcs, onClaim, common),
  runInformer(cluster, pvs, onVolume, common),
]);
