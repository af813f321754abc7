/**
 * What adopting a tenant backup does with its volume data (issue 17 §5), decided without I/O.
 *
 * File-system backups (PodVolumeBackups, kopia or restic) live in repositories under the old
 * location's prefix (`tenants/<old UID>/<type>/<volume namespace>/`), one per volume namespace
 * and type, encrypted with the server's one repository password. A whole copy of such a
 * repository under the new UID's prefix is the same repository: every snapshot keeps its ID, so
 * the records only change the backup and location they name. The old backup keeps its own
 * repository, so deleting either backup never touches the other's data.
 *
 * CSI snapshots are not in the bucket: the storage snapshot is known by its handle from the
 * backup's stored VolumeSnapshotContents (the cluster's own were removed when the backup
 * finished, reference §7.3). A backup's deletion deletes the storage snapshot of each stored
 * content labelled `velero.io/backup-name` with its name (reference §5.3,
 * `velero.io/csi-volumesnapshotcontent-delete`; src/deletion/csi-snapshots.ts), and of each
 * content of the legacy `-csi-volumesnapshotcontents` file. Adoption hands the snapshots over:
 * the copy's contents (and VolumeSnapshots) are labelled with the new backup's name, and so
 * are the old backup's, whose legacy file also loses them; deleting or expiring the old backup
 * then leaves them, and deleting the adopted one deletes them.
 *
 * Data-mover uploads come along with their kopia repository, and native volume snapshots are
 * handed over as CSI snapshots are (adoption-moved.ts). Still refused, naming them: item
 * operations other than the data mover's (asynchronous plugin work recorded against the old
 * backup), and records that are not in the old backup's location.
 */
import { Labels, type RepositoryType } from '../../api/index.ts';
import { isRecord } from '../../kube/object.ts';
import { errorMessage } from '../../util/errors.ts';
import { validLabelValue } from '../../util/label-value.ts';
import { VS_GROUP_RESOURCE, VSC_GROUP_RESOURCE } from '../../volumes/csi/snapshot-objects.ts';
import { repositoryTypeOf } from '../../volumes/repository/open.ts';
import { planMovedData, planNativeHandOver, type MovedDataPlan, type NativeHandOver } from './adoption-moved.ts';

/** The volume records of the old backup, as read from its companion files. */
export interface StoredVolumeData {
  podVolumeBackups: unknown;
  volumeSnapshots: unknown;
  volumeInfo: unknown;
  /** The legacy CSI files (Velero ≤ 1.16); Skiff does not write them. */
  csiVolumeSnapshots: unknown;
  csiVolumeSnapshotContents: unknown;
  itemOperations: unknown;
}

export interface AdoptionNames {
  /** The old and the new velero.io Backup names. */
  from: string;
  to: string;
  /** The old and the new (tenant) storage locations. */
  oldLocation: string;
  newLocation: string;
  /** The restic repository URL of a volume namespace in the new location (`repoIdentifier`). */
  resticIdentifier: (volumeNamespace: string) => string;
}

/** One repository to copy from the old location's prefix to the new one's. */
export interface RepositoryToCopy {
  type: RepositoryType;
  volumeNamespace: string;
}

export type AdoptionVolumePlan =
  | { refused: string[] }
  | {
      repositories: RepositoryToCopy[];
      /** The rewritten `<backup>-podvolumebackups.json.gz` content; undefined when the backup has none. */
      podVolumeBackups?: unknown[];
      /** The CSI snapshots handed over; undefined when the backup holds none. */
      csi?: CsiHandOver;
      /** The data-mover uploads brought along; undefined when the backup has none. */
      moved?: MovedDataPlan;
      /** The native volume snapshots handed over; undefined when the backup holds none. */
      native?: NativeHandOver;
    };

/** The CSI snapshots adoption hands from the old backup to the new one. */
export interface CsiHandOver {
  /** The VolumeSnapshotContents the old backup took (its volume info), each of which the copy's tarball must hold, labelled. */
  contents: string[];
  /** The legacy files of the copy, relabelled (only those the old backup has). */
  copy: { csiVolumeSnapshots?: unknown[]; csiVolumeSnapshotContents?: unknown[] };
  /** The old backup's legacy contents file once handed over (empty), when it has one. */
  oldCsiVolumeSnapshotContents?: unknown[];
}

/** Decides the repositories to copy and the rewritten records, or every reason the data cannot come along. */
export function planAdoptionVolumes(stored: StoredVolumeData, names: AdoptionNames): AdoptionVolumePlan {
  const refused: string[] = [];
  const moved = planMovedData(stored, names, refused);
  const native = planNativeHandOver(stored, names, refused);
  const csi = planCsiHandOver(stored, names, refused);
  const pvbs = stored.podVolumeBackups;
  if (pvbs !== undefined && !Array.isArray(pvbs)) refused.push('PodVolumeBackups that are not a list');
  const repositories = new Map<string, RepositoryToCopy>();
  for (const r of moved?.repositories ?? []) repositories.set(`${r.type}/${r.volumeNamespace}`, r);
  const rewritten: unknown[] = [];
  for (const [i, raw] of (Array.isArray(pvbs) ? pvbs : []).entries()) {
    const record = podVolumeRecord(raw, i, names, refused);
    if (!record) continue;
    rewritten.push(record.rewritten);
    if (record.repository) {
      const { type, volumeNamespace } = record.repository;
      repositories.set(`${type}/${volumeNamespace}`, record.repository);
    }
  }
  if (refused.length > 0) return { refused };
  return {
    repositories: [...repositories.values()].sort((a, b) =>
      `${a.type}/${a.volumeNamespace}`.localeCompare(`${b.type}/${b.volumeNamespace}`),
    ),
    ...(Array.isArray(pvbs) ? { podVolumeBackups: rewritten } : {}),
    ...(csi ? { csi } : {}),
    ...(moved ? { moved } : {}),
    ...(native ? { native } : {}),
  };
}

/** The CSI snapshots the old backup owns, and its legacy records renamed for the new one. */
function planCsiHandOver(stored: StoredVolumeData, names: AdoptionNames, refused: string[]): CsiHandOver | undefined {
  const contents = new Set<string>();
  for (const v of Array.isArray(stored.volumeInfo) ? stored.volumeInfo : []) {
    if (!isRecord(v) || v.backupMethod !== 'CSISnapshot' || v.snapshotDataMoved === true) continue;
    const info = isRecord(v.csiSnapshotInfo) ? v.csiSnapshotInfo : {};
    if (typeof info.vscName === 'string' && info.vscName !== '') contents.add(info.vscName);
  }
  const copy: CsiHandOver['copy'] = {};
  for (const file of ['csiVolumeSnapshots', 'csiVolumeSnapshotContents'] as const) {
    const records = stored[file];
    if (records === undefined) continue;
    if (!Array.isArray(records)) {
      refused.push(`a legacy ${file} file that is not a list`);
      continue;
    }
    copy[file] = records.map((r: unknown) => (isRecord(r) ? (handOverSnapshotObject(r, names) ?? r) : r));
  }
  if (contents.size === 0 && Object.keys(copy).length === 0) return undefined;
  return {
    contents: [...contents].sort(),
    copy,
    // Deletion takes every content of this file, labelled or not: all of them go to the copy.
    ...(copy.csiVolumeSnapshotContents ? { oldCsiVolumeSnapshotContents: [] } : {}),
  };
}

/**
 * A VolumeSnapshot or VolumeSnapshotContent of the old backup (its `velero.io/backup-name`
 * label names it) labelled with the new backup's name instead, which is what makes a backup's
 * deletion delete its storage snapshot; undefined for any other object. The backup uid label
 * goes: the new Backup's uid is not known yet.
 */
export function handOverSnapshotObject(
  object: Record<string, unknown>,
  names: Pick<AdoptionNames, 'from' | 'to'>,
): Record<string, unknown> | undefined {
  if (object.kind !== 'VolumeSnapshot' && object.kind !== 'VolumeSnapshotContent') return undefined;
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  const labels = isRecord(metadata.labels) ? metadata.labels : {};
  if (labels[Labels.BackupName] !== validLabelValue(names.from)) return undefined;
  const rest: Record<string, unknown> = { ...labels, [Labels.BackupName]: validLabelValue(names.to) };
  delete rest[Labels.BackupUID];
  return { ...object, metadata: { ...metadata, labels: rest } };
}

/** Whether a tarball item of this group-resource may be a snapshot object `handOverSnapshotObject` relabels. */
export function isSnapshotGroupResource(groupResource: string): boolean {
  return groupResource === VS_GROUP_RESOURCE || groupResource === VSC_GROUP_RESOURCE;
}

/**
 * One PodVolumeBackup record renamed for the new backup: its name, backup label, owner and tags
 * name the new Backup (its uid is not known yet: backup sync fills it in from the name), and
 * its location and restic URL are the new location's. A record with a snapshot needs its
 * repository copied.
 */
function podVolumeRecord(
  raw: unknown,
  index: number,
  names: AdoptionNames,
  refused: string[],
): { rewritten: Record<string, unknown>; repository?: RepositoryToCopy } | undefined {
  if (!isRecord(raw)) {
    refused.push(`PodVolumeBackup record ${index}, which is not an object`);
    return undefined;
  }
  const record = structuredClone(raw);
  const metadata = isRecord(record.metadata) ? record.metadata : {};
  const spec = isRecord(record.spec) ? record.spec : {};
  const status = isRecord(record.status) ? record.status : {};
  const pod = isRecord(spec.pod) ? spec.pod : {};
  const name = typeof metadata.name === 'string' ? metadata.name : `#${index}`;
  const snapshotID = typeof status.snapshotID === 'string' ? status.snapshotID : '';
  const volumeNamespace = typeof pod.namespace === 'string' ? pod.namespace : '';
  let type: RepositoryType;
  try {
    type = repositoryTypeOf(typeof spec.uploaderType === 'string' ? spec.uploaderType : undefined);
  } catch (err) {
    if (snapshotID !== '') refused.push(`PodVolumeBackup ${name}: ${errorMessage(err)}`);
    type = 'kopia';
  }
  const location = typeof spec.backupStorageLocation === 'string' ? spec.backupStorageLocation : '';
  if (snapshotID !== '' && (volumeNamespace === '' || location !== names.oldLocation)) {
    refused.push(
      `PodVolumeBackup ${name}, whose snapshot is not in a repository of the old backup's location ${names.oldLocation}`,
    );
    return undefined;
  }
  renameForNewBackup(metadata, spec, names);
  spec.backupStorageLocation = names.newLocation;
  if (type === 'restic' && volumeNamespace !== '') spec.repoIdentifier = names.resticIdentifier(volumeNamespace);
  record.metadata = metadata;
  record.spec = spec;
  return { rewritten: record, ...(snapshotID !== '' ? { repository: { type, volumeNamespace } } : {}) };
}

/** Points a record's name, backup label, owner and tags at the new backup (in place, on a clone). */
function renameForNewBackup(
  metadata: Record<string, unknown>,
  spec: Record<string, unknown>,
  names: Pick<AdoptionNames, 'from' | 'to'>,
): void {
  if (typeof metadata.name === 'string' && metadata.name.startsWith(names.from)) {
    metadata.name = `${names.to}${metadata.name.slice(names.from.length)}`;
  }
  const labels = isRecord(metadata.labels) ? { ...metadata.labels } : {};
  labels[Labels.BackupName] = names.to;
  delete labels[Labels.BackupUID];
  metadata.labels = labels;
  if (Array.isArray(metadata.ownerReferences)) {
    metadata.ownerReferences = metadata.ownerReferences.map((ref: unknown) =>
      isRecord(ref) && ref.kind === 'Backup' && ref.name === names.from ? { ...ref, name: names.to, uid: '' } : ref,
    );
  }
  if (isRecord(spec.tags)) {
    const tags = { ...spec.tags };
    if (tags.backup === names.from) tags.backup = names.to;
    delete tags['backup-uid'];
    spec.tags = tags;
  }
}

/**
 * The object that says a repository is complete and which one it is: kopia's format blob and
 * restic's config hold the repository's identity. A copy writes it last, so a copy that
 * stopped half-way is not taken for a repository; equal bytes mean the same repository.
 */
export function repositoryMarker(type: RepositoryType): string {
  return type === 'kopia' ? 'kopia.repository' : 'config';
}

/**
 * Whether a repository object (its key relative to the repository's prefix) is copied: restic's
 * locks belong to the processes of the old location and would block the copy's users.
 */
export function copiesRepositoryObject(type: RepositoryType, relativeKey: string): boolean {
  return !(type === 'restic' && relativeKey.startsWith('locks/'));
}
