/** velero.io/v1 Restore (reference §1.2, hooks §4.7). */
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
  PreserveUnknown,
  StringEnum,
  StringList,
  StringMap,
  Timestamp,
  TypedLocalObjectReferenceSchema,
} from './schema.ts';

export const RestorePhase = {
  New: 'New',
  FailedValidation: 'FailedValidation',
  InProgress: 'InProgress',
  WaitingForPluginOperations: 'WaitingForPluginOperations',
  WaitingForPluginOperationsPartiallyFailed: 'WaitingForPluginOperationsPartiallyFailed',
  Finalizing: 'Finalizing',
  FinalizingPartiallyFailed: 'FinalizingPartiallyFailed',
  Completed: 'Completed',
  PartiallyFailed: 'PartiallyFailed',
  Failed: 'Failed',
} as const;
export type RestorePhase = (typeof RestorePhase)[keyof typeof RestorePhase];

/**
 * `spec.existingResourcePolicy`. The CRD keeps it a plain string: Velero
 * rejects other values by moving the Restore to FailedValidation, not at
 * admission, and we keep that behaviour (reference §1.2).
 */
export const ExistingResourcePolicy = { None: 'none', Update: 'update' } as const;
export type ExistingResourcePolicy = (typeof ExistingResourcePolicy)[keyof typeof ExistingResourcePolicy];

const ExecRestoreHookSchema = Type.Object({
  container: Type.Optional(Type.String({ description: "Container to run in; default the pod's first container." })),
  command: Type.Array(Type.String(), { minItems: 1, description: 'Command and arguments (not run in a shell).' }),
  onError: Type.Optional(StringEnum(['Continue', 'Fail'], { description: 'Fail stops all further exec hooks.' })),
  execTimeout: Type.Optional(Duration('How long the command may run; default 30s.')),
  waitTimeout: Type.Optional(Duration('How long to wait for the container; 0 = forever.')),
  waitForReady: Type.Optional(OptionalBool('Wait for the container to be Ready instead of Running.')),
});

const InitRestoreHookSchema = Type.Object({
  initContainers: Type.Optional(
    Type.Array(PreserveUnknown('A core/v1 Container, kept as written.'), {
      description: 'Init containers prepended to the restored pod.',
    }),
  ),
  timeout: Type.Optional(Duration('Present in the API but unused by Velero.')),
});

export const RestoreResourceHookSpecSchema = Type.Object({
  name: Type.String({ description: 'Name of this hook entry.' }),
  includedNamespaces: Type.Optional(StringList('Namespaces (after mapping) the hooks apply to.')),
  excludedNamespaces: Type.Optional(StringList('Namespaces the hooks do not apply to.')),
  includedResources: Type.Optional(StringList('Ignored by Velero: restore hooks only apply to pods.')),
  excludedResources: Type.Optional(StringList('Ignored by Velero: restore hooks only apply to pods.')),
  labelSelector: Type.Optional(LabelSelectorField('Only pods matching this selector.')),
  postHooks: Type.Optional(
    Type.Array(
      Type.Object({
        exec: Type.Optional(ExecRestoreHookSchema),
        init: Type.Optional(InitRestoreHookSchema),
      }),
    ),
  ),
});
export type RestoreResourceHookSpec = Static<typeof RestoreResourceHookSpecSchema>;

export const RestoreSpecSchema = Type.Object({
  backupName: Type.Optional(Type.String({ description: 'Source backup; exactly one of backupName/scheduleName.' })),
  scheduleName: Type.Optional(Type.String({ description: "Restore the schedule's latest Completed backup." })),
  includedNamespaces: Type.Optional(StringList('Namespaces to restore (globs allowed); empty means all.')),
  excludedNamespaces: Type.Optional(StringList('Namespaces not to restore.')),
  includedResources: Type.Optional(StringList('Resources to restore; empty means all.')),
  excludedResources: Type.Optional(StringList('Resources not to restore.')),
  namespaceMapping: Type.Optional(StringMap('Source namespace -> target namespace.')),
  labelSelector: Type.Optional(LabelSelectorField('Only items matching this selector.')),
  orLabelSelectors: Type.Optional(
    Nullable(Type.Array(LabelSelectorSchema, { description: 'Items matching any of these; not with labelSelector.' })),
  ),
  restorePVs: Type.Optional(OptionalBool('Restore volumes from snapshots; unset means true.')),
  restoreStatus: Type.Optional(
    Nullable(
      Type.Object(
        {
          includedResources: Type.Optional(StringList('Resources whose status is restored.')),
          excludedResources: Type.Optional(StringList('Resources whose status is not restored.')),
        },
        { description: 'Which resources get their .status restored (1.9+).' },
      ),
    ),
  ),
  preserveNodePorts: Type.Optional(OptionalBool('Keep Service nodePorts.')),
  includeClusterResources: Type.Optional(OptionalBool('Restore cluster-scoped resources; unset = auto.')),
  hooks: Type.Optional(Type.Object({ resources: Type.Optional(Nullable(Type.Array(RestoreResourceHookSpecSchema))) })),
  existingResourcePolicy: Type.Optional(Type.String({ description: 'none (default) or update.' })),
  itemOperationTimeout: Type.Optional(Duration('Timeout of async item operations; default 4h.')),
  resourceModifier: Type.Optional(
    Nullable(
      Type.Object(TypedLocalObjectReferenceSchema.properties, {
        'x-kubernetes-map-type': 'atomic',
        description: 'The resource-modifiers ConfigMap (kind configmap).',
      }),
    ),
  ),
  uploaderConfig: Type.Optional(
    Nullable(
      Type.Object({
        writeSparseFiles: Type.Optional(OptionalBool('Write sparse files when restoring volume data.')),
        parallelFilesDownload: Type.Optional(Int('Download parallelism; 0 = CPUs on the node.')),
      }),
    ),
  ),
});
export type RestoreSpec = Static<typeof RestoreSpecSchema>;

export const RestoreStatusSchema = Type.Object({
  phase: Type.Optional(PhaseEnum(RestorePhase)),
  queuePosition: Type.Optional(
    Int('Skiff: place in line while New, waiting for restores into the same namespaces; absent once started.'),
  ),
  validationErrors: Type.Optional(StringList('Why the spec failed validation.')),
  warnings: Type.Optional(Int('Number of warnings; texts are in object storage.')),
  errors: Type.Optional(Int('Number of errors; texts are in object storage.')),
  failureReason: Type.Optional(Type.String({ description: 'Error that made the restore Failed.' })),
  startTimestamp: Type.Optional(Timestamp('When the restore started.')),
  completionTimestamp: Type.Optional(Timestamp('When the restore finished.')),
  progress: Type.Optional(
    Nullable(
      Type.Object({
        totalItems: Type.Optional(Int('Items to restore (best effort).')),
        itemsRestored: Type.Optional(Int('Items restored so far.')),
      }),
    ),
  ),
  restoreItemOperationsAttempted: Type.Optional(Int('Async item operations attempted.')),
  restoreItemOperationsCompleted: Type.Optional(Int('Async item operations completed.')),
  restoreItemOperationsFailed: Type.Optional(Int('Async item operations failed.')),
  hookStatus: Type.Optional(Nullable(HookStatusSchema)),
});
export type RestoreStatus = Static<typeof RestoreStatusSchema>;

export type Restore = VeleroObject<RestoreSpec, RestoreStatus> & { apiVersion: 'velero.io/v1'; kind: 'Restore' };

export const RestoreKind = {
  apiVersion: 'velero.io/v1',
  kind: 'Restore',
  spec: RestoreSpecSchema,
  status: RestoreStatusSchema,
} as const;

export function parseRestore(obj: unknown): Restore {
  return parseKind(RestoreKind, obj) as Restore;
}
