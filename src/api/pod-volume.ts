/**
 * velero.io/v1 PodVolumeBackup and PodVolumeRestore: one file-system backup or
 * restore of one pod volume, run by the node-agent (reference §1.10, §1.11, §6).
 */
import { Type, type Static } from 'typebox';
import { parseKind, type VeleroObject } from './parse.ts';
import {
  DataPathPhase,
  DataProgressSchema,
  Int64,
  Nullable,
  ObjectReferenceSchema,
  PhaseEnum,
  StringMap,
  Timestamp,
  UploaderTypeField,
} from './schema.ts';

export { DataPathPhase as PodVolumeBackupPhase, DataPathPhase as PodVolumeRestorePhase } from './schema.ts';

const PodRefField = Type.Object(ObjectReferenceSchema.properties, {
  'x-kubernetes-map-type': 'atomic',
  description: 'The pod whose volume this is.',
});

// ---- PodVolumeBackup ----

export const PodVolumeBackupSpecSchema = Type.Object({
  node: Type.String({ description: 'Node the pod runs on; that node-agent does the work.' }),
  pod: PodRefField,
  volume: Type.String({ description: 'Name of the volume in the pod spec.' }),
  backupStorageLocation: Type.String({ description: 'BSL holding the repository.' }),
  repoIdentifier: Type.Optional(Type.String({ description: 'Restic repository URL; empty for kopia.' })),
  uploaderType: Type.Optional(UploaderTypeField),
  tags: Type.Optional(StringMap('Tags recorded with the snapshot.')),
  uploaderSettings: Type.Optional(Nullable(StringMap('Uploader settings.'))),
  cancel: Type.Optional(Type.Boolean({ description: 'Set to ask the node-agent to cancel.' })),
});
export type PodVolumeBackupSpec = Static<typeof PodVolumeBackupSpecSchema>;

export const PodVolumeBackupStatusSchema = Type.Object({
  phase: Type.Optional(PhaseEnum(DataPathPhase)),
  path: Type.Optional(Type.String({ description: 'Host path that was backed up.' })),
  snapshotID: Type.Optional(Type.String({ description: 'Snapshot ID in the repository.' })),
  message: Type.Optional(Type.String({ description: 'Details, e.g. why it failed.' })),
  startTimestamp: Type.Optional(Timestamp('When the backup started.')),
  completionTimestamp: Type.Optional(Timestamp('When the backup finished.')),
  progress: Type.Optional(DataProgressSchema),
  incrementalBytes: Type.Optional(Int64('Bytes uploaded by this (incremental) backup (1.18+).')),
  acceptedTimestamp: Type.Optional(Timestamp('When a node-agent accepted it.')),
});
export type PodVolumeBackupStatus = Static<typeof PodVolumeBackupStatusSchema>;

export type PodVolumeBackup = VeleroObject<PodVolumeBackupSpec, PodVolumeBackupStatus> & {
  apiVersion: 'velero.io/v1';
  kind: 'PodVolumeBackup';
};

export const PodVolumeBackupKind = {
  apiVersion: 'velero.io/v1',
  kind: 'PodVolumeBackup',
  spec: PodVolumeBackupSpecSchema,
  status: PodVolumeBackupStatusSchema,
} as const;

export function parsePodVolumeBackup(obj: unknown): PodVolumeBackup {
  return parseKind(PodVolumeBackupKind, obj) as PodVolumeBackup;
}

// ---- PodVolumeRestore ----

export const PodVolumeRestoreSpecSchema = Type.Object({
  pod: PodRefField,
  volume: Type.String({ description: 'Name of the volume in the pod spec.' }),
  backupStorageLocation: Type.String({ description: 'BSL holding the repository.' }),
  repoIdentifier: Type.Optional(Type.String({ description: 'Restic repository URL; empty for kopia.' })),
  uploaderType: Type.Optional(UploaderTypeField),
  snapshotID: Type.String({ description: 'Snapshot to restore.' }),
  sourceNamespace: Type.String({ description: 'Namespace the volume was backed up from.' }),
  uploaderSettings: Type.Optional(Nullable(StringMap('Uploader settings.'))),
  cancel: Type.Optional(Type.Boolean({ description: 'Set to ask the node-agent to cancel.' })),
  snapshotSize: Type.Optional(Int64('Size of the snapshot in bytes.')),
});
export type PodVolumeRestoreSpec = Static<typeof PodVolumeRestoreSpecSchema>;

export const PodVolumeRestoreStatusSchema = Type.Object({
  phase: Type.Optional(PhaseEnum(DataPathPhase)),
  message: Type.Optional(Type.String({ description: 'Details, e.g. why it failed.' })),
  startTimestamp: Type.Optional(Timestamp('When the restore started.')),
  completionTimestamp: Type.Optional(Timestamp('When the restore finished.')),
  progress: Type.Optional(DataProgressSchema),
  acceptedTimestamp: Type.Optional(Timestamp('When a node-agent accepted it.')),
  node: Type.Optional(Type.String({ description: 'Node that ran the restore.' })),
});
export type PodVolumeRestoreStatus = Static<typeof PodVolumeRestoreStatusSchema>;

export type PodVolumeRestore = VeleroObject<PodVolumeRestoreSpec, PodVolumeRestoreStatus> & {
  apiVersion: 'velero.io/v1';
  kind: 'PodVolumeRestore';
};

export const PodVolumeRestoreKind = {
  apiVersion: 'velero.io/v1',
  kind: 'PodVolumeRestore',
  spec: PodVolumeRestoreSpecSchema,
  status: PodVolumeRestoreStatusSchema,
} as const;

export function parsePodVolumeRestore(obj: unknown): PodVolumeRestore {
  return parseKind(PodVolumeRestoreKind, obj) as PodVolumeRestore;
}
