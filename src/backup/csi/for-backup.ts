import type { Backup } from '../../api/backup.ts';
import type { Cluster } from '../../kube/cluster.ts';
import { parseDuration } from '../../util/duration.ts';
import { ensureRepository } from '../../volumes/repository/ensure.ts';
import type { PreparedVolumes } from '../volumes/prepare.ts';
import { CsiSnapshots } from './csi-snapshots.ts';
import type { DataUploadSettings } from './data-uploads.ts';

/** Velero's default `spec.itemOperationTimeout`: how long a backup waits for its async operations. */
const DEFAULT_ITEM_OPERATION_TIMEOUT = '4h';

/** The CSI snapshot executor of one backup, deciding volumes as its pod volume backups do. */
export function csiSnapshotsFor(deps: { cluster: Cluster }, backup: Backup, prepared: PreparedVolumes): CsiSnapshots {
  return new CsiSnapshots({
    cluster: deps.cluster,
    backup: { name: backup.metadata.name ?? '', annotations: backup.metadata.annotations ?? {} },
    settings: {
      policies: prepared.policies,
      defaultVolumesToFsBackup: prepared.fields.defaultVolumesToFsBackup,
      defaultSource: prepared.fields.defaultSource,
      snapshotVolumes: backup.spec.snapshotVolumes ?? undefined,
      pvcsIncluded: prepared.pvcsIncluded,
    },
    timeoutMs: prepared.fields.csiSnapshotTimeoutMs,
    ...(backup.spec.snapshotMoveData === true ? { moveData: moveDataSettings(backup, prepared) } : {}),
  });
}

/** `snapshotMoveData` (reference §7.3 step 8): where and how the claims' snapshots are moved. */
function moveDataSettings(backup: Backup, prepared: PreparedVolumes): DataUploadSettings {
  let waitMs = parseDuration(DEFAULT_ITEM_OPERATION_TIMEOUT);
  try {
    if (backup.spec.itemOperationTimeout) waitMs = parseDuration(backup.spec.itemOperationTimeout) || waitMs;
  } catch {
    // Refused by validation before the backup starts.
  }
  return {
    backup: {
      name: backup.metadata.name ?? '',
      uid: backup.metadata.uid ?? '',
      namespace: backup.metadata.namespace ?? '',
    },
    location: prepared.location.metadata.name ?? '',
    datamover: backup.spec.datamover ?? '',
    operationTimeout: backup.spec.csiSnapshotTimeout || `${Math.round(prepared.fields.csiSnapshotTimeoutMs / 1000)}s`,
    parallelFilesUpload: backup.spec.uploaderConfig?.parallelFilesUpload ?? undefined,
    waitMs,
    ensureRepository,
  };
}
