import type { KubeObject } from '../../kube/object.ts';
import { PvDecision } from '../actions/types.ts';
import { Annotations } from '../../api/labels.ts';
import { VS_GROUP_RESOURCE, VSC_GROUP_RESOURCE } from '../../volumes/csi/snapshot-objects.ts';
import { asArray, asRecord, getPath } from '../actions/types.ts';

/** BackupVolumeInfo fields the PV decision reads (reference §1.14). */
interface VolumeInfoEntry {
  pvName?: string;
  backupMethod?: string;
}

export interface PvDecisions {
  decisions: Record<string, PvDecision>;
  warnings: string[];
}

/**
 * The PV decision of reference §4.5, keyed by the volume-info backup method: data that
 * comes back through a pod volume or a CSI snapshot lands on a freshly provisioned volume;
 * a PV without any backup is provisioned again when its reclaim policy is Delete and
 * restored as is otherwise. Native snapshots need a volume snapshotter, which Skiff does not
 * have yet: the PV object is restored without its data, with a warning. A PV the volume info
 * does not list (backups before 1.13) is looked up by its claim among the claims a
 * PodVolumeBackup took (`claimsBackedUpByPods`, `namespace/claim`): §4.5's legacy fallback.
 */
export function decidePersistentVolumes(
  pvs: readonly KubeObject[],
  volumeInfo: readonly unknown[],
  restorePVs: boolean,
  claimsBackedUpByPods: ReadonlySet<string> = new Set(),
): PvDecisions {
  const methods = new Map<string, string>();
  for (const raw of volumeInfo) {
    const info = asRecord(raw) as VolumeInfoEntry | undefined;
    if (info?.pvName && info.backupMethod) methods.set(info.pvName, info.backupMethod);
  }
  const out: PvDecisions = { decisions: {}, warnings: [] };
  for (const pv of pvs) {
    const name = pv.metadata.name ?? '';
    const method =
      methods.get(name) ?? (claimedByPodVolumeBackup(pv, claimsBackedUpByPods) ? 'PodVolumeBackup' : undefined);
    if (method === 'PodVolumeBackup' || method === 'CSISnapshot') {
      out.decisions[name] = PvDecision.Dynamic;
    } else if (method === 'NativeSnapshot') {
      out.decisions[name] = PvDecision.Restore;
      if (restorePVs) {
        out.warnings.push(
          `persistent volume ${name} has a native snapshot, but volume snapshotters are not supported yet: the PV is restored without its data`,
        );
      }
    } else {
      const reclaim = getPath(pv, 'spec', 'persistentVolumeReclaimPolicy');
      out.decisions[name] = reclaim === 'Delete' ? PvDecision.Dynamic : PvDecision.Restore;
    }
  }
  return out;
}

function claimedByPodVolumeBackup(pv: KubeObject, claims: ReadonlySet<string>): boolean {
  const ns = getPath(pv, 'spec', 'claimRef', 'namespace');
  const name = getPath(pv, 'spec', 'claimRef', 'name');
  return typeof ns === 'string' && typeof name === 'string' && claims.has(`${ns}/${name}`);
}

/** `group-resource|namespace|name` of an item another item pulls in (reference §4.3 "additional items"). */
export function additionalKey(groupResource: string, namespace: string | undefined, name: string): string {
  return `${groupResource}|${namespace ?? ''}|${name}`;
}

/** The PVCs a pod mounts and its PriorityClass (`velero.io/add-pvc-from-pod`, `velero.io/pod`). */
export function podAdditionalItems(pod: KubeObject): string[] {
  const ns = pod.metadata.namespace;
  const out: string[] = [];
  for (const v of asArray(getPath(pod, 'spec', 'volumes'))) {
    const claim = getPath(v, 'persistentVolumeClaim', 'claimName');
    if (typeof claim === 'string' && claim !== '') out.push(additionalKey('persistentvolumeclaims', ns, claim));
  }
  const priorityClass = getPath(pod, 'spec', 'priorityClassName');
  if (typeof priorityClass === 'string' && priorityClass !== '') {
    out.push(additionalKey('priorityclasses.scheduling.k8s.io', undefined, priorityClass));
  }
  return out;
}

/**
 * A claim that was Bound in the backup pulls in its PV (`velero.io/pvc`, reference §4.5), and
 * a CSI-snapshotted one its VolumeSnapshot (`velero.io/csi-pvc-restorer`, §7.5).
 */
export function pvcAdditionalItems(pvc: KubeObject): string[] {
  const out: string[] = [];
  const volume = getPath(pvc, 'spec', 'volumeName');
  const bound = getPath(pvc, 'status', 'phase') === 'Bound';
  if (bound && typeof volume === 'string' && volume !== '')
    out.push(additionalKey('persistentvolumes', undefined, volume));
  const snapshot = pvc.metadata.annotations?.[Annotations.VolumeSnapshotName];
  if (snapshot) out.push(additionalKey(VS_GROUP_RESOURCE, pvc.metadata.namespace, snapshot));
  return out;
}

/** A VolumeSnapshot pulls in its content (`velero.io/csi-volumesnapshot-restorer`, reference §7.5). */
export function volumeSnapshotAdditionalItems(vs: KubeObject): string[] {
  const content = getPath(vs, 'status', 'boundVolumeSnapshotContentName');
  return typeof content === 'string' && content !== '' ? [additionalKey(VSC_GROUP_RESOURCE, undefined, content)] : [];
}
