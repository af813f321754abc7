/**
 * Copies chosen snapshots from one repository into another existing one of the same type
 * (`restic copy`, `kopia snapshot migrate`), both opened as the server opens repositories (one
 * password), and tells which new ID each copy has: neither tool keeps snapshot IDs.
 */
import { errorMessage } from '../../util/errors.ts';
import { KopiaUploader, ResticUploader, type Uploader } from '../uploader/index.ts';
import type { RepositoryKey } from './identity.ts';
import { openRepository, type RepositoryContext } from './open.ts';
import { kopiaCopies, kopiaSourcesToMigrate, resticCopies } from './snapshot-copies.ts';

/** Source snapshot ID -> the ID of its copy in `to`; rejects naming what could not be copied. */
export async function copySnapshots(
  ctx: RepositoryContext,
  from: RepositoryKey,
  to: RepositoryKey,
  snapshotIDs: readonly string[],
  signal?: AbortSignal,
): Promise<Map<string, string>> {
  const copies = await copyBetween(await openRepository(ctx, from), await openRepository(ctx, to), snapshotIDs, signal);
  if (copies.missing.length > 0) {
    throw new Error(
      `the ${to.type} repository of namespace ${to.volumeNamespace} in location ${to.location} holds no copy of snapshot(s) ${copies.missing.join(', ')} of location ${from.location} after copying them`,
    );
  }
  return copies.copies;
}

/** Copies the snapshots between two opened repositories of one type; `missing` names those that did not arrive. */
export async function copyBetween(
  source: Uploader,
  target: Uploader,
  snapshotIDs: readonly string[],
  signal?: AbortSignal,
): Promise<{ copies: Map<string, string>; missing: string[] }> {
  if (source instanceof ResticUploader && target instanceof ResticUploader) {
    return copyRestic(source, target, snapshotIDs, signal);
  }
  if (source instanceof KopiaUploader && target instanceof KopiaUploader) {
    return copyKopia(source, target, snapshotIDs, signal);
  }
  throw new Error(`cannot copy ${source.type} snapshots into a ${target.type} repository`);
}

async function copyRestic(
  source: ResticUploader,
  target: ResticUploader,
  ids: readonly string[],
  signal?: AbortSignal,
): Promise<{ copies: Map<string, string>; missing: string[] }> {
  await target.connect(signal);
  // restic skips a snapshot copied earlier (an adoption tried again) and says which copy it has.
  await target.copyFrom(source, ids, signal);
  return resticCopies(await source.listSnapshots(signal), await target.listSnapshots(signal), ids);
}

/**
 * kopia copies whole sources: the copies of the source's other snapshots are deleted again
 * (their data goes with the target's next maintenance).
 */
async function copyKopia(
  source: KopiaUploader,
  target: KopiaUploader,
  ids: readonly string[],
  signal?: AbortSignal,
): Promise<{ copies: Map<string, string>; missing: string[] }> {
  const sourceList = await source.listSnapshots(signal);
  const { sources, missing } = kopiaSourcesToMigrate(sourceList, ids);
  if (missing.length > 0) throw new Error(`the source repository has no snapshot(s) ${missing.join(', ')}`);
  const before = await target.listSnapshots(signal);
  await target.migrateFrom(source, sources, signal);
  const found = kopiaCopies(sourceList, before, await target.listSnapshots(signal), ids);
  for (const extra of found.extras) {
    try {
      await target.forget(extra, signal);
    } catch (err) {
      throw new Error(`cannot delete snapshot ${extra}, copied along with the wanted ones: ${errorMessage(err)}`, {
        cause: err,
      });
    }
  }
  return found;
}
