/**
 * The registry of velero.io kinds: names, scope, printer columns, whether the
 * status subresource exists, and the schemas. CRDs (`crds.ts`), the CLI and
 * the controllers all read kind metadata from here.
 */
import type { TSchema } from 'typebox';
import type { ResourceRef } from '../kube/resource.ts';
import { BackupKind } from './backup.ts';
import { BackupRepositoryKind } from './backup-repository.ts';
import { BackupStorageLocationKind } from './backup-storage-location.ts';
import { DataDownloadKind, DataUploadKind } from './data-mover.ts';
import { PodVolumeBackupKind, PodVolumeRestoreKind } from './pod-volume.ts';
import { DeleteBackupRequestKind, DownloadRequestKind, ServerStatusRequestKind } from './requests.ts';
import { RestoreKind } from './restore.ts';
import { ScheduleKind } from './schedule.ts';
import { VolumeSnapshotLocationKind } from './volume-snapshot-location.ts';

export const VELERO_GROUP = 'velero.io';

/** A CRD `additionalPrinterColumns` entry. */
export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  priority?: number;
}

export interface KindInfo {
  group: typeof VELERO_GROUP;
  version: 'v1' | 'v2alpha1';
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  scope: 'Namespaced';
  /**
   * Whether `/status` is a subresource. Velero enables it only on some kinds
   * (reference §0); on the others status is written with an ordinary patch of
   * the whole object, and enabling it would make Velero's own writes of status
   * silently ignored. Writers must check this instead of assuming.
   */
  statusSubresource: boolean;
  /** One line for `kubectl explain`. */
  description: string;
  printerColumns: PrinterColumn[];
  spec: TSchema;
  status: TSchema;
}

const age: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };
const phase = (name = 'Status'): PrinterColumn => ({ name, type: 'string', jsonPath: '.status.phase' });

/** Columns of the data-path kinds (PVB, DataUpload, DataDownload). */
function dataPathColumns(locationPath: string): PrinterColumn[] {
  return [
    phase(),
    { name: 'Started', type: 'date', jsonPath: '.status.startTimestamp' },
    { name: 'Bytes Done', type: 'integer', jsonPath: '.status.progress.bytesDone' },
    { name: 'Total Bytes', type: 'integer', jsonPath: '.status.progress.totalBytes' },
    { name: 'Storage Location', type: 'string', jsonPath: locationPath },
    age,
    { name: 'Node', type: 'string', jsonPath: '.status.node' },
  ];
}

interface KindDefinition {
  schemas: { apiVersion: string; kind: string; spec: TSchema; status: TSchema };
  plural: string;
  shortNames?: string[];
  statusSubresource: boolean;
  description: string;
  columns: PrinterColumn[];
}

function info(def: KindDefinition): KindInfo {
  const version = def.schemas.apiVersion.split('/')[1];
  if (version !== 'v1' && version !== 'v2alpha1') throw new Error(`unexpected apiVersion ${def.schemas.apiVersion}`);
  return {
    group: VELERO_GROUP,
    version,
    kind: def.schemas.kind,
    plural: def.plural,
    singular: def.schemas.kind.toLowerCase(),
    shortNames: def.shortNames ?? [],
    scope: 'Namespaced',
    statusSubresource: def.statusSubresource,
    description: def.description,
    printerColumns: def.columns,
    spec: def.schemas.spec,
    status: def.schemas.status,
  };
}

const countColumns: PrinterColumn[] = [
  { name: 'Errors', type: 'integer', jsonPath: '.status.errors' },
  { name: 'Warnings', type: 'integer', jsonPath: '.status.warnings' },
];

export const Kinds = {
  Backup: info({
    schemas: BackupKind,
    plural: 'backups',
    statusSubresource: false,
    description: 'A backup of Kubernetes objects and volume data at a point in time.',
    columns: [
      phase(),
      ...countColumns,
      { name: 'Started', type: 'date', jsonPath: '.status.startTimestamp' },
      { name: 'Expires', type: 'date', jsonPath: '.status.expiration' },
      { name: 'Storage Location', type: 'string', jsonPath: '.spec.storageLocation' },
      age,
    ],
  }),
  Restore: info({
    schemas: RestoreKind,
    plural: 'restores',
    statusSubresource: false,
    description: 'A restore of objects and volume data from a backup.',
    columns: [
      { name: 'Backup', type: 'string', jsonPath: '.spec.backupName' },
      phase(),
      ...countColumns,
      { name: 'Started', type: 'date', jsonPath: '.status.startTimestamp' },
      { name: 'Completed', type: 'date', jsonPath: '.status.completionTimestamp' },
      age,
    ],
  }),
  Schedule: info({
    schemas: ScheduleKind,
    plural: 'schedules',
    statusSubresource: true,
    description: 'Creates Backups from a template on a cron schedule.',
    columns: [
      phase(),
      { name: 'Schedule', type: 'string', jsonPath: '.spec.schedule' },
      { name: 'LastBackup', type: 'date', jsonPath: '.status.lastBackup' },
      age,
      { name: 'Paused', type: 'boolean', jsonPath: '.spec.paused' },
    ],
  }),
  BackupStorageLocation: info({
    schemas: BackupStorageLocationKind,
    plural: 'backupstoragelocations',
    shortNames: ['bsl'],
    statusSubresource: true,
    description: 'An object-storage location where backups are stored.',
    columns: [
      phase('Phase'),
      { name: 'Last Validated', type: 'date', jsonPath: '.status.lastValidationTime' },
      age,
      { name: 'Default', type: 'boolean', jsonPath: '.spec.default' },
    ],
  }),
  VolumeSnapshotLocation: info({
    schemas: VolumeSnapshotLocationKind,
    plural: 'volumesnapshotlocations',
    shortNames: ['vsl'],
    statusSubresource: false,
    description: 'Where native volume snapshots are taken.',
    columns: [{ name: 'Provider', type: 'string', jsonPath: '.spec.provider' }, age],
  }),
  BackupRepository: info({
    schemas: BackupRepositoryKind,
    plural: 'backuprepositories',
    statusSubresource: true,
    description: 'A volume-data repository for one namespace in one storage location.',
    columns: [age, { name: 'Repository Type', type: 'string', jsonPath: '.spec.repositoryType' }, phase('Phase')],
  }),
  DeleteBackupRequest: info({
    schemas: DeleteBackupRequestKind,
    plural: 'deletebackuprequests',
    statusSubresource: true,
    description: 'A request to delete a backup and its data.',
    columns: [{ name: 'BackupName', type: 'string', jsonPath: '.spec.backupName' }, phase(), age],
  }),
  DownloadRequest: info({
    schemas: DownloadRequestKind,
    plural: 'downloadrequests',
    statusSubresource: false,
    description: 'A request for a signed URL to download a file of a backup or restore.',
    columns: [
      { name: 'Target Kind', type: 'string', jsonPath: '.spec.target.kind' },
      { name: 'Target', type: 'string', jsonPath: '.spec.target.name' },
      phase(),
      age,
    ],
  }),
  ServerStatusRequest: info({
    schemas: ServerStatusRequestKind,
    plural: 'serverstatusrequests',
    shortNames: ['ssr'],
    statusSubresource: false,
    description: 'A request for the server version and its plugins.',
    columns: [phase(), { name: 'Server Version', type: 'string', jsonPath: '.status.serverVersion' }, age],
  }),
  PodVolumeBackup: info({
    schemas: PodVolumeBackupKind,
    plural: 'podvolumebackups',
    statusSubresource: true,
    description: 'A file-system backup of one pod volume.',
    columns: [
      ...dataPathColumns('.spec.backupStorageLocation'),
      { name: 'Uploader', type: 'string', jsonPath: '.spec.uploaderType' },
    ],
  }),
  PodVolumeRestore: info({
    schemas: PodVolumeRestoreKind,
    plural: 'podvolumerestores',
    statusSubresource: true,
    description: 'A file-system restore of one pod volume.',
    columns: [
      { name: 'Namespace', type: 'string', jsonPath: '.spec.pod.namespace' },
      { name: 'Pod', type: 'string', jsonPath: '.spec.pod.name' },
      { name: 'Volume', type: 'string', jsonPath: '.spec.volume' },
      ...dataPathColumns('.spec.backupStorageLocation'),
      { name: 'Uploader', type: 'string', jsonPath: '.spec.uploaderType' },
    ],
  }),
  DataUpload: info({
    schemas: DataUploadKind,
    plural: 'datauploads',
    statusSubresource: true,
    description: "Moves one CSI snapshot's data into a storage location.",
    columns: dataPathColumns('.spec.backupStorageLocation'),
  }),
  DataDownload: info({
    schemas: DataDownloadKind,
    plural: 'datadownloads',
    statusSubresource: true,
    description: 'Restores one volume from data moved into a storage location.',
    columns: dataPathColumns('.spec.backupStorageLocation'),
  }),
} as const satisfies Record<string, KindInfo>;

export type VeleroKindName = keyof typeof Kinds;

/** Every kind, in a stable order (the order of `Kinds`). */
export const ALL_KINDS: readonly KindInfo[] = Object.values(Kinds);

/** The `{group, version, resource}` the Cluster facade takes. */
export function resourceRef(kind: KindInfo): ResourceRef {
  return { group: kind.group, version: kind.version, resource: kind.plural };
}

/** Finds a kind by Kind, plural, singular or short name (case-insensitive), as kubectl does. */
export function findKind(name: string): KindInfo | undefined {
  const wanted = name.toLowerCase();
  return ALL_KINDS.find(
    (k) =>
      k.kind.toLowerCase() === wanted || k.plural === wanted || k.singular === wanted || k.shortNames.includes(wanted),
  );
}
