/**
 * The objects of CSI snapshot data movement on the backup side, named, labelled and filled as Velero does
 * (reference §7.3 step 8, §7.4, §1.12, §1.14). Pure.
 */
import { DataPathPhase, Labels, type DataUpload } from '../../api/index.ts';
import type { KubeObject } from '../../kube/object.ts';
import { validLabelValue } from '../../util/label-value.ts';
import { SNAPSHOT_API_VERSION, vscView } from '../csi/snapshot-objects.ts';
import { UploaderSettingKeys } from '../uploader/settings.ts';
import { DATA_MOVER_LABEL } from './mover-pod.ts';

/** The label on a static VolumeSnapshotContent naming the node whose csi-snapshotter manages it (per-node drivers). */
export const SNAPSHOT_MANAGED_BY_LABEL = 'snapshot.storage.kubernetes.io/managed-by';
/** `status.dataMoverResult` key of the directory-times snapshot (see src/volumes/dir-times/). */
export const DIR_TIMES_RESULT_KEY = 'skiff.io/dir-times-snapshot';
/** The only data movers this server runs: the built-in one. */
export const BUILT_IN_DATA_MOVERS: readonly string[] = ['', 'velero'];

/**
 * The DataUpload's async operation ID (§7.3 step 8): `du-<backupUID>.<pvcUID>`, normalised as a label value
 * (GetValidName, 76 characters become 63), because it is also the `velero.io/async-operation-id` label and the
 * item-operations file, the volume info and the label must name the operation alike.
 */
export function dataUploadOperationID(backupUID: string, pvcUID: string): string {
  return validLabelValue(`du-${backupUID}.${pvcUID}`);
}

export interface DataUploadInput {
  backup: { name: string; uid: string; namespace: string };
  pvc: { name: string; namespace: string; uid: string };
  volumeSnapshot: string;
  storageClass: string;
  snapshotClass: string;
  driver: string;
  location: string;
  datamover: string;
  /** The backup's `csiSnapshotTimeout`, as a Go duration. */
  operationTimeout: string;
  parallelFilesUpload?: number | undefined;
}

/** The DataUpload of one claim of a backup (§7.3 step 8). */
export function dataUploadObject(i: DataUploadInput): DataUpload {
  const operationID = dataUploadOperationID(i.backup.uid, i.pvc.uid);
  return {
    apiVersion: 'velero.io/v2alpha1',
    kind: 'DataUpload',
    metadata: {
      generateName: `${i.backup.name}-`,
      namespace: i.backup.namespace,
      labels: {
        [Labels.BackupName]: validLabelValue(i.backup.name),
        [Labels.BackupUID]: i.backup.uid,
        [Labels.PVCUID]: i.pvc.uid,
        [Labels.AsyncOperationID]: operationID,
      },
      ownerReferences: [
        { apiVersion: 'velero.io/v1', kind: 'Backup', name: i.backup.name, uid: i.backup.uid, controller: true },
      ],
    },
    spec: {
      snapshotType: 'CSI',
      csiSnapshot: {
        volumeSnapshot: i.volumeSnapshot,
        storageClass: i.storageClass,
        snapshotClass: i.snapshotClass,
        driver: i.driver,
      },
      sourcePVC: i.pvc.name,
      datamover: i.datamover,
      backupStorageLocation: i.location,
      sourceNamespace: i.pvc.namespace,
      operationTimeout: i.operationTimeout,
      ...(i.parallelFilesUpload
        ? { dataMoverConfig: { [UploaderSettingKeys.ParallelFilesUpload]: String(i.parallelFilesUpload) } }
        : {}),
    },
  };
}

/** Phases a DataUpload does not leave. */
export const FINAL_PHASES: readonly string[] = [DataPathPhase.Completed, DataPathPhase.Failed, DataPathPhase.Canceled];

export function isFinal(du: { status?: { phase?: string } | undefined }): boolean {
  return FINAL_PHASES.includes(du.status?.phase ?? '');
}

/**
 * Which step a node agent takes for a DataUpload it sees (§7.4 step 2): the phase decides, and for the data
 * path the node the mover pod landed on.
 */
export type UploadStep = 'none' | 'claim' | 'cancel' | 'upload';

export function nextUploadStep(du: DataUpload, node: string, running: boolean): UploadStep {
  const phase = du.status?.phase ?? '';
  if (FINAL_PHASES.includes(phase)) return 'none';
  if (du.spec.cancel) return 'cancel';
  if (phase === '' || phase === DataPathPhase.New) return 'claim';
  if (phase === DataPathPhase.Prepared && du.status?.node === node && !running) return 'upload';
  return 'none';
}

/** The clone of a snapshot in the server namespace (§7.4 step 1), named after the DataUpload. */
export function cloneSnapshotObjects(
  du: { name: string; namespace: string; uid: string },
  source: { vs: KubeObject; vsc: KubeObject },
): { vs: KubeObject; vsc: KubeObject } {
  const content = vscView(source.vsc);
  const handle = content.status?.snapshotHandle;
  const driver = content.spec?.driver;
  if (!handle || !driver) {
    throw new Error(`VolumeSnapshotContent ${source.vsc.metadata.name ?? ''} has no snapshot handle or driver yet`);
  }
  const labels: Record<string, string> = { [DATA_MOVER_LABEL]: validLabelValue(du.name) };
  const managedBy = source.vsc.metadata.labels?.[SNAPSHOT_MANAGED_BY_LABEL];
  // A per-node csi-snapshotter only sees the static contents labelled with its node.
  if (managedBy) labels[SNAPSHOT_MANAGED_BY_LABEL] = managedBy;
  const name = du.name;
  const vsc: KubeObject = {
    apiVersion: SNAPSHOT_API_VERSION,
    kind: 'VolumeSnapshotContent',
    metadata: { name: `${name}-${du.uid.slice(0, 8)}`, labels },
    spec: {
      // The storage snapshot belongs to the backup that took it: the clone never deletes it.
      deletionPolicy: 'Retain',
      driver,
      source: { snapshotHandle: handle },
      ...(content.spec?.volumeSnapshotClassName
        ? { volumeSnapshotClassName: content.spec.volumeSnapshotClassName }
        : {}),
      volumeSnapshotRef: { apiVersion: SNAPSHOT_API_VERSION, kind: 'VolumeSnapshot', name, namespace: du.namespace },
    },
  };
  const vs: KubeObject = {
    apiVersion: SNAPSHOT_API_VERSION,
    kind: 'VolumeSnapshot',
    metadata: {
      name,
      namespace: du.namespace,
      labels,
      ownerReferences: [{ apiVersion: 'velero.io/v2alpha1', kind: 'DataUpload', name, uid: du.uid, controller: true }],
    },
    spec: { source: { volumeSnapshotContentName: vsc.metadata.name } },
  };
  return { vs, vsc };
}

/** The volume info entry of a claim whose snapshot's data was moved (§1.14, BackupVolumeInfo). */
export function movedVolumeInfo(
  du: DataUpload,
  extra: {
    pvName: string;
    pvInfo: { reclaimPolicy: string; labels: Record<string, string> };
    snapshotHandle: string;
    vscName: string;
  },
): Record<string, unknown> {
  const status = du.status ?? {};
  return {
    pvcName: du.spec.sourcePVC,
    pvcNamespace: du.spec.sourceNamespace,
    pvName: extra.pvName,
    backupMethod: 'CSISnapshot',
    snapshotDataMoved: true,
    preserveLocalSnapshot: false,
    skipped: false,
    ...(status.startTimestamp ? { startTimestamp: status.startTimestamp } : {}),
    ...(status.completionTimestamp ? { completionTimestamp: status.completionTimestamp } : {}),
    result: status.phase === DataPathPhase.Completed ? 'succeeded' : 'failed',
    csiSnapshotInfo: {
      snapshotHandle: extra.snapshotHandle,
      driver: du.spec.csiSnapshot?.driver ?? '',
      vscName: extra.vscName,
      readyToUse: true,
    },
    snapshotDataMovementInfo: {
      dataMover: du.spec.datamover || 'velero',
      uploaderType: 'kopia',
      retainedSnapshot: du.spec.csiSnapshot?.volumeSnapshot ?? '',
      snapshotHandle: status.snapshotID ?? '',
      size: status.progress?.totalBytes ?? 0,
      incrementalSize: status.incrementalBytes ?? 0,
      phase: status.phase ?? '',
      operationID: dataUploadOperationID(
        du.metadata.labels?.[Labels.BackupUID] ?? '',
        du.metadata.labels?.[Labels.PVCUID] ?? '',
      ),
      storageLocation: du.spec.backupStorageLocation,
    },
    pvInfo: extra.pvInfo,
  };
}
