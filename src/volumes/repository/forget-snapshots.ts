/**
 * Step 4 of backup deletion (reference §5.3): the pod-volume snapshots of a backup are removed
 * from their repositories, read from the PodVolumeBackups the backup stored
 * (`<backup>-podvolumebackups.json.gz`). The space is freed by the next maintenance.
 */
import type { RepositoryType } from '../../api/index.ts';
import { errorMessage } from '../../util/errors.ts';
import { DIR_TIMES_ANNOTATION } from '../dir-times/record.ts';
import type { RepositoryKey } from './identity.ts';
import { openRepository, repositoryTypeOf, type RepositoryContext } from './open.ts';

interface StoredPodVolumeBackup {
  metadata?: { name?: string; annotations?: Record<string, string> };
  spec?: { pod?: { namespace?: string }; backupStorageLocation?: string; uploaderType?: string };
  status?: { snapshotID?: string };
}

export interface SnapshotToForget {
  key: RepositoryKey;
  snapshotID: string;
  /** The PodVolumeBackup that made it, for messages. */
  from: string;
}

/** The snapshots a stored PodVolumeBackup list names (those without a snapshot ID made none). */
export function snapshotsToForget(stored: unknown): SnapshotToForget[] {
  if (!Array.isArray(stored)) return [];
  const out: SnapshotToForget[] = [];
  for (const pvb of stored as StoredPodVolumeBackup[]) {
    const snapshotID = pvb.status?.snapshotID;
    const volumeNamespace = pvb.spec?.pod?.namespace;
    const location = pvb.spec?.backupStorageLocation;
    if (!snapshotID || !volumeNamespace || !location) continue;
    let type: RepositoryType;
    try {
      type = repositoryTypeOf(pvb.spec?.uploaderType);
    } catch {
      continue;
    }
    const key = { volumeNamespace, location, type };
    out.push({ key, snapshotID, from: pvb.metadata?.name ?? '' });
    // kopia backups by Skiff also have a snapshot of their directory times.
    const dirTimes = pvb.metadata?.annotations?.[DIR_TIMES_ANNOTATION];
    if (dirTimes) out.push({ key, snapshotID: dirTimes, from: pvb.metadata?.name ?? '' });
  }
  return out;
}

/** Forgets each snapshot; returns one error per snapshot that could not be forgotten. */
export async function forgetSnapshots(
  ctx: RepositoryContext,
  snapshots: readonly SnapshotToForget[],
): Promise<string[]> {
  const errors: string[] = [];
  for (const s of snapshots) {
    try {
      const uploader = await openRepository(ctx, s.key);
      await uploader.forget(s.snapshotID);
    } catch (err) {
      const message = errorMessage(err);
      // Already gone (a deletion tried again): nothing left to do.
      if (/not found|no matching|no snapshot/i.test(message)) continue;
      errors.push(
        `error deleting snapshot ${s.snapshotID} of pod volume backup ${s.from} from the ${s.key.type} repository of namespace ${s.key.volumeNamespace}: ${message}`,
      );
    }
  }
  return errors;
}
