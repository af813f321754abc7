import type { Backup } from '../../api/backup.ts';
import type { Cluster } from '../../kube/cluster.ts';
import type { PreparedVolumes } from '../volumes/prepare.ts';
import { CsiSnapshots } from './csi-snapshots.ts';

/** The CSI snapshot executor of one backup, deciding volumes as its pod volume backups do. */
export function csiSnapshotsFor(
  deps: { cluster: Cluster; volumes?: { pollMs?: number } | undefined },
  backup: Backup,
  prepared: PreparedVolumes,
): CsiSnapshots {
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
    ...(deps.volumes?.pollMs ? { pollMs: deps.volumes.pollMs } : {}),
  });
}
