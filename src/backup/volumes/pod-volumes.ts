/**
 * Pure readers of the pod, PVC and PV fields the volume decision looks at (raw JSON, as the
 * Cluster facade returns it), and the PolicyVolume a volume policy is matched against.
 */
import type { KubeObject } from '../../kube/object.ts';
import { VOLUME_TYPES } from '../../volumes/policy/parse.ts';
import { parseQuantity } from '../../volumes/policy/quantity.ts';
import type { PolicyVolume } from '../../volumes/policy/types.ts';

export type PodVolume = Record<string, unknown> & { name: string };

interface Container {
  volumeMounts?: { name?: string }[];
  volumeDevices?: { name?: string }[];
}

export interface PodSpecView {
  nodeName?: string;
  volumes?: PodVolume[];
  containers?: Container[];
  initContainers?: Container[];
}

export function podSpec(pod: KubeObject): PodSpecView {
  return pod.spec ?? {};
}

export function podPhase(pod: KubeObject): string {
  return (pod.status as { phase?: string } | undefined)?.phase ?? '';
}

/** The volume source field of a pod volume or PV spec (`emptyDir`, `persistentVolumeClaim`, `csi`, `local`, ...). */
export function sourceType(spec: Record<string, unknown> | undefined): string {
  if (!spec) return '';
  return VOLUME_TYPES.find((t) => spec[t] !== undefined && spec[t] !== null) ?? '';
}

export function claimName(volume: PodVolume): string | undefined {
  return (volume.persistentVolumeClaim as { claimName?: string } | undefined)?.claimName;
}

export function isMounted(spec: PodSpecView, volume: string): boolean {
  return [...(spec.containers ?? []), ...(spec.initContainers ?? [])].some((c) =>
    (c.volumeMounts ?? []).some((m) => m.name === volume),
  );
}

export function isBlockDevice(spec: PodSpecView, volume: string): boolean {
  return [...(spec.containers ?? []), ...(spec.initContainers ?? [])].some((c) =>
    (c.volumeDevices ?? []).some((d) => d.name === volume),
  );
}

interface PvcView {
  spec?: { volumeName?: string; storageClassName?: string; resources?: { requests?: { storage?: string } } };
  status?: { phase?: string };
}

interface PvSpecView extends Record<string, unknown> {
  capacity?: { storage?: string };
  storageClassName?: string;
  nfs?: { server?: string; path?: string };
  csi?: { driver?: string; volumeAttributes?: Record<string, string> };
}

export function boundVolumeName(pvc: KubeObject | undefined): string | undefined {
  return (pvc as PvcView | undefined)?.spec?.volumeName || undefined;
}

export function pvSpec(pv: KubeObject | undefined): PvSpecView | undefined {
  return pv?.spec as PvSpecView | undefined;
}

/**
 * What a policy sees of a pod volume (reference §3.7): a PVC volume is described by its PV
 * (type, capacity, class, NFS/CSI source) and the claim's labels and phase; an unbound claim
 * by its request and class; any other volume by its own source.
 */
export function policyVolume(volume: PodVolume, pvc?: KubeObject, pv?: KubeObject): PolicyVolume {
  if (claimName(volume) !== undefined) return claimPolicyVolume(pvc, pv);
  const out: PolicyVolume = { type: sourceType(volume) };
  const sizeLimit = quantity((volume.emptyDir as { sizeLimit?: string } | undefined)?.sizeLimit);
  if (sizeLimit !== undefined) out.capacity = sizeLimit;
  return Object.assign(out, sources(volume as PvSpecView));
}

function claimPolicyVolume(pvc: KubeObject | undefined, pv: KubeObject | undefined): PolicyVolume {
  const claim = pvc as PvcView | undefined;
  const spec = pvSpec(pv);
  const out: PolicyVolume = { type: spec ? sourceType(spec) : 'persistentVolumeClaim' };
  const capacity = quantity(spec?.capacity?.storage ?? claim?.spec?.resources?.requests?.storage);
  if (capacity !== undefined) out.capacity = capacity;
  const storageClass = spec?.storageClassName ?? claim?.spec?.storageClassName;
  if (storageClass) out.storageClass = storageClass;
  Object.assign(out, sources(spec));
  out.pvcLabels = pvc?.metadata.labels ?? {};
  if (claim?.status?.phase) out.pvcPhase = claim.status.phase;
  return out;
}

function sources(spec: PvSpecView | undefined): Pick<PolicyVolume, 'nfs' | 'csi'> {
  const out: Pick<PolicyVolume, 'nfs' | 'csi'> = {};
  if (spec?.nfs) out.nfs = { server: spec.nfs.server ?? '', path: spec.nfs.path ?? '' };
  if (spec?.csi) out.csi = { driver: spec.csi.driver ?? '', volumeAttributes: spec.csi.volumeAttributes ?? {} };
  return out;
}

function quantity(text: string | undefined): number | undefined {
  return text === undefined ? undefined : parseQuantity(text);
}
