/**
 * velero.io/v1 Backup (reference §1.1). Defaults noted in descriptions are
 * applied by the server, never by the CRD: a CRD default would hide whether the
 * user set the field, and several defaults come from server flags.
 */
import { Type, type Static } from 'typebox';
import { parseKind, type VeleroObject } from './parse.ts';
import {
  Duration,
  HookStatusSchema,
  Int,
  LabelSelectorField,
  LabelSelectorSchema,
  Nullable,
  OptionalBool,
  PhaseEnum,
  StringEnum,
  StringList,
  StringMap,
  Timestamp,
  TypedLocalObjectReferenceSchema,
} from './schema.ts';

export const BackupPhase = {
  New: 'New',
  Queued: 'Queued',
  ReadyToStart: 'ReadyToStart',
  FailedValidation: 'FailedValidation',
  InProgress: 'InProgress',
  WaitingForPluginOperations: 'WaitingForPluginOperations',
  WaitingForPluginOperationsPartiallyFailed: 'WaitingForPluginOperationsPartiallyFailed',
  Finalizing: 'Finalizing',
  FinalizingPartiallyFailed: 'FinalizingPartiallyFailed',
  Completed: 'Completed',
  PartiallyFailed: 'PartiallyFailed',
  Failed: 'Failed',
  Deleting: 'Deleting',
} as const;
export type BackupPhase = (typeof BackupPhase)[keyof typeof BackupPhase];

const ExecHookSchema = Type.Object({
  container: Type.Optional(Type.String({ description: "Container to run in; default the pod's first container." })),
  command: Type.Array(Type.String(), { minItems: 1, description: 'Command and arguments (not run in a shell).' }),
  onError: Type.Optional(StringEnum(['Continue', 'Fail'], { description: 'Only an explicit Fail is fatal.' })),
  timeout: Type.Optional(Duration('How long to wait for the command; default 30s.')),
});

const BackupResourceHookSchema = Type.Object({
  exec: ExecHookSchema,
});

export const BackupResourceHookSpecSchema = Type.Object({
  name: Type.String({ description: 'Name of this hook entry.' }),
  includedNamespaces: Type.Optional(StringList('Namespaces the hooks apply to; empty means all.')),
  excludedNamespaces: Type.Optional(StringList('Namespaces the hooks do not apply to.')),
  includedResources: Type.Optional(StringList('Resources the hooks apply to; empty means all.')),
  excludedResources: Type.Optional(StringList('Resources the hooks do not apply to.')),
  labelSelector: Type.Optional(LabelSelectorField('Only items matching this selector.')),
  pre: Type.Optional(Type.Array(BackupResourceHookSchema, { description: 'Run before the item is backed up.' })),
  post: Type.Optional(Type.Array(BackupResourceHookSchema, { description: 'Run after the item block is backed up.' })),
});
export type BackupResourceHookSpec = Static<typeof BackupResourceHookSpecSchema>;

export const BackupSpecSchema = Type.Object({
  metadata: Type.Optional(
    Type.Object(
      { labels: Type.Optional(StringMap()) },
      { description: 'Used in a Schedule template: labels copied onto the Backups it creates.' },
    ),
  ),
  includedNamespaces: Type.Optional(StringList('Namespaces to include (globs allowed); empty means all.')),
  excludedNamespaces: Type.Optional(StringList('Namespaces to exclude (globs allowed).')),
  includedResources: Type.Optional(StringList('Old-style resource filter; empty means all.')),
  excludedResources: Type.Optional(StringList('Old-style resource exclusions.')),
  includeClusterResources: Type.Optional(OptionalBool('Old-style switch for cluster-scoped resources; unset = auto.')),
  includedClusterScopedResources: Type.Optional(StringList('Cluster-scoped resources to include; * = all.')),
  excludedClusterScopedResources: Type.Optional(StringList('Cluster-scoped resources to exclude; * = all.')),
  includedNamespaceScopedResources: Type.Optional(StringList('Namespaced resources to include; empty = *.')),
  excludedNamespaceScopedResources: Type.Optional(StringList('Namespaced resources to exclude; * = all.')),
  labelSelector: Type.Optional(LabelSelectorField('Only items matching this selector.')),
  orLabelSelectors: Type.Optional(
    Nullable(
      Type.Array(LabelSelectorSchema, {
        description: 'Items matching any of these selectors; not together with labelSelector.',
      }),
    ),
  ),
  snapshotVolumes: Type.Optional(OptionalBool('Whether PVs may be snapshotted; unset means true.')),
  ttl: Type.Optional(Duration('Retention; default from the server (720h).')),
  volumeGroupSnapshotLabelKey: Type.Optional(Type.String({ description: 'Label key grouping PVCs (1.17+).' })),
  hooks: Type.Optional(
    Type.Object(
      { resources: Type.Optional(Nullable(Type.Array(BackupResourceHookSpecSchema))) },
      { description: 'Pre/post exec hooks.' },
    ),
  ),
  storageLocation: Type.Optional(Type.String({ description: 'BackupStorageLocation name; default the default BSL.' })),
  volumeSnapshotLocations: Type.Optional(StringList('VolumeSnapshotLocation names.')),
  defaultVolumesToRestic: Type.Optional(OptionalBool('Deprecated; copied into defaultVolumesToFsBackup.')),
  defaultVolumesToFsBackup: Type.Optional(OptionalBool('Back up all pod volumes with file-system backup.')),
  orderedResources: Type.Optional(
    Nullable(StringMap('Plural resource -> comma-separated ns/name list, backed up first, in order.')),
  ),
  csiSnapshotTimeout: Type.Optional(Duration('Wait for a CSI VolumeSnapshot to be ready; default 10m.')),
  itemOperationTimeout: Type.Optional(Duration('Timeout of async item operations; default 4h.')),
  resourcePolicy: Type.Optional(
    Type.Object(TypedLocalObjectReferenceSchema.properties, {
      'x-kubernetes-map-type': 'atomic',
      description: 'The resource-policies ConfigMap (kind configmap).',
    }),
  ),
  snapshotMoveData: Type.Optional(OptionalBool('Move CSI snapshot data into the BSL.')),
  datamover: Type.Optional(Type.String({ description: 'Data mover name; empty or velero = built-in.' })),
  uploaderConfig: Type.Optional(
    Nullable(
      Type.Object({
        parallelFilesUpload: Type.Optional(Int('Kopia upload parallelism; 0 = CPUs on the node.')),
      }),
    ),
  ),
});
export type BackupSpec = Static<typeof BackupSpecSchema>;

export const BackupStatusSchema = Type.Object({
  version: Type.Optional(Int('Deprecated; always 1.')),
  formatVersion: Type.Optional(Type.String({ description: 'Tarball format version (1.1.0).' })),
  expiration: Type.Optional(Timestamp('When the backup becomes eligible for garbage collection.')),
  phase: Type.Optional(PhaseEnum(BackupPhase)),
  queuePosition: Type.Optional(Int('Position in the queue while Queued (1.18+).')),
  validationErrors: Type.Optional(StringList('Why the spec failed validation.')),
  startTimestamp: Type.Optional(Timestamp('When the backup started.')),
  completionTimestamp: Type.Optional(Timestamp('When the backup finished.')),
  volumeSnapshotsAttempted: Type.Optional(Int('Native snapshots attempted.')),
  volumeSnapshotsCompleted: Type.Optional(Int('Native snapshots completed.')),
  csiVolumeSnapshotsAttempted: Type.Optional(Int('CSI VolumeSnapshots attempted.')),
  csiVolumeSnapshotsCompleted: Type.Optional(Int('CSI VolumeSnapshots completed.')),
  backupItemOperationsAttempted: Type.Optional(Int('Async item operations attempted.')),
  backupItemOperationsCompleted: Type.Optional(Int('Async item operations completed.')),
  backupItemOperationsFailed: Type.Optional(Int('Async item operations failed.')),
  failureReason: Type.Optional(Type.String({ description: 'Error that made the backup Failed.' })),
  warnings: Type.Optional(Int('Number of warnings; texts are in object storage.')),
  errors: Type.Optional(Int('Number of errors; texts are in object storage.')),
  progress: Type.Optional(
    Nullable(
      Type.Object({
        totalItems: Type.Optional(Int('Items to back up (best effort).')),
        itemsBackedUp: Type.Optional(Int('Items backed up so far.')),
      }),
    ),
  ),
  hookStatus: Type.Optional(Nullable(HookStatusSchema)),
});
export type BackupStatus = Static<typeof BackupStatusSchema>;

export type Backup = VeleroObject<BackupSpec, BackupStatus> & { apiVersion: 'velero.io/v1'; kind: 'Backup' };

export const BackupKind = {
  apiVersion: 'velero.io/v1',
  kind: 'Backup',
  spec: BackupSpecSchema,
  status: BackupStatusSchema,
} as const;

/** Checks an object read from the cluster, a file or a tarball; throws InvalidObjectError naming the field. */
export function parseBackup(obj: unknown): Backup {
  return parseKind(BackupKind, obj) as Backup;
}
