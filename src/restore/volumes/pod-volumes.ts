/**
 * Which volumes of which backed-up pods get their data back (reference §6.5 step 2): the
 * backup's PodVolumeBackups with a snapshot ID, matched to a pod by its name and source
 * namespace, plus the legacy `snapshot.velero.io/<volume>` pod annotations. Pure: the index
 * is built from the `<backup>-podvolumebackups.json.gz` array, which holds one small record per
 * backed-up volume (few compared with the backup's objects), and kept for the whole restore.
 */
import { Annotations, Labels } from '../../api/labels.ts';
import type { KubeObject } from '../../kube/object.ts';
import { DIR_TIMES_ANNOTATION } from '../../volumes/dir-times/record.ts';
import { asArray, asRecord, getPath } from '../actions/types.ts';

/** What restoring one pod volume needs from its PodVolumeBackup. */
export interface BackedUpVolume {
  volume: string;
  snapshotID: string;
  /** `kopia`, `restic` or "" (a legacy record: restic). */
  uploaderType: string;
  repoIdentifier: string;
  backupStorageLocation: string;
  /** Bytes in the snapshot (the PVB's `status.progress.totalBytes`), when recorded. */
  snapshotSize?: number;
  /** The backed-up claim's uid (label `velero.io/pvc-uid`), for PVC volumes. */
  pvcUID?: string;
  /** kopia: the snapshot of the volume's directory times (Skiff's PVB annotation; absent from Velero's). */
  dirTimesSnapshotID?: string;
}

/** Backed-up volumes per pod, keyed by `podKey(sourceNamespace, pod)`. */
export type PodVolumeIndex = Record<string, BackedUpVolume[]>;

/** What the pod-volume restore action and executor need, fixed for one restore (it travels in the plan's env). */
export interface PodVolumeRestoreEnv {
  /** The Restore's uid: the helper's argument, the PVRs' label and the markers' name. */
  restoreUID: string;
  index: PodVolumeIndex;
  /** The backup's location, for legacy annotation-only records. */
  backupStorageLocation: string;
}

export function podKey(namespace: string, pod: string): string {
  return `${namespace}/${pod}`;
}

/**
 * Indexes the backup's PodVolumeBackups by the pod they were taken from. Records without a
 * snapshot ID (failed, or an empty volume Velero did not snapshot) restore nothing and are
 * left out, as Velero's `GetVolumeBackupsForPod` does.
 */
export function indexPodVolumeBackups(pvbs: readonly unknown[]): PodVolumeIndex {
  const index: PodVolumeIndex = {};
  for (const raw of pvbs) {
    const pvb = asRecord(raw);
    const snapshotID = str(getPath(pvb, 'status', 'snapshotID'));
    const namespace = str(getPath(pvb, 'spec', 'pod', 'namespace'));
    const pod = str(getPath(pvb, 'spec', 'pod', 'name'));
    const volume = str(getPath(pvb, 'spec', 'volume'));
    if (snapshotID === '' || namespace === '' || pod === '' || volume === '') continue;
    const size = getPath(pvb, 'status', 'progress', 'totalBytes');
    const pvcUID = str(getPath(pvb, 'metadata', 'labels', Labels.PVCUID));
    const dirTimesSnapshotID = str(getPath(pvb, 'metadata', 'annotations', DIR_TIMES_ANNOTATION));
    (index[podKey(namespace, pod)] ??= []).push({
      volume,
      snapshotID,
      uploaderType: str(getPath(pvb, 'spec', 'uploaderType')),
      repoIdentifier: str(getPath(pvb, 'spec', 'repoIdentifier')),
      backupStorageLocation: str(getPath(pvb, 'spec', 'backupStorageLocation')),
      ...(typeof size === 'number' && size > 0 ? { snapshotSize: size } : {}),
      ...(pvcUID !== '' ? { pvcUID } : {}),
      ...(dirTimesSnapshotID !== '' ? { dirTimesSnapshotID } : {}),
    });
  }
  return index;
}

/** Volume types whose content the kubelet writes itself: never restored (reference §6.5 step 2). */
const NOT_RESTORED_TYPES = ['projected', 'downwardAPI'] as const;

/** Prefix of the legacy per-volume snapshot annotations on pods (reference §6.5 step 2). */
export const LEGACY_SNAPSHOT_ANNOTATION_PREFIX = 'snapshot.velero.io/';

/**
 * The volumes of one backed-up pod that get data back, in the pod's volume order: those
 * with a PodVolumeBackup, else (no record at all for the pod) its legacy annotations, then
 * only volumes the pod still declares and that are not projected or downwardAPI.
 * `legacyDefaults` fill in the fields a legacy annotation does not carry.
 */
export function volumesToRestore(
  pod: KubeObject,
  sourceNamespace: string,
  index: PodVolumeIndex,
  legacyDefaults: Pick<BackedUpVolume, 'backupStorageLocation'>,
): BackedUpVolume[] {
  const recorded = index[podKey(sourceNamespace, pod.metadata.name ?? '')] ?? legacyVolumes(pod, legacyDefaults);
  if (recorded.length === 0) return [];
  const byName = new Map(recorded.map((v) => [v.volume, v]));
  const out: BackedUpVolume[] = [];
  for (const v of asArray(getPath(pod, 'spec', 'volumes'))) {
    const vol = asRecord(v);
    const name = str(vol?.name);
    const found = byName.get(name);
    if (!vol || !found || NOT_RESTORED_TYPES.some((t) => vol[t] !== undefined)) continue;
    out.push(found);
  }
  return out;
}

function legacyVolumes(pod: KubeObject, defaults: Pick<BackedUpVolume, 'backupStorageLocation'>): BackedUpVolume[] {
  const out: BackedUpVolume[] = [];
  for (const [key, value] of Object.entries(pod.metadata.annotations ?? {})) {
    if (!key.startsWith(LEGACY_SNAPSHOT_ANNOTATION_PREFIX) || value === '') continue;
    const volume = key.slice(LEGACY_SNAPSHOT_ANNOTATION_PREFIX.length);
    // Annotated backups predate kopia: their repositories are restic's.
    out.push({ volume, snapshotID: value, uploaderType: 'restic', repoIdentifier: '', ...defaults });
  }
  return out;
}

/** The claim a pod volume mounts, or undefined for other volume types. */
export function claimOf(pod: KubeObject, volume: string): string | undefined {
  for (const v of asArray(getPath(pod, 'spec', 'volumes'))) {
    if (str(asRecord(v)?.name) !== volume) continue;
    const claim = str(getPath(v, 'persistentVolumeClaim', 'claimName'));
    return claim === '' ? undefined : claim;
  }
  return undefined;
}

/**
 * `namespace/claim` of each claim some PodVolumeBackup took (annotation `velero.io/pvc-name`),
 * for the legacy PV decision of reference §4.5: the PV of such a claim is provisioned again.
 */
export function claimsBackedUpByPods(pvbs: readonly unknown[]): Set<string> {
  const out = new Set<string>();
  for (const raw of pvbs) {
    const claim = str(getPath(raw, 'metadata', 'annotations', Annotations.PVCName));
    const namespace = str(getPath(raw, 'spec', 'pod', 'namespace'));
    if (claim !== '' && namespace !== '' && str(getPath(raw, 'status', 'snapshotID')) !== '') {
      out.add(`${namespace}/${claim}`);
    }
  }
  return out;
}

/** `volume data: snapshot 1a2b (kopia, 1024 bytes)`, as the dry runs list a volume. */
export function volumeLine(v: BackedUpVolume): string {
  const size = v.snapshotSize !== undefined ? `, ${v.snapshotSize} bytes` : '';
  return `volume ${v.volume}: snapshot ${v.snapshotID} (${v.uploaderType || 'restic'}${size})`;
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
