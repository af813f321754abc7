/**
 * Kubelet's part for CSI volumes in the test environment (issue 16, ../shared testenv.md §11): which volumes of
 * which pods must be staged and published on which node, where kubelet would put them, and what to do to get
 * there from what is mounted now. Pure; csi-kubelet.ts does it.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { KubeObject } from '../../src/kube/index.ts';

export const CSI_DRIVER = 'hostpath.csi.skiff.dev';

/** One volume of one pod, published at kubelet's path on the pod's node. */
export interface CsiPublish {
  node: string;
  podUid: string;
  pvName: string;
  volumeHandle: string;
  readOnly: boolean;
}

/** Kubelet 1.35's publish target: `<kubelet>/pods/<uid>/volumes/kubernetes.io~csi/<pv>/mount`. */
export function csiTargetPath(nodeRoot: string, podUid: string, pvName: string): string {
  return join(nodeRoot, 'var/lib/kubelet/pods', podUid, 'volumes/kubernetes.io~csi', pvName, 'mount');
}

/** Kubelet 1.35's staging path: `<kubelet>/plugins/kubernetes.io/csi/<driver>/<sha256(handle)>/globalmount`. */
export function csiStagingPath(nodeRoot: string, driver: string, volumeHandle: string): string {
  const h = createHash('sha256').update(volumeHandle).digest('hex');
  return join(nodeRoot, 'var/lib/kubelet/plugins/kubernetes.io/csi', driver, h, 'globalmount');
}

export function publishKey(p: CsiPublish): string {
  return `${p.node}/${p.podUid}/${p.pvName}`;
}

interface PodSpec {
  nodeName?: string;
  volumes?: { name: string; persistentVolumeClaim?: { claimName: string; readOnly?: boolean } }[];
}
interface PvSpec {
  csi?: { driver?: string; volumeHandle?: string; readOnly?: boolean };
}

/**
 * The publishes the cluster asks for: every volume of a scheduled, not terminating pod whose PVC is bound to a
 * PV of `driver`. `claims` maps `<namespace>/<name>` to the PVC, `volumes` maps a PV's name to it.
 */
export function desiredPublishes(
  pods: Iterable<KubeObject>,
  claims: ReadonlyMap<string, KubeObject>,
  volumes: ReadonlyMap<string, KubeObject>,
  driver = CSI_DRIVER,
): CsiPublish[] {
  return [...pods].flatMap((pod) => podPublishes(pod, claims, volumes, driver));
}

function podPublishes(
  pod: KubeObject,
  claims: ReadonlyMap<string, KubeObject>,
  volumes: ReadonlyMap<string, KubeObject>,
  driver: string,
): CsiPublish[] {
  const spec = pod.spec as PodSpec | undefined;
  const { uid, namespace } = pod.metadata;
  const node = spec?.nodeName;
  if (!node || !uid || !isActive(pod)) return [];
  const out: CsiPublish[] = [];
  for (const v of spec.volumes ?? []) {
    if (!v.persistentVolumeClaim) continue;
    const claim = claims.get(`${namespace ?? ''}/${v.persistentVolumeClaim.claimName}`);
    const pvName = (claim?.spec as { volumeName?: string } | undefined)?.volumeName;
    const csi = pvName ? (volumes.get(pvName)?.spec as PvSpec | undefined)?.csi : undefined;
    if (!pvName || csi?.driver !== driver || !csi.volumeHandle) continue;
    const readOnly = v.persistentVolumeClaim.readOnly === true || csi.readOnly === true;
    out.push({ node, podUid: uid, pvName, volumeHandle: csi.volumeHandle, readOnly });
  }
  return out;
}

/** Not terminating and not finished: kubelet keeps its volumes mounted. */
function isActive(pod: KubeObject): boolean {
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  return !pod.metadata.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed';
}

export type CsiAction =
  | { op: 'mount'; publish: CsiPublish }
  | { op: 'unpublish'; publish: CsiPublish }
  | { op: 'unstage'; publish: CsiPublish };

/**
 * What to do to go from `mounted` to `desired`: unpublish what is no longer wanted (and unstage a volume once no
 * pod on that node uses it), then stage + publish what is missing. Stage is idempotent in the driver, so a second
 * pod of the same volume on the same node shares the staging mount.
 */
export function planCsiActions(desired: readonly CsiPublish[], mounted: readonly CsiPublish[]): CsiAction[] {
  const want = new Map(desired.map((p) => [publishKey(p), p]));
  const have = new Map(mounted.map((p) => [publishKey(p), p]));
  const actions: CsiAction[] = [];
  const staged = (list: Iterable<CsiPublish>, node: string, handle: string): boolean =>
    [...list].some((p) => p.node === node && p.volumeHandle === handle);
  const remaining = new Map(have);
  for (const [key, p] of have) {
    if (want.has(key)) continue;
    actions.push({ op: 'unpublish', publish: p });
    remaining.delete(key);
    if (!staged(remaining.values(), p.node, p.volumeHandle) && !staged(want.values(), p.node, p.volumeHandle)) {
      actions.push({ op: 'unstage', publish: p });
    }
  }
  for (const [key, p] of want) if (!have.has(key)) actions.push({ op: 'mount', publish: p });
  return actions;
}
