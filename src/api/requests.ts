/**
 * The request kinds: short-lived objects a client creates to ask the server
 * for something (reference §1.7 DeleteBackupRequest, §1.8 DownloadRequest,
 * §1.9 ServerStatusRequest).
 */
import { Type, type Static } from 'typebox';
import { parseKind, type VeleroObject } from './parse.ts';
import { PhaseEnum, StringEnum, StringList, Timestamp } from './schema.ts';

// ---- DeleteBackupRequest ----

export const DeleteBackupRequestPhase = {
  New: 'New',
  InProgress: 'InProgress',
  Processed: 'Processed',
} as const;
export type DeleteBackupRequestPhase = (typeof DeleteBackupRequestPhase)[keyof typeof DeleteBackupRequestPhase];

export const DeleteBackupRequestSpecSchema = Type.Object({
  backupName: Type.String({ description: 'The Backup to delete.' }),
});
export type DeleteBackupRequestSpec = Static<typeof DeleteBackupRequestSpecSchema>;

export const DeleteBackupRequestStatusSchema = Type.Object({
  phase: Type.Optional(PhaseEnum(DeleteBackupRequestPhase)),
  errors: Type.Optional(StringList('Problems met while deleting.')),
});
export type DeleteBackupRequestStatus = Static<typeof DeleteBackupRequestStatusSchema>;

export type DeleteBackupRequest = VeleroObject<DeleteBackupRequestSpec, DeleteBackupRequestStatus> & {
  apiVersion: 'velero.io/v1';
  kind: 'DeleteBackupRequest';
};

export const DeleteBackupRequestKind = {
  apiVersion: 'velero.io/v1',
  kind: 'DeleteBackupRequest',
  spec: DeleteBackupRequestSpecSchema,
  status: DeleteBackupRequestStatusSchema,
} as const;

export function parseDeleteBackupRequest(obj: unknown): DeleteBackupRequest {
  return parseKind(DeleteBackupRequestKind, obj) as DeleteBackupRequest;
}

// ---- DownloadRequest ----

export const DownloadRequestPhase = { New: 'New', Processed: 'Processed' } as const;
export type DownloadRequestPhase = (typeof DownloadRequestPhase)[keyof typeof DownloadRequestPhase];

/** What a DownloadRequest can fetch; each maps to one file of a backup or restore in the BSL. */
export const DownloadTargetKind = {
  BackupLog: 'BackupLog',
  BackupContents: 'BackupContents',
  BackupVolumeSnapshots: 'BackupVolumeSnapshots',
  BackupItemOperations: 'BackupItemOperations',
  BackupResourceList: 'BackupResourceList',
  BackupResults: 'BackupResults',
  RestoreLog: 'RestoreLog',
  RestoreResults: 'RestoreResults',
  RestoreResourceList: 'RestoreResourceList',
  RestoreItemOperations: 'RestoreItemOperations',
  CSIBackupVolumeSnapshots: 'CSIBackupVolumeSnapshots',
  CSIBackupVolumeSnapshotContents: 'CSIBackupVolumeSnapshotContents',
  BackupVolumeInfos: 'BackupVolumeInfos',
  RestoreVolumeInfo: 'RestoreVolumeInfo',
} as const;
export type DownloadTargetKind = (typeof DownloadTargetKind)[keyof typeof DownloadTargetKind];

export const DownloadRequestSpecSchema = Type.Object({
  target: Type.Object({
    kind: StringEnum(Object.values(DownloadTargetKind), { description: 'Which file to download.' }),
    name: Type.String({ description: 'Name of the backup or restore.' }),
  }),
});
export type DownloadRequestSpec = Static<typeof DownloadRequestSpecSchema>;

export const DownloadRequestStatusSchema = Type.Object({
  phase: Type.Optional(PhaseEnum(DownloadRequestPhase)),
  downloadURL: Type.Optional(Type.String({ description: 'Pre-signed URL, valid for 10 minutes.' })),
  expiration: Type.Optional(Timestamp('When the request and its URL expire.')),
});
export type DownloadRequestStatus = Static<typeof DownloadRequestStatusSchema>;

export type DownloadRequest = VeleroObject<DownloadRequestSpec, DownloadRequestStatus> & {
  apiVersion: 'velero.io/v1';
  kind: 'DownloadRequest';
};

export const DownloadRequestKind = {
  apiVersion: 'velero.io/v1',
  kind: 'DownloadRequest',
  spec: DownloadRequestSpecSchema,
  status: DownloadRequestStatusSchema,
} as const;

export function parseDownloadRequest(obj: unknown): DownloadRequest {
  return parseKind(DownloadRequestKind, obj) as DownloadRequest;
}

// ---- ServerStatusRequest ----

export const ServerStatusRequestPhase = { New: 'New', Processed: 'Processed' } as const;
export type ServerStatusRequestPhase = (typeof ServerStatusRequestPhase)[keyof typeof ServerStatusRequestPhase];

/** The spec is empty; the object itself is the question. */
export const ServerStatusRequestSpecSchema = Type.Object({});
export type ServerStatusRequestSpec = Static<typeof ServerStatusRequestSpecSchema>;

export const ServerStatusRequestStatusSchema = Type.Object({
  phase: Type.Optional(PhaseEnum(ServerStatusRequestPhase)),
  processedTimestamp: Type.Optional(Timestamp('When the server answered.')),
  serverVersion: Type.Optional(Type.String({ description: 'Version of the server.' })),
  plugins: Type.Optional(
    Type.Array(
      Type.Object({
        name: Type.String({ description: 'Plugin name.' }),
        kind: Type.String({ description: 'Plugin kind (ObjectStore, BackupItemAction, ...).' }),
      }),
      { description: 'Plugins the server has loaded.' },
    ),
  ),
});
export type ServerStatusRequestStatus = Static<typeof ServerStatusRequestStatusSchema>;

export type ServerStatusRequest = VeleroObject<ServerStatusRequestSpec, ServerStatusRequestStatus> & {
  apiVersion: 'velero.io/v1';
  kind: 'ServerStatusRequest';
};

export const ServerStatusRequestKind = {
  apiVersion: 'velero.io/v1',
  kind: 'ServerStatusRequest',
  spec: ServerStatusRequestSpecSchema,
  status: ServerStatusRequestStatusSchema,
} as const;

export function parseServerStatusRequest(obj: unknown): ServerStatusRequest {
  return parseKind(ServerStatusRequestKind, obj) as ServerStatusRequest;
}
