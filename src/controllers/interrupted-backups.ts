/**
 * A backup that was running when its server stopped is marked Failed at the next start
 * (reference §1.1). The files it had uploaded stay behind: with the upload order of ADR 0002
 * the companion files (item operations, volume snapshots, pod volume backups, volume info)
 * land beside the tarball, long before `velero-backup.json`. Nothing would ever remove them:
 * the backup has no metadata in storage, so sync and GC never see it. They are removed here.
 */
import type { BackupStorageLocation } from '../api/index.ts';
import type { KubeObject } from '../kube/object.ts';
import { collect } from '../storage/index.ts';
import type { Logger } from '../util/log.ts';
import type { LocationResolver } from './locations.ts';

export type OrphanCleanupPlan = { action: 'remove'; keys: string[] } | { action: 'keep'; reason: string };

/**
 * Which of the keys under an interrupted backup's directory to remove (pure). A backup whose
 * `velero-backup.json` is there finished uploading (a backup exists exactly when that file
 * does, reference §2.1): its files are a complete backup and stay. A ReadOnly location is
 * never written to (reference §2.3).
 */
export function planOrphanCleanup(
  keys: readonly string[],
  metadataKey: string,
  accessMode: string | undefined,
): OrphanCleanupPlan {
  if (accessMode === 'ReadOnly') return { action: 'keep', reason: 'the location is ReadOnly' };
  if (keys.includes(metadataKey)) {
    return { action: 'keep', reason: 'its velero-backup.json is in storage: the upload completed' };
  }
  return keys.length === 0 ? { action: 'keep', reason: 'nothing was uploaded' } : { action: 'remove', keys: [...keys] };
}

/**
 * Removes what an interrupted backup left in its location, and logs it. Never throws: a
 * location that cannot be read leaves the files (the log says so), and start-up goes on.
 */
export async function removeOrphanedBackupFiles(
  deps: { locations: LocationResolver; log: Logger },
  backup: KubeObject,
): Promise<string[]> {
  const name = backup.metadata.name ?? '';
  const location = (backup.spec as { storageLocation?: string } | undefined)?.storageLocation ?? 'default';
  const log = deps.log.child({ backup: name, location });
  try {
    const bsl: BackupStorageLocation | undefined = await deps.locations.find(location);
    if (!bsl) {
      log.info('interrupted backup: its location no longer exists, so there are no files to remove');
      return [];
    }
    const store = await deps.locations.store(bsl);
    const dir = store.layout.backupDir(name);
    const keys = await collect(store.objectStore.listObjects(dir));
    const plan = planOrphanCleanup(keys, store.layout.backupKey(name, 'metadata'), bsl.spec.accessMode);
    // The tarball's upload may have been cut off between parts: none of it shows in a listing.
    if (bsl.spec.accessMode !== 'ReadOnly') {
      const streamed = [store.layout.backupKey(name, 'contents'), store.layout.backupKey(name, 'log')];
      const aborted = (await store.objectStore.abortIncompleteUploads?.(streamed)) ?? [];
      if (aborted.length > 0)
        log.warn({ aborted }, `interrupted backup: abandoned ${aborted.length} unfinished upload(s)`);
    }
    if (plan.action === 'keep') {
      if (keys.length > 0) log.info({ files: keys.length }, `interrupted backup: files kept, ${plan.reason}`);
      return [];
    }
    for (const key of plan.keys) await store.objectStore.deleteObject(key);
    log.warn({ removed: plan.keys }, `interrupted backup: removed ${plan.keys.length} orphaned file(s) from storage`);
    return plan.keys;
  } catch (err) {
    log.warn({ err }, 'interrupted backup: could not remove its orphaned files from storage');
    return [];
  }
}
