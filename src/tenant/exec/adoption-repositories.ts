/**
 * How adoption carries a file-system backup repository over (issue 17 §5), decided without I/O
 * from what the two locations hold:
 *
 * - the new UID's prefix has no such repository: the old one is copied whole (the same
 *   repository, every snapshot keeps its ID);
 * - it holds that very repository (an earlier adoption copied it whole; equal markers): nothing
 *   to copy, the IDs hold;
 * - it holds a repository of its own (the recreated namespace's file-system or data-mover
 *   backups, e.g. a schedule that ran before the admin adopted): only the adopted backup's
 *   snapshots are copied into it (restic copy, kopia snapshot migrate), which gives them new
 *   IDs, written into the copy's PodVolumeBackup records (and, for its data-mover uploads, its
 *   DataUploads and volume info: adoption-moved.ts). The repository's own snapshots are left as they are, the
 *   old repository keeps its snapshots (deleting the old backup never touches the copies), and
 *   deleting the adopted backup forgets only the copies its records name.
 */
import type { RepositoryType } from '../../api/index.ts';
import { isRecord } from '../../kube/object.ts';
import { DIR_TIMES_ANNOTATION } from '../../volumes/dir-times/record.ts';
import { isInlineDirTimes } from '../../volumes/dir-times/inline.ts';
import { repositoryTypeOf } from '../../volumes/repository/open.ts';
import type { RepositoryToCopy } from './adoption-volumes.ts';

export type RepositoryCarry =
  { kind: 'missing' } | { kind: 'copy-whole' } | { kind: 'same' } | { kind: 'copy-snapshots'; snapshotIDs: string[] };

/**
 * What to do with one repository, from the markers of the old and new prefixes (their bytes:
 * the repository's identity, adoption-volumes.ts `repositoryMarker`), the copy's records and
 * the snapshots the backup's data-mover uploads keep in it (adoption-moved.ts
 * `movedSnapshotsByRepository`): copied along with the records' own, once each.
 */
export function repositoryCarry(
  markers: { old?: Buffer | undefined; new?: Buffer | undefined },
  repository: RepositoryToCopy,
  records: readonly unknown[],
  movedSnapshots: readonly string[] = [],
): RepositoryCarry {
  if (!markers.old) return { kind: 'missing' };
  if (!markers.new) return { kind: 'copy-whole' };
  if (markers.new.equals(markers.old)) return { kind: 'same' };
  const ids = new Set([...snapshotsIn(records, repository), ...movedSnapshots]);
  return { kind: 'copy-snapshots', snapshotIDs: [...ids].sort() };
}

/**
 * The snapshots the records keep in the repository, sorted: each record's data snapshot and,
 * for kopia, its directory-times snapshot unless that record is inline (not in the repository).
 */
export function snapshotsIn(records: readonly unknown[], repository: RepositoryToCopy): string[] {
  const ids = new Set<string>();
  for (const r of records) {
    const ref = snapshotRefs(r, repository);
    if (!ref) continue;
    if (ref.snapshotID) ids.add(ref.snapshotID);
    if (ref.dirTimes && !isInlineDirTimes(ref.dirTimes)) ids.add(ref.dirTimes);
  }
  return [...ids].sort();
}

/**
 * The records with the repository's snapshot IDs replaced by their copies' (other records and
 * IDs the map does not name are unchanged). Returns new records; the input is left alone.
 */
export function withCopiedSnapshots(
  records: readonly unknown[],
  repository: RepositoryToCopy,
  copies: ReadonlyMap<string, string>,
): unknown[] {
  return records.map((r) => {
    const ref = snapshotRefs(r, repository);
    if (!ref || !isRecord(r)) return r;
    const record = structuredClone(r);
    const status = isRecord(record.status) ? record.status : {};
    const copy = copies.get(ref.snapshotID);
    if (copy) record.status = { ...status, snapshotID: copy };
    const timesCopy = ref.dirTimes ? copies.get(ref.dirTimes) : undefined;
    if (timesCopy && isRecord(record.metadata) && isRecord(record.metadata.annotations)) {
      record.metadata.annotations = { ...record.metadata.annotations, [DIR_TIMES_ANNOTATION]: timesCopy };
    }
    return record;
  });
}

/** A record's snapshot IDs when it belongs to the repository (its pod's namespace and uploader type). */
function snapshotRefs(
  raw: unknown,
  repository: RepositoryToCopy,
): { snapshotID: string; dirTimes?: string } | undefined {
  if (!isRecord(raw)) return undefined;
  const spec = isRecord(raw.spec) ? raw.spec : {};
  const pod = isRecord(spec.pod) ? spec.pod : {};
  if (pod.namespace !== repository.volumeNamespace || typeOf(spec.uploaderType) !== repository.type) return undefined;
  const status = isRecord(raw.status) ? raw.status : {};
  const snapshotID = typeof status.snapshotID === 'string' ? status.snapshotID : '';
  if (snapshotID === '') return undefined;
  const metadata = isRecord(raw.metadata) ? raw.metadata : {};
  const annotations = isRecord(metadata.annotations) ? metadata.annotations : {};
  const dirTimes = annotations[DIR_TIMES_ANNOTATION];
  return { snapshotID, ...(typeof dirTimes === 'string' && dirTimes !== '' ? { dirTimes } : {}) };
}

function typeOf(uploaderType: unknown): RepositoryType | undefined {
  try {
    return repositoryTypeOf(typeof uploaderType === 'string' ? uploaderType : undefined);
  } catch {
    return undefined;
  }
}
