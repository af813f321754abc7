/**
 * Carries the file-system backup repositories of an adopted backup over to the new UID's
 * location, as adoption-repositories.ts decides: a whole copy object by object, nothing, or
 * the backup's own snapshots copied into the repository the recreated namespace already has
 * (volumes/repository/copy-snapshots.ts), whose new IDs go into the copy's records.
 */
import { readAll } from '../../storage/object-store.ts';
import type { BackupStore } from '../../storage/index.ts';
import { errorMessage } from '../../util/errors.ts';
import { copySnapshots } from '../../volumes/repository/copy-snapshots.ts';
import type { RepositoryContext } from '../../volumes/repository/open.ts';
import { repositoryCarry, withCopiedSnapshots } from './adoption-repositories.ts';
import { copiesRepositoryObject, repositoryMarker, type RepositoryToCopy } from './adoption-volumes.ts';

export interface RepositoryCarrySides {
  oldStore: BackupStore;
  newStore: BackupStore;
  oldLocation: string;
  newLocation: string;
  /** How the server opens repositories; without it, snapshots are not copied into an existing one. */
  repositories?: RepositoryContext | undefined;
}

/**
 * Carries each repository over; returns the copy's PodVolumeBackup records (with the IDs of
 * any snapshot copies), or the first problem. `movedData` names the repositories (`type/namespace`)
 * that hold the backup's data-mover uploads: their snapshots are named by the DataUploads in the
 * tarball, not by the records, so copying snapshots into an existing repository would leave them
 * behind; that case is refused, naming it.
 */
export async function carryRepositories(
  sides: RepositoryCarrySides,
  repositories: readonly RepositoryToCopy[],
  records: unknown[] | undefined,
  movedData: ReadonlySet<string> = new Set(),
): Promise<{ podVolumeBackups: unknown[] | undefined } | { problem: string }> {
  let current = records;
  for (const repository of repositories) {
    const { type, volumeNamespace } = repository;
    const marker = repositoryMarker(type);
    const from = sides.oldStore.repositoryPrefix(type, volumeNamespace);
    const to = sides.newStore.repositoryPrefix(type, volumeNamespace);
    const carry = repositoryCarry(
      {
        old: await readIfExists(sides.oldStore, `${from}${marker}`),
        new: await readIfExists(sides.newStore, `${to}${marker}`),
      },
      repository,
      current ?? [],
    );
    if (carry.kind === 'missing') {
      return { problem: `its ${type} repository of namespace ${volumeNamespace} is missing (no ${from}${marker})` };
    }
    if (carry.kind === 'copy-whole') await copyWhole(sides, repository);
    if (carry.kind !== 'copy-snapshots') continue;
    if (movedData.has(`${type}/${volumeNamespace}`)) {
      return {
        problem: `the recreated namespace already has a ${type} repository of its own for namespace ${volumeNamespace} (${to}), and the backup's data-mover uploads cannot be copied into it yet (only file-system backups' snapshots can): adopt before the namespace makes backups with moved data or file-system backups, or delete those backups and that repository first`,
      };
    }
    if (!sides.repositories) {
      return {
        problem: `the recreated namespace already has a ${type} repository of its own for namespace ${volumeNamespace} (${to}), and this server cannot open repositories to copy the backup's snapshots into it`,
      };
    }
    try {
      const copies = await copySnapshots(
        sides.repositories,
        { type, volumeNamespace, location: sides.oldLocation },
        { type, volumeNamespace, location: sides.newLocation },
        carry.snapshotIDs,
      );
      current = withCopiedSnapshots(current ?? [], repository, copies);
    } catch (err) {
      return {
        problem: `copying its ${type} snapshots of namespace ${volumeNamespace} into the repository the recreated namespace already has (${to}) failed: ${errorMessage(err)}`,
      };
    }
  }
  return { podVolumeBackups: current };
}

/**
 * Copies one repository of the old location under the new location's prefix, object by object
 * (kopia and restic encrypt with the server's one repository password, so the copy is the same
 * repository and every snapshot keeps its ID). Its marker (format blob or config) goes last: a
 * copy that stopped half-way is copied again.
 */
async function copyWhole(sides: RepositoryCarrySides, repository: RepositoryToCopy): Promise<void> {
  const { type, volumeNamespace } = repository;
  const { oldStore: source, newStore: target } = sides;
  const from = source.repositoryPrefix(type, volumeNamespace);
  const to = target.repositoryPrefix(type, volumeNamespace);
  const marker = repositoryMarker(type);
  for await (const key of source.objectStore.listObjects(from)) {
    const relative = key.slice(from.length);
    if (relative === marker || !copiesRepositoryObject(type, relative)) continue;
    await target.objectStore.putObject(`${to}${relative}`, await source.objectStore.getObject(key));
  }
  await target.objectStore.putObject(`${to}${marker}`, await source.objectStore.getObject(`${from}${marker}`));
}

async function readIfExists(store: BackupStore, key: string): Promise<Buffer | undefined> {
  if (!(await store.objectStore.objectExists(key))) return undefined;
  return readAll(await store.objectStore.getObject(key));
}
