/**
 * Finds the directory of one volume of one pod on this node: the pod (by name, checked by
 * UID), the volume in its spec, the claim's PV, then the kubelet directory under the host root.
 * The kubelet may still be setting the volume up, so a missing directory is looked for again
 * for a little while.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Cluster, KubeObject } from '../../kube/index.ts';
import {
  resolveVolumePath,
  volumeDirName,
  VolumePathError,
  type PersistentVolumeLike,
  type PodLike,
  type PodVolumeLike,
} from '../host-path.ts';

const core = (resource: string) => ({ group: '', version: 'v1', resource });
/** Up to 10 s in all, looked at every 100 ms: a data mover starts reading its volume as soon as it is mounted. */
const RESOLVE_ATTEMPTS = 100;
const RESOLVE_WAIT_MS = 100;

export interface PodRef {
  namespace?: string | undefined;
  name?: string | undefined;
  uid?: string | undefined;
}

export async function getPod(cluster: Cluster, ref: PodRef): Promise<KubeObject & PodLike> {
  const pod = await cluster.find(core('pods'), ref.name ?? '', ref.namespace);
  if (!pod) throw new Error(`pod ${ref.namespace}/${ref.name} not found`);
  if (ref.uid && pod.metadata.uid !== ref.uid) {
    throw new Error(
      `pod ${ref.namespace}/${ref.name} is not the one meant (UID ${pod.metadata.uid}, expected ${ref.uid})`,
    );
  }
  return pod;
}

export interface HostLayout {
  hostRoot: string;
  podsDir?: string | undefined;
}

export async function volumePathOf(
  cluster: Cluster,
  host: HostLayout,
  pod: KubeObject & PodLike,
  volumeName: string,
  signal?: AbortSignal,
): Promise<{ path: string; volume: PodVolumeLike; pvcName?: string }> {
  const volume = pod.spec?.volumes?.find((v) => v.name === volumeName);
  if (!volume) throw new Error(`pod ${pod.metadata.namespace}/${pod.metadata.name} has no volume "${volumeName}"`);
  let pv: PersistentVolumeLike | undefined;
  const claimName = volume.persistentVolumeClaim?.claimName;
  if (claimName) {
    const pvc = await cluster.find(core('persistentvolumeclaims'), claimName, pod.metadata.namespace);
    const pvName = (pvc?.spec as { volumeName?: string } | undefined)?.volumeName;
    if (!pvName) throw new Error(`claim ${pod.metadata.namespace}/${claimName} of volume "${volumeName}" is not bound`);
    pv = await cluster.find(core('persistentvolumes'), pvName);
    if (!pv) throw new Error(`PersistentVolume ${pvName} of claim ${pod.metadata.namespace}/${claimName} not found`);
  }
  const dirName = volumeDirName(volume, pv);
  for (let attempt = 1; ; attempt++) {
    try {
      const path = await resolveVolumePath(host.hostRoot, pod.metadata.uid ?? '', dirName, host.podsDir);
      return { path, volume, ...(claimName ? { pvcName: claimName } : {}) };
    } catch (err) {
      if (!(err instanceof VolumePathError) || attempt >= RESOLVE_ATTEMPTS || !/^no /.test(err.message)) throw err;
      await sleep(RESOLVE_WAIT_MS, undefined, signal ? { signal } : {});
    }
  }
}
