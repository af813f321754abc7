/**
 * velero.io/v2alpha1 DataUpload and DataDownload: moving one CSI snapshot's
 * data to or from the BSL (reference §1.12, §1.13, §7).
 */
import { Type, type Static } from 'typebox';
import { parseKind, type VeleroObject } from './parse.ts';
import {
  DataPathPhase,
  DataProgressSchema,
  Duration,
  Int64,
  Nullable,
  PhaseEnum,
  StringEnum,
  StringMap,
  Timestamp,
} from './schema.ts';

export { DataPathPhase as DataUploadPhase, DataPathPhase as DataDownloadPhase } from './schema.ts';

export const SnapshotType = { CSI: 'CSI' } as const;
export type SnapshotType = (typeof SnapshotType)[keyof typeof SnapshotType];

export const NodeOS = { Auto: 'auto', Linux: 'linux', Windows: 'windows' } as const;
export type NodeOS = (typeof NodeOS)[keyof typeof NodeOS];

const NodeOSField = StringEnum(Object.values(NodeOS), { description: 'OS of the node that must do the work.' });

// ---- DataUpload ----

export const DataUploadSpecSchema = Type.Object({
  snapshotType: StringEnum(Object.values(SnapshotType), { description: 'Kind of snapshot; only CSI.' }),
  csiSnapshot: Type.Optional(
    Nullable(
      Type.Object({
        volumeSnapshot: Type.String({ description: 'VolumeSnapshot to move.' }),
        storageClass: Type.String({ description: 'StorageClass of the source PVC.' }),
        snapshotClass: Type.Optional(Type.String({ description: 'VolumeSnapshotClass used.' })),
        driver: Type.Optional(Type.String({ description: 'CSI driver.' })),
      }),
    ),
  ),
  sourcePVC: Type.String({ description: 'PVC whose snapshot is moved.' }),
  datamover: Type.Optional(Type.String({ description: 'Data mover; empty or velero = built-in.' })),
  backupStorageLocation: Type.String({ description: 'Destination BSL.' }),
  sourceNamespace: Type.String({ description: 'Namespace of the source PVC.' }),
  dataMoverConfig: Type.Optional(Nullable(StringMap('Data mover settings.'))),
  cancel: Type.Optional(Type.Boolean({ description: 'Set to ask the data mover to cancel.' })),
  operationTimeout: Type.Optional(Duration("Timeout of the operation (the backup's csiSnapshotTimeout).")),
});
export type DataUploadSpec = Static<typeof DataUploadSpecSchema>;

export const DataUploadStatusSchema = Type.Object({
  phase: Type.Optional(PhaseEnum(DataPathPhase)),
  path: Type.Optional(Type.String({ description: 'Path that was uploaded.' })),
  snapshotID: Type.Optional(Type.String({ description: 'Snapshot ID in the repository.' })),
  dataMoverResult: Type.Optional(Nullable(StringMap('Data mover specific results.'))),
  message: Type.Optional(Type.String({ description: 'Details, e.g. why it failed.' })),
  startTimestamp: Type.Optional(Timestamp('When the upload started.')),
  completionTimestamp: Type.Optional(Timestamp('When the upload finished.')),
  progress: Type.Optional(DataProgressSchema),
  incrementalBytes: Type.Optional(Int64('Bytes uploaded by this (incremental) backup.')),
  node: Type.Optional(Type.String({ description: 'Node that did the upload.' })),
  nodeOS: Type.Optional(NodeOSField),
  acceptedByNode: Type.Optional(Type.String({ description: 'Node that accepted it.' })),
  acceptedTimestamp: Type.Optional(Timestamp('When a node accepted it.')),
});
export type DataUploadStatus = Static<typeof DataUploadStatusSchema>;

export type DataUpload = VeleroObject<DataUploadSpec, DataUploadStatus> & {
  apiVersion: 'velero.io/v2alpha1';
  kind: 'DataUpload';
};

export const DataUploadKind = {
  apiVersion: 'velero.io/v2alpha1',
  kind: 'DataUpload',
  spec: DataUploadSpecSchema,
  status: DataUploadStatusSchema,
} as const;

export function parseDataUpload(obj: unknown): DataUpload {
  return parseKind(DataUploadKind, obj) as DataUpload;
}

/**
 * DataUploadResult: not a kind, but serialised into restore-time ConfigMaps
 * (reference §1.12); parsed wherever those ConfigMaps are read.
 */
export const DataUploadResultSchema = Type.Object({
  backupStorageLocation: Type.String(),
  datamover: Type.Optional(Type.String()),
  snapshotID: Type.String(),
  sourceNamespace: Type.String(),
  dataMoverResult: Type.Optional(Nullable(StringMap())),
  nodeOS: Type.Optional(NodeOSField),
  snapshotSize: Type.Optional(Int64('Size of the snapshot in bytes.')),
});
export type DataUploadResult = Static<typeof DataUploadResultSchema>;

// ---- DataDownload ----

export const DataDownloadSpecSchema = Type.Object({
  targetVolume: Type.Object({
    pvc: Type.String({ description: 'PVC to restore into.' }),
    pv: Type.String({ description: 'PV to restore into.' }),
    namespace: Type.String({ description: 'Namespace of the PVC.' }),
  }),
  backupStorageLocation: Type.String({ description: 'Source BSL.' }),
  datamover: Type.Optional(Type.String({ description: 'Data mover; empty or velero = built-in.' })),
  snapshotID: Type.String({ description: 'Snapshot to restore.' }),
  sourceNamespace: Type.String({ description: 'Namespace the data was backed up from.' }),
  dataMoverConfig: Type.Optional(Nullable(StringMap('Data mover settings.'))),
  cancel: Type.Optional(Type.Boolean({ description: 'Set to ask the data mover to cancel.' })),
  operationTimeout: Type.Optional(Duration('Timeout of the operation.')),
  nodeOS: Type.Optional(NodeOSField),
  snapshotSize: Type.Optional(Int64('Size of the snapshot in bytes.')),
});
export type DataDownloadSpec = Static<typeof DataDownloadSpecSchema>;

export const DataDownloadStatusSchema = Type.Object({
  phase: Type.Optional(PhaseEnum(DataPathPhase)),
  message: Type.Optional(Type.String({ description: 'Details, e.g. why it failed.' })),
  startTimestamp: Type.Optional(Timestamp('When the download started.')),
  completionTimestamp: Type.Optional(Timestamp('When the download finished.')),
  progress: Type.Optional(DataProgressSchema),
  node: Type.Optional(Type.String({ description: 'Node that did the download.' })),
  acceptedByNode: Type.Optional(Type.String({ description: 'Node that accepted it.' })),
  acceptedTimestamp: Type.Optional(Timestamp('When a node accepted it.')),
});
export type DataDownloadStatus = Static<typeof DataDownloadStatusSchema>;

export type DataDownload = VeleroObject<DataDownloadSpec, DataDownloadStatus> & {
  apiVersion: 'velero.io/v2alpha1';
  kind: 'DataDownload';
};

export const DataDownloadKind = {
  apiVersion: 'velero.io/v2alpha1',
  kind: 'DataDownload',
  spec: DataDownloadSpecSchema,
  status: DataDownloadStatusSchema,
} as const;

export function parseDataDownload(obj: unknown): DataDownload {
  return parseKind(DataDownloadKind, obj) as DataDownload;
}
