/**
 * Backup deletion's step for moved snapshot data (reference §5.3 step 4, §7.4): the kopia snapshots the
 * backup's DataUploads made (and their directory-times snapshots) are forgotten in the source namespaces'
 * repositories, as the PodVolumeBackups' are. The DataUploads are read from the tarball, where the backup
 * stored them; the tarball is read only when the volume info says some data was moved.
 */
import type { DataUpload } from '../../api/index.ts';
import { readBackupArchive } from '../../archive/index.ts';
import type { BackupStore } from '../../storage/index.ts';
import type { SnapshotToForget } from '../repository/forget-snapshots.ts';
import { sha256Stream } from '../../util/sha256-stream.ts';
import { DIR_TIMES_RESULT_KEY } from './upload-objects.ts';

const DATA_UPLOADS = 'datauploads.velero.io';

/** The kopia snapshots of the DataUploads stored in one DataUpload list (pure). */
export function dataUploadSnapshots(uploads: readonly DataUpload[]): SnapshotToForget[] {
  const out: SnapshotToForget[] = [];
  for (const du of uploads) {
    const snapshotID = du.status?.snapshotID;
    if (!snapshotID || !du.spec.sourceNamespace || !du.spec.backupStorageLocation) continue;
    const key = {
      volumeNamespace: du.spec.sourceNamespace,
      location: du.spec.backupStorageLocation,
      type: 'kopia' as const,
    };
    const from = `DataUpload ${du.metadata.name ?? ''}`;
    out.push({ key, snapshotID, from });
    const dirTimes = du.status?.dataMoverResult?.[DIR_TIMES_RESULT_KEY];
    if (dirTimes) out.push({ key, snapshotID: dirTimes, from });
  }
  return out;
}

/**
 * The kopia snapshots a stored backup's DataUploads made; none when its volume info records no
 * moved data. With `tarballSha256`, the tarball read must have that digest (checked in the same
 * read; adoption reads a sealed backup), else it rejects with `mismatch()`.
 */
export async function storedDataUploadSnapshots(
  store: BackupStore,
  backupName: string,
  expected?: { tarballSha256: string; mismatch: () => Error },
): Promise<SnapshotToForget[]> {
  const info = await store.getBackupFile(backupName, 'volumeInfo').catch(() => undefined);
  const moved =
    Array.isArray(info) && info.some((e) => (e as { snapshotDataMoved?: unknown } | null)?.snapshotDataMoved === true);
  if (!moved) return [];
  const uploads: DataUpload[] = [];
  const read = sha256Stream(await store.getBackupContents(backupName));
  for await (const rec of readBackupArchive(read.stream)) {
    if (rec.kind === 'item' && rec.parsed.groupResource === DATA_UPLOADS && rec.parsed.version === undefined)
      uploads.push(rec.object as unknown as DataUpload);
  }
  if (expected && (await read.digest()) !== expected.tarballSha256) throw expected.mismatch();
  return dataUploadSnapshots(uploads);
}
