/**
 * The bucket side of handing CSI snapshots over from an adopted backup to its copy
 * (adoption-volumes.ts says why and what): the copy's tarball is written with its snapshot
 * objects labelled for the copy (and its DataUploads in the new location, adoption-moved.ts),
 * then the old backup's tarball likewise, re-sealed for its old namespace. The old tarball's new sha256 is recorded on the old velero.io Backup (the index,
 * which tenants cannot write) before it is stored, so an adoption interrupted between storing
 * it and re-sealing it can tell its own rewrite from tampering when it runs again.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { rewriteBackupArchive } from '../../archive/rewrite.ts';
import { Labels } from '../../api/labels.ts';
import { readAll } from '../../storage/object-store.ts';
import type { BackupStore } from '../../storage/index.ts';
import { validLabelValue } from '../../util/label-value.ts';
import { sha256Stream } from '../../util/sha256-stream.ts';
import { TamperedBackupError, TARBALL_CHANGED } from './seal.ts';
import { VSC_GROUP_RESOURCE } from '../../volumes/csi/snapshot-objects.ts';
import { handOverSnapshotObject, isSnapshotGroupResource, type CsiHandOver } from './adoption-volumes.ts';
import { adoptedDataUpload, DATA_UPLOADS_GROUP_RESOURCE, type MovedCopies } from './adoption-moved.ts';

export interface HandOverNames {
  from: string;
  to: string;
}

/**
 * The old backup's tarball with its snapshot objects labelled for the copy, and the names of
 * the contents it holds labelled for the copy (those it had, and those of an earlier run).
 * With `moved` (the old and new locations, and the copies of snapshots copied into a repository
 * the new namespace has), its stored DataUploads are rewritten for the copy too
 * (adoption-moved.ts); `problems` names those that could not be.
 */
export function handedOverTarball(
  source: Readable,
  names: HandOverNames,
  mtime: Date,
  moved?: { oldLocation: string; newLocation: string; copies?: MovedCopies },
): { body: Readable; contents: () => ReadonlySet<string>; problems: () => readonly string[] } {
  const labelled = new Set<string>();
  // A Set: an item is stored once per API version.
  const problems = new Set<string>();
  const label = validLabelValue(names.to);
  const { body } = rewriteBackupArchive(
    source,
    (record) => {
      if (moved && record.parsed.groupResource === DATA_UPLOADS_GROUP_RESOURCE) {
        const adopted = adoptedDataUpload(record.object, { ...names, ...moved }, moved.copies);
        if (adopted && 'problem' in adopted) problems.add(adopted.problem);
        return adopted && 'object' in adopted ? adopted.object : undefined;
      }
      if (!isSnapshotGroupResource(record.parsed.groupResource)) return undefined;
      const changed = handOverSnapshotObject(record.object, names);
      const after = changed ?? record.object;
      const metadata = after.metadata as { name?: unknown; labels?: Record<string, unknown> } | undefined;
      if (record.parsed.groupResource === VSC_GROUP_RESOURCE && metadata?.labels?.[Labels.BackupName] === label)
        labelled.add(typeof metadata.name === 'string' ? metadata.name : '');
      return changed;
    },
    mtime,
  );
  return { body, contents: () => labelled, problems: () => [...problems] };
}

/** The contents the copy must own whose stored objects its tarball lacks (labelled for it): each a problem. */
export function missingContents(csi: CsiHandOver, labelled: ReadonlySet<string>): string[] {
  return csi.contents.filter((c) => !labelled.has(c));
}

/**
 * Rewrites the old backup's tarball so that its snapshot objects name the copy; `record` is
 * called with the new tarball's sha256 before it is stored. Returns that sha256, or undefined
 * when the tarball already named the copy (nothing stored). The tarball read must be the
 * `sealed` one (its sha256, checked in that read): a tarball swapped after the seal check is
 * refused with TamperedBackupError, and nothing is stored.
 */
export async function handOverOldTarball(
  store: BackupStore,
  names: HandOverNames,
  mtime: Date,
  tarball: { sealed: string; record: (sha256: string) => Promise<void> },
): Promise<string | undefined> {
  let changed = 0;
  const read = sha256Stream(await store.getBackupContents(names.from));
  const { body } = rewriteBackupArchive(
    read.stream,
    (item) => {
      if (!isSnapshotGroupResource(item.parsed.groupResource)) return undefined;
      const after = handOverSnapshotObject(item.object, names);
      if (after) changed++;
      return after;
    },
    mtime,
  );
  // Held in memory: its digest must be recorded before it replaces the sealed one.
  const rewritten = await readAll(body);
  if ((await read.digest()) !== tarball.sealed) throw new TamperedBackupError(names.from, TARBALL_CHANGED);
  if (changed === 0) return undefined;
  const sha256 = createHash('sha256').update(rewritten).digest('hex');
  await tarball.record(sha256);
  await store.putBackupContents(names.from, rewritten);
  return sha256;
}
