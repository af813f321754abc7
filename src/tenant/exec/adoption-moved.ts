/**
 * What adopting a tenant backup does with its data-mover uploads and its native volume
 * snapshots (issue 17 §5), decided without I/O; adoption-volumes.ts calls it and says the rest.
 *
 * Data-mover uploads (`snapshotMoveData`): each DataUpload put its volume's data into the kopia
 * repository of its source namespace in the backup's location, the same repository file-system
 * backups use (src/volumes/data-mover/upload-controller.ts). That repository is copied whole
 * when the new UID's prefix has none, so every snapshot keeps its ID; when the recreated
 * namespace already has one of its own, the backup's snapshots are copied into it under new IDs
 * (adoption-repository-copy.ts), which the copy's records then name (`movedCopies`). What names
 * the old backup, its location or its snapshots is rewritten: the DataUploads stored in the
 * tarball (a restore builds each DataDownload's location and snapshot ID from them, a deletion
 * takes the snapshots it forgets), the item operations and the volume info. The old backup keeps
 * its own repository and records: deleting either never touches the other's data.
 *
 * Native volume snapshots (provider snapshots, `<backup>-volumesnapshots.json.gz`): a backup's
 * deletion removes the snapshots its own file lists, so they are handed over as CSI snapshots
 * are: the copy's file lists them under the new backup's name, and the old backup's file is
 * emptied (and re-sealed), so deleting the old backup leaves them and deleting the adopted one
 * deletes them.
 */
import { Labels } from '../../api/labels.ts';
import { isRecord } from '../../kube/object.ts';
import { validLabelValue } from '../../util/label-value.ts';
import { CSI_PVC_BACKUPPER } from '../../backup/csi/item-operations.ts';
import { isInlineDirTimes } from '../../volumes/dir-times/inline.ts';
import { DIR_TIMES_RESULT_KEY } from '../../volumes/data-mover/upload-objects.ts';
import type { SnapshotToForget } from '../../volumes/repository/forget-snapshots.ts';
import type { AdoptionNames, RepositoryToCopy, StoredVolumeData } from './adoption-volumes.ts';

/** The tarball group-resource of stored DataUploads. */
export const DATA_UPLOADS_GROUP_RESOURCE = 'datauploads.velero.io';

/** The data-mover uploads adoption brings along. */
export interface MovedDataPlan {
  /** The kopia repositories the moved data sits in (by source namespace). */
  repositories: RepositoryToCopy[];
  /** The rewritten `<backup>-volumeinfo.json.gz`: moved volumes name the new location. */
  volumeInfo: unknown[];
  /** The rewritten `<backup>-itemoperations.json.gz`, when the backup has one: operations name the new backup. */
  itemOperations?: unknown[];
}

/** The native volume snapshots handed from the old backup to the new one. */
export interface NativeHandOver {
  /** The copy's `volumeSnapshots` file: the old records, naming the new backup. */
  copy: unknown[];
  /** The old backup's file once handed over. */
  old: [];
}

/**
 * The copies of moved snapshots made into a recreated namespace's own repository: by volume
 * namespace, each old snapshot ID -> its copy's ID. A namespace not named had its repository
 * copied whole (or found there already): its IDs hold.
 */
export type MovedCopies = ReadonlyMap<string, ReadonlyMap<string, string>>;

/**
 * The snapshots the backup's DataUploads keep in the kopia repositories of the old location, by
 * repository (`kopia/<namespace>`), each list sorted: their data and directory-times snapshots
 * (an inline record is no snapshot). Those of other locations are left out: planMovedData and
 * adoptedDataUpload refuse them.
 */
export function movedSnapshotsByRepository(
  snapshots: readonly SnapshotToForget[],
  oldLocation: string,
): Map<string, string[]> {
  const ids = new Map<string, Set<string>>();
  for (const { key, snapshotID } of snapshots) {
    if (key.location !== oldLocation || isInlineDirTimes(snapshotID)) continue;
    const repository = `${key.type}/${key.volumeNamespace}`;
    const set = ids.get(repository) ?? new Set<string>();
    set.add(snapshotID);
    ids.set(repository, set);
  }
  return new Map([...ids].map(([repository, set]) => [repository, [...set].sort()]));
}

/**
 * The volume info with each moved volume's kopia snapshot (`snapshotDataMovementInfo.snapshotHandle`)
 * replaced by its copy's, for the namespaces whose snapshots were copied; the input is left alone.
 */
export function withMovedCopies(volumeInfo: readonly unknown[], copies: MovedCopies): unknown[] {
  return volumeInfo.map((v) => {
    if (!isMovedVolume(v) || !isRecord(v.snapshotDataMovementInfo)) return v;
    const handle = v.snapshotDataMovementInfo.snapshotHandle;
    const copy = typeof handle === 'string' ? copies.get(text(v.pvcNamespace))?.get(handle) : undefined;
    return copy ? { ...v, snapshotDataMovementInfo: { ...v.snapshotDataMovementInfo, snapshotHandle: copy } } : v;
  });
}

/** Whether a volume info entry records data a data mover moved. */
export function isMovedVolume(v: unknown): v is Record<string, unknown> {
  return isRecord(v) && v.snapshotDataMoved === true;
}

/**
 * The repositories and rewritten records of the backup's data-mover uploads; undefined when it
 * has none. Item operations other than the data mover's, and moved data not in the old
 * location, go to `refused`, each named.
 */
export function planMovedData(
  stored: StoredVolumeData,
  names: AdoptionNames,
  refused: string[],
): MovedDataPlan | undefined {
  const info = Array.isArray(stored.volumeInfo) ? stored.volumeInfo : [];
  const moved = info.filter(isMovedVolume);
  const operations = Array.isArray(stored.itemOperations) ? stored.itemOperations : [];
  const others = operations.filter((op) => !isDataMoverOperation(op));
  if (others.length > 0 || (moved.length === 0 && operations.length > 0)) {
    const n = moved.length === 0 ? operations.length : others.length;
    refused.push(`${n} item operations (asynchronous plugin work recorded against the old backup)`);
  }
  if (stored.itemOperations !== undefined && !Array.isArray(stored.itemOperations))
    refused.push('item operations that are not a list');
  if (moved.length === 0) return undefined;
  const repositories = new Map<string, RepositoryToCopy>();
  const volumeInfo = info.map((v: unknown) => {
    if (!isMovedVolume(v)) return v;
    const claim = `${text(v.pvcNamespace)}/${text(v.pvcName)}`;
    const movement = isRecord(v.snapshotDataMovementInfo) ? v.snapshotDataMovementInfo : {};
    const location = typeof movement.storageLocation === 'string' ? movement.storageLocation : '';
    const volumeNamespace = typeof v.pvcNamespace === 'string' ? v.pvcNamespace : '';
    if (location !== names.oldLocation || volumeNamespace === '') {
      refused.push(
        `the data-mover upload of claim ${claim}, whose data is not in a repository of the old backup's location ${names.oldLocation}`,
      );
      return v;
    }
    repositories.set(volumeNamespace, { type: 'kopia', volumeNamespace });
    return { ...v, snapshotDataMovementInfo: { ...movement, storageLocation: names.newLocation } };
  });
  return {
    repositories: [...repositories.values()],
    volumeInfo,
    ...(Array.isArray(stored.itemOperations)
      ? { itemOperations: stored.itemOperations.map((op: unknown) => renamedOperation(op, names)) }
      : {}),
  };
}

/** Whether an item operation is one the built-in data mover's CSI PVC action recorded. */
function isDataMoverOperation(op: unknown): boolean {
  return isRecord(op) && isRecord(op.spec) && op.spec.backupItemAction === CSI_PVC_BACKUPPER;
}

/** An item operation naming the new backup (its uid is not known yet); its operation ID stays, as the volume info and DataUploads name it. */
function renamedOperation(op: unknown, names: Pick<AdoptionNames, 'from' | 'to'>): unknown {
  if (!isRecord(op) || !isRecord(op.spec) || op.spec.backupName !== names.from) return op;
  return { ...op, spec: { ...op.spec, backupName: names.to, backupUID: '' } };
}

/**
 * A DataUpload stored in the old backup's tarball, as the copy stores it: in the new location,
 * labelled and owned by the new backup (uid unknown yet, so the uid label goes), and naming the
 * copies of its snapshots when its namespace's were copied (`copies`). Its name stays: the item
 * operations name it. Returns `{ problem }` for one whose data is in another location or whose
 * snapshot has no copy, and undefined for one that needs no change.
 */
export function adoptedDataUpload(
  object: Record<string, unknown>,
  names: Pick<AdoptionNames, 'from' | 'to' | 'oldLocation' | 'newLocation'>,
  copies: MovedCopies = new Map(),
): { object: Record<string, unknown> } | { problem: string } | undefined {
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  const spec = isRecord(object.spec) ? object.spec : {};
  const name = typeof metadata.name === 'string' ? metadata.name : '';
  if (spec.backupStorageLocation === names.newLocation) return undefined;
  if (spec.backupStorageLocation !== names.oldLocation) {
    return {
      problem: `DataUpload ${name}, whose data is in location ${text(spec.backupStorageLocation)}, not the old backup's ${names.oldLocation}`,
    };
  }
  const labels: Record<string, unknown> = isRecord(metadata.labels) ? { ...metadata.labels } : {};
  if (labels[Labels.BackupName] === validLabelValue(names.from)) {
    labels[Labels.BackupName] = validLabelValue(names.to);
    delete labels[Labels.BackupUID];
  }
  const owners = Array.isArray(metadata.ownerReferences)
    ? metadata.ownerReferences.map((ref: unknown) =>
        isRecord(ref) && ref.kind === 'Backup' && ref.name === names.from ? { ...ref, name: names.to, uid: '' } : ref,
      )
    : undefined;
  const status = copiedStatus(object.status, copies.get(text(spec.sourceNamespace)));
  if ('missing' in status) {
    return {
      problem: `DataUpload ${name}, whose snapshot ${status.missing} was not copied into the repository of namespace ${text(spec.sourceNamespace)} in location ${names.newLocation}`,
    };
  }
  return {
    object: {
      ...object,
      metadata: { ...metadata, labels, ...(owners ? { ownerReferences: owners } : {}) },
      spec: { ...spec, backupStorageLocation: names.newLocation },
      ...(status.status !== undefined ? { status: status.status } : {}),
    },
  };
}

/**
 * A DataUpload's status naming the copies of its snapshot and directory-times snapshot (an
 * inline record stays); unchanged without copies; `missing` names a snapshot that has none.
 */
function copiedStatus(
  raw: unknown,
  copies: ReadonlyMap<string, string> | undefined,
): { status: unknown } | { missing: string } {
  if (!copies || !isRecord(raw)) return { status: raw };
  const snapshotID = text(raw.snapshotID);
  const copy = copies.get(snapshotID);
  if (snapshotID !== '' && !copy) return { missing: snapshotID };
  const result = isRecord(raw.dataMoverResult) ? raw.dataMoverResult : undefined;
  const times = text(result?.[DIR_TIMES_RESULT_KEY]);
  const timesCopy = times === '' || isInlineDirTimes(times) ? times : copies.get(times);
  if (timesCopy === undefined) return { missing: times };
  return {
    status: {
      ...raw,
      ...(copy ? { snapshotID: copy } : {}),
      ...(result && times !== '' ? { dataMoverResult: { ...result, [DIR_TIMES_RESULT_KEY]: timesCopy } } : {}),
    },
  };
}

/**
 * The native snapshots the old backup's deletion would remove, handed to the copy; undefined
 * when it has none (an empty file stays as it is).
 */
export function planNativeHandOver(
  stored: StoredVolumeData,
  names: Pick<AdoptionNames, 'from' | 'to'>,
  refused: string[],
): NativeHandOver | undefined {
  const records = stored.volumeSnapshots;
  if (records === undefined) return undefined;
  if (!Array.isArray(records)) {
    refused.push('volume snapshots that are not a list');
    return undefined;
  }
  if (records.length === 0) return undefined;
  const copy = records.map((r: unknown, i: number) => {
    if (!isRecord(r) || !isRecord(r.spec)) {
      refused.push(`volume snapshot record ${i}, which is not a snapshot`);
      return r;
    }
    return { ...r, spec: { ...r.spec, backupName: names.to, backupUID: '' } };
  });
  return { copy, old: [] };
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
