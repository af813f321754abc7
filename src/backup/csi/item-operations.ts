/**
 * A backup's asynchronous item operations (reference §1.14 "Backup item operation", §7.3 step 8): Velero
 * records each DataUpload its CSI PVC action started as one operation in `<backup>-itemoperations.json.gz`,
 * and counts them in `status.backupItemOperationsAttempted/Completed/Failed`. Pure.
 */
import { DataPathPhase, type DataUpload } from '../../api/index.ts';
import { Labels } from '../../api/labels.ts';
import { dataUploadOperationID } from '../../volumes/data-mover/upload-objects.ts';

/** The backup item action that creates DataUploads in Velero: operations name it. */
export const CSI_PVC_BACKUPPER = 'velero.io/csi-pvc-backupper';

/** ResourceIdentifier: capitalised keys, as Velero's Go struct (no JSON tags) writes them (reference §1.14). */
export interface ResourceIdentifier {
  Group: string;
  Resource: string;
  Namespace: string;
  Name: string;
}

export interface OperationStatus {
  phase: 'New' | 'InProgress' | 'Completed' | 'Failed';
  error?: string;
  nCompleted?: number;
  nTotal?: number;
  operationUnits?: string;
  description?: string;
  created?: string;
  started?: string;
  updated?: string;
}

export interface BackupOperation {
  spec: {
    backupName: string;
    backupUID: string;
    backupItemAction: string;
    resourceIdentifier: ResourceIdentifier;
    operationID: string;
    postOperationItems: ResourceIdentifier[];
  };
  status: OperationStatus;
}

export interface ItemOperationCounts {
  backupItemOperationsAttempted: number;
  backupItemOperationsCompleted: number;
  backupItemOperationsFailed: number;
}

/** The operation of one DataUpload in its final (or last seen) state. */
export function dataUploadOperation(du: DataUpload, backup: { name: string; uid: string }): BackupOperation {
  const status = du.status ?? {};
  const phase = status.phase ?? '';
  const opPhase = operationPhase(phase);
  const progress = status.progress;
  return {
    spec: {
      backupName: backup.name,
      backupUID: backup.uid,
      backupItemAction: CSI_PVC_BACKUPPER,
      resourceIdentifier: {
        Group: '',
        Resource: 'persistentvolumeclaims',
        Namespace: du.spec.sourceNamespace,
        Name: du.spec.sourcePVC,
      },
      operationID: dataUploadOperationID(backup.uid, du.metadata.labels?.[Labels.PVCUID] ?? ''),
      postOperationItems: [
        {
          Group: 'velero.io',
          Resource: 'datauploads',
          Namespace: du.metadata.namespace ?? '',
          Name: du.metadata.name ?? '',
        },
      ],
    },
    status: {
      phase: opPhase,
      ...(opPhase === 'Failed'
        ? { error: `DataUpload is ${phase.toLowerCase()}${status.message ? `: ${status.message}` : ''}` }
        : {}),
      ...(progress?.totalBytes !== undefined ? { nTotal: progress.totalBytes } : {}),
      ...(progress?.bytesDone !== undefined ? { nCompleted: progress.bytesDone } : {}),
      operationUnits: 'Bytes',
      description: phase,
      ...(du.metadata.creationTimestamp ? { created: du.metadata.creationTimestamp } : {}),
      ...(status.startTimestamp ? { started: status.startTimestamp } : {}),
      ...(status.completionTimestamp ? { updated: status.completionTimestamp } : {}),
    },
  };
}

function operationPhase(phase: string): OperationStatus['phase'] {
  if (phase === DataPathPhase.Completed) return 'Completed';
  if (phase === DataPathPhase.Failed || phase === DataPathPhase.Canceled) return 'Failed';
  return phase === '' || phase === DataPathPhase.New ? 'New' : 'InProgress';
}

/** The Backup's item-operation counters (reference §1.1), when it started any. */
export function itemOperationCounts(operations: readonly BackupOperation[]): Partial<ItemOperationCounts> {
  if (operations.length === 0) return {};
  const completed = operations.filter((o) => o.status.phase === 'Completed').length;
  const failed = operations.filter((o) => o.status.phase === 'Failed').length;
  return {
    backupItemOperationsAttempted: operations.length,
    backupItemOperationsCompleted: completed,
    backupItemOperationsFailed: failed,
  };
}
