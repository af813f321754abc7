/**
 * Carries the repositories of an adopted backup (file-system backups' and data-mover uploads')
 * over to the new UID's location, as adoption-repositories.ts decides: a whole copy object by
 * object, nothing, or the backup's own snapshots copied into the repository the recreated
 * namespace already has (volumes/repository/copy-snapshots.ts), whose new IDs go into the
 * copy's records.
 */
import { readAll } from '../../storage/object-store.ts';
import type { BackupStore } from '../../storage/index.ts';
import { errorMessage } from '../../util/errors.ts';
import { copySnapshots } from '../../volumes/repository/copy-snapshots.ts';
import type { RepositoryContext } from '../../volumes/repository/open.ts';
import type { MovedCopies } from './adoption-moved.ts';
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

/** What carrying the repositories over gives the copy's records. */
export interface CarriedRepositories {
  /** The copy's PodVolumeBackup records, naming the copies of their snapshots. */
  podVolumeBackups: unknown[] | undefined;
  /** The copies of the data-mover uploads' snapshots, by volume namespace (adoption-moved.ts). */
  movedCopies: MovedCopies;
}

/**
 * Carries each repository over; returns the copy's PodVolumeBackup records (with the IDs of
 * any snapshot copies) and the copies of the snapshots of the backup's data-mover uploads, or
 * the first problem. `movedSnapshots` names, by repository (`type/namespace`), the snapshots the
 * DataUploads in the tarball keep there: the records do not name them, but they are copied
 * along, and the copy's DataUploads and volume info are rewritten with the new IDs.
 */
export async function carryRepositories(
  sides: RepositoryCarrySides,
  repositories: readonly RepositoryToCopy[],
  records: unknown[] | undefined,
  movedSnapshots: ReadonlyMap<string, readonly string[]> = new Map(),
): Promise<CarriedRepositories | { problem: string }> {
  let current = records;
  const movedCopies = new Map<string, ReadonlyMap<string, string>>();
  for (const repository of repositories) {
    const { type, volumeNamespace } = repository;
    const marker = repositoryMarker(type);
    const from = sides.oldStore.repositoryPrefix(type, volumeNamespace);
    const to = sides.newStore.repositoryPrefix(type, volumeNamespace);
    const moved = movedSnapshots.get(`${type}/${volumeNamespace}`);
    const carry = repositoryCarry(
      {
        old: await readIfExists(sides.oldStore, `${from}${marker}`),
        new: await readIfExists(sides.newStore, `${to}${marker}`),
      },
      repository,
      current ?? [],
      moved,
    );
    if (carry.kind === 'missing') {
      return { problem: `its ${type} repository of namespace ${volumeNamespace} is missing (no ${from}${marker})` };
    }
    if (carry.kind === 'copy-whole') await copyWhole(sides, repository);
    if (carry.kind !== 'copy-snapshots') continue;
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
      if (moved) movedCopies.set(volumeNamespace, copies);
    } catch (err) {
      return {
        problem: `copying its ${type} snapshots of namespace ${volumeNamespace} into the repository the recreated namespace already has (${to}) failed: ${errorMessage(err)}`,
      };
    }
  }
  return { podVolumeBackups: current, movedCopies };
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
