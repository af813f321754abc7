/**
 * The tenant.skiff.dev/v1alpha1 kinds (issue 17, TENANT-CONTRACT): what a namespace's own users
 * create to back up and restore their namespaces without any right in velero.io.
 *
 * Field bans that need no other object are CRD CEL rules (`x-kubernetes-validations`) on the
 * schemas here, so the API server enforces them with Skiff stopped. Checks that need the
 * requesting user or the TenantPolicy live in the ValidatingAdmissionPolicies (`../admission/`).
 * The schemas follow the structural rules of `src/api/schema.ts`.
 */
import { Type, type Static, type TSchema } from 'typebox';
import { BackupResourceHookSpecSchema } from '../../api/backup.ts';
import type { VeleroObject } from '../../api/parse.ts';
import {
  Duration,
  Int,
  LabelSelectorField,
  LabelSelectorSchema,
  PhaseEnum,
  StringMap,
  StringEnum,
  Timestamp,
} from '../../api/schema.ts';

export const TENANT_GROUP = 'tenant.skiff.dev';
export const TENANT_VERSION = 'v1alpha1';
export const TENANT_API_VERSION = `${TENANT_GROUP}/${TENANT_VERSION}`;

/** A CRD CEL rule; `fieldPath` makes the API server name the offending field. */
interface CelRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

function rules(...list: CelRule[]): { 'x-kubernetes-validations': CelRule[] } {
  return { 'x-kubernetes-validations': list };
}

/** A DNS-1123 label (namespace names). */
const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
/** A DNS-1123 subdomain (names of namespaced objects), without anchors. */
const SUBDOMAIN = '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*';
const DNS_SUBDOMAIN = `^${SUBDOMAIN}$`;
/** A Go duration as Velero writes a ttl (`720h`, `1h30m0s`); CEL's duration() reads the same form. */
const GO_DURATION = '^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$';

const NamespaceName = Type.String({ pattern: DNS_LABEL, maxLength: 63 });
const ObjectName = Type.String({ pattern: DNS_SUBDOMAIN, maxLength: 253 });

/**
 * Who asked: filled by the CLI from a SelfSubjectReview; admission requires it to equal the
 * request's user and keeps it immutable, so execution can repeat the authorisation as them.
 */
export const RequesterSchema = Type.Object(
  {
    username: Type.String({ minLength: 1, description: 'The user name, as the API server authenticated it.' }),
    uid: Type.Optional(Type.String({ description: 'The user UID (service-account tokens have one).' })),
    groups: Type.Optional(Type.Array(Type.String(), { description: 'The groups, as the API server reported them.' })),
  },
  {
    description: 'Who asked; must equal the creating user (checked at admission) and cannot change.',
    ...rules({ rule: 'self == oldSelf', message: 'spec.requester is immutable' }),
  },
);
export type Requester = Static<typeof RequesterSchema>;

/** Phases shared by TenantBackup and TenantRestore. */
export const TenantOperationPhase = {
  New: 'New',
  Queued: 'Queued',
  InProgress: 'InProgress',
  Completed: 'Completed',
  PartiallyFailed: 'PartiallyFailed',
  Failed: 'Failed',
  FailedValidation: 'FailedValidation',
} as const;
export type TenantOperationPhase = (typeof TenantOperationPhase)[keyof typeof TenantOperationPhase];

/** Status fields every tenant operation has; never anything about another tenant. */
const operationStatus = {
  phase: Type.Optional(PhaseEnum(TenantOperationPhase)),
  queuePosition: Type.Optional(Int('Position in this namespace’s queue while Queued (tenant-local).')),
  waitingReason: Type.Optional(
    Type.String({ description: 'Why it waits while Queued (about its own namespace and policy only).' }),
  ),
  failureReason: Type.Optional(Type.String({ description: 'Why the operation failed.' })),
  validationErrors: Type.Optional(Type.Array(Type.String(), { description: 'Why the spec failed validation.' })),
  warnings: Type.Optional(Int('Number of warnings.')),
  errors: Type.Optional(Int('Number of errors.')),
  startTimestamp: Type.Optional(Timestamp('When the operation started.')),
  completionTimestamp: Type.Optional(Timestamp('When the operation finished.')),
};

const StringArray = (description: string, item: TSchema = Type.String()) => Type.Array(item, { description });

// --- TenantBackup -------------------------------------------------------------------------------

/** The part of a TenantBackup spec a TenantSchedule template and TenantPolicy defaults share. */
const backupFields = {
  namespaces: Type.Optional(
    Type.Array(NamespaceName, {
      minItems: 1,
      maxItems: 64,
      description:
        'Namespaces to back up; default [the TenantBackup’s own]. The requester must be allowed to create tenantbackups in each.',
      'x-kubernetes-list-type': 'set',
    }),
  ),
  includedResources: Type.Optional(StringArray('Resources to include (plural or plural.group); empty means all.')),
  excludedResources: Type.Optional(StringArray('Resources to exclude.')),
  labelSelector: Type.Optional(LabelSelectorField('Only items matching this selector.')),
  orLabelSelectors: Type.Optional(
    Type.Array(LabelSelectorSchema, { description: 'Items matching any of these; not together with labelSelector.' }),
  ),
  ttl: Type.Optional(
    Type.String({ pattern: GO_DURATION, description: 'Retention as a Go duration (720h); capped by the policy.' }),
  ),
  storageLocation: Type.Optional(
    Type.String({
      pattern: DNS_SUBDOMAIN,
      maxLength: 253,
      description:
        'An approved TenantStorageLocation in this namespace; empty = the location the TenantPolicy names. A location of another namespace cannot be named.',
    }),
  ),
  snapshotVolumes: Type.Optional(
    Type.Boolean({ description: 'Snapshot volumes (refused when the policy forbids snapshots).' }),
  ),
  defaultVolumesToFsBackup: Type.Optional(
    Type.Boolean({ description: 'File-system backup of all pod volumes (refused when the policy forbids fsBackup).' }),
  ),
  snapshotMoveData: Type.Optional(
    Type.Boolean({
      description:
        "Move the CSI snapshots' data into the location through the data mover (refused when the policy forbids snapshots).",
    }),
  ),
  hooks: Type.Optional(
    Type.Object(
      { resources: Type.Optional(Type.Array(BackupResourceHookSpecSchema)) },
      { description: 'Exec hooks, as a Backup’s; refused when the policy forbids hooks.' },
    ),
  ),
  includeClusterResources: Type.Optional(
    Type.Boolean({
      description: 'Only false: tenant backups never hold cluster-scoped resources.',
      ...rules({
        rule: 'self == false',
        message: 'only false is allowed: tenant backups never include cluster-scoped resources',
      }),
    }),
  ),
};

const backupSpecRules = rules({
  rule: '!(has(self.labelSelector) && has(self.orLabelSelectors))',
  message: 'labelSelector and orLabelSelectors cannot both be set',
});

export const TenantBackupSpecSchema = Type.Object(
  { requester: RequesterSchema, ...backupFields },
  { ...backupSpecRules },
);
export type TenantBackupSpec = Static<typeof TenantBackupSpecSchema>;

export const TenantBackupStatusSchema = Type.Object({
  ...operationStatus,
  itemsBackedUp: Type.Optional(Int('Items backed up.')),
  totalItems: Type.Optional(Int('Items to back up.')),
  expiration: Type.Optional(Timestamp('When the backup expires.')),
  contentDigest: Type.Optional(Type.String({ description: 'sha256 (hex) of the backup tarball.' })),
  backupName: Type.Optional(
    Type.String({ description: 'The velero.io Backup in the server namespace (informational).' }),
  ),
});
export type TenantBackupStatus = Static<typeof TenantBackupStatusSchema>;

// --- TenantRestore ------------------------------------------------------------------------------

export const ExistingResourcePolicy = { None: 'none', Update: 'update' } as const;
export type ExistingResourcePolicy = (typeof ExistingResourcePolicy)[keyof typeof ExistingResourcePolicy];

export const BackupRefSchema = Type.Object(
  {
    namespace: NamespaceName,
    name: ObjectName,
  },
  {
    description: 'The TenantBackup to restore; its namespace maps onto this TenantRestore’s. Immutable.',
    ...rules({ rule: 'self == oldSelf', message: 'spec.backupRef is immutable' }),
  },
);
export type BackupRef = Static<typeof BackupRefSchema>;

export const TenantRestoreSpecSchema = Type.Object({
  requester: RequesterSchema,
  backupRef: BackupRefSchema,
  includedResources: Type.Optional(StringArray('Resources to restore; empty means all namespaced ones.')),
  excludedResources: Type.Optional(StringArray('Resources not to restore.')),
  labelSelector: Type.Optional(LabelSelectorField('Only items matching this selector.')),
  existingResourcePolicy: Type.Optional(
    StringEnum(Object.values(ExistingResourcePolicy), { description: 'none (default) or update.' }),
  ),
  restorePVs: Type.Optional(Type.Boolean({ description: 'Re-provision and restore volume data.' })),
});
export type TenantRestoreSpec = Static<typeof TenantRestoreSpecSchema>;

export const SkippedItemSchema = Type.Object({
  kind: Type.String(),
  namespace: Type.Optional(Type.String()),
  name: Type.String(),
  reason: Type.String({ description: 'Why it was skipped: cluster-scoped, refused by RBAC or admission, ...' }),
});
export type SkippedItem = Static<typeof SkippedItemSchema>;

export const TenantRestoreStatusSchema = Type.Object({
  ...operationStatus,
  itemsRestored: Type.Optional(Int('Items restored.')),
  totalItems: Type.Optional(Int('Items to restore.')),
  skipped: Type.Optional(Type.Array(SkippedItemSchema, { description: 'Every item not restored, and why.' })),
});
export type TenantRestoreStatus = Static<typeof TenantRestoreStatusSchema>;

// --- RestoreGrant -------------------------------------------------------------------------------

export const RestoreGrantSpecSchema = Type.Object({
  backups: Type.Array(Type.String({ pattern: `^(\\*|${SUBDOMAIN})$`, maxLength: 253 }), {
    minItems: 1,
    description: 'TenantBackup names in this namespace that may be restored elsewhere; ["*"] = all.',
    ...rules({
      rule: "!self.exists(b, b == '*') || size(self) == 1",
      message: '"*" must be the only entry',
    }),
  }),
  targetNamespaces: Type.Array(NamespaceName, {
    minItems: 1,
    description: 'Namespaces whose TenantRestores may use those backups.',
  }),
  expires: Type.String({ format: 'date-time', description: 'Until when (RFC 3339).' }),
});
export type RestoreGrantSpec = Static<typeof RestoreGrantSpecSchema>;

export const RestoreGrantStatusSchema = Type.Object({});
export type RestoreGrantStatus = Static<typeof RestoreGrantStatusSchema>;

// --- TenantSchedule -----------------------------------------------------------------------------

export const TenantScheduleSpecSchema = Type.Object({
  requester: RequesterSchema,
  schedule: Type.String({ minLength: 1, description: 'Cron expression (5 fields) or @every <duration>.' }),
  template: Type.Object(
    { ...backupFields },
    { description: 'The TenantBackup spec, minus requester.', ...backupSpecRules },
  ),
  paused: Type.Optional(Type.Boolean({ description: 'Create no backups while true.' })),
});
export type TenantScheduleSpec = Static<typeof TenantScheduleSpecSchema>;

export const ConditionSchema = Type.Object({
  type: Type.String(),
  status: StringEnum(['True', 'False', 'Unknown']),
  reason: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
  lastTransitionTime: Type.Optional(Timestamp('When the status last changed.')),
});
export type Condition = Static<typeof ConditionSchema>;

export const TenantSchedulePhase = { New: 'New', Enabled: 'Enabled', FailedValidation: 'FailedValidation' } as const;
export type TenantSchedulePhase = (typeof TenantSchedulePhase)[keyof typeof TenantSchedulePhase];

export const TenantScheduleStatusSchema = Type.Object({
  phase: Type.Optional(PhaseEnum(TenantSchedulePhase)),
  lastBackup: Type.Optional(Timestamp('When the last TenantBackup was created.')),
  nextRun: Type.Optional(Timestamp('When the next TenantBackup is due (absent while paused or invalid).')),
  validationErrors: Type.Optional(Type.Array(Type.String())),
  conditions: Type.Optional(Type.Array(ConditionSchema)),
});
export type TenantScheduleStatus = Static<typeof TenantScheduleStatusSchema>;

// --- TenantStorageLocation and StorageApproval --------------------------------------------------

/**
 * Config keys that would make the server read its own files or run commands with a tenant's
 * location: refused outright (an admin approving the location might not notice them).
 */
export const TENANT_LOCATION_FORBIDDEN_CONFIG = ['credentialsFile', 'credentialProcess'] as const;

export const TenantStorageLocationSpecSchema = Type.Object({
  provider: Type.String({ minLength: 1, description: 'Object-store provider (aws).' }),
  objectStorage: Type.Object({
    bucket: Type.String({ minLength: 1, description: 'Bucket name.' }),
    prefix: Type.Optional(Type.String({ description: 'Path inside the bucket.' })),
  }),
  config: Type.Optional(
    Type.Unsafe<Record<string, string>>({
      type: 'object',
      additionalProperties: { type: 'string' },
      description: 'Provider settings (region, s3Url, ...); credentialsFile and credentialProcess are refused.',
      ...rules(
        ...TENANT_LOCATION_FORBIDDEN_CONFIG.map((key) => ({
          rule: `!('${key}' in self)`,
          message: `config.${key} is not allowed in a tenant location: it would act with the server's files or commands`,
        })),
      ),
    }),
  ),
  credential: Type.Optional(
    Type.Object(
      {
        name: Type.String({ minLength: 1, description: 'A Secret in this namespace.' }),
        key: Type.String({ minLength: 1, description: 'The key holding the credentials file.' }),
      },
      { 'x-kubernetes-map-type': 'atomic', description: 'Where the credentials are, in this namespace.' },
    ),
  ),
});
export type TenantStorageLocationSpec = Static<typeof TenantStorageLocationSpecSchema>;

export const TenantStorageLocationPhase = { Pending: 'Pending', Approved: 'Approved' } as const;
export type TenantStorageLocationPhase = (typeof TenantStorageLocationPhase)[keyof typeof TenantStorageLocationPhase];

export const TenantStorageLocationStatusSchema = Type.Object({
  phase: Type.Optional(PhaseEnum(TenantStorageLocationPhase)),
  specHash: Type.Optional(Type.String({ description: 'sha256 of the canonical spec JSON; what an approval names.' })),
  message: Type.Optional(Type.String({ description: 'What the location waits for.' })),
});
export type TenantStorageLocationStatus = Static<typeof TenantStorageLocationStatusSchema>;

export const StorageApprovalSpecSchema = Type.Object({
  location: Type.Object({ namespace: NamespaceName, name: ObjectName }),
  specHash: Type.String({ pattern: '^[0-9a-f]{64}$', description: 'The approved spec hash of the location.' }),
});
export type StorageApprovalSpec = Static<typeof StorageApprovalSpecSchema>;

export const StorageApprovalStatusSchema = Type.Object({});
export type StorageApprovalStatus = Static<typeof StorageApprovalStatusSchema>;

// --- TenantPolicy -------------------------------------------------------------------------------

export const ForbiddenFeature = {
  Hooks: 'hooks',
  ClusterResources: 'clusterResources',
  FsBackup: 'fsBackup',
  Snapshots: 'snapshots',
} as const;
export type ForbiddenFeature = (typeof ForbiddenFeature)[keyof typeof ForbiddenFeature];

/** The TenantBackup fields a policy can lock to its default (admission enforces each). */
export const LOCKABLE_FIELDS = [
  'ttl',
  'storageLocation',
  'snapshotVolumes',
  'defaultVolumesToFsBackup',
  'includedResources',
  'excludedResources',
] as const;
export type LockableField = (typeof LOCKABLE_FIELDS)[number];

export const TenantPolicySpecSchema = Type.Object({
  namespaceSelector: Type.Object(
    {
      matchLabels: Type.Optional(StringMap('Label key/value pairs the namespace must have.')),
      matchExpressions: Type.Optional(
        Type.Array(
          Type.Object({
            key: Type.String(),
            operator: StringEnum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
            values: Type.Optional(Type.Array(Type.String(), { maxItems: 64 })),
          }),
          { maxItems: 32 },
        ),
      ),
    },
    {
      'x-kubernetes-map-type': 'atomic',
      description: 'The namespaces (by their labels) this policy governs; {} selects every namespace.',
    },
  ),
  storageLocation: Type.Optional(
    Type.String({
      description: 'A velero.io BackupStorageLocation of the server namespace for tenants without their own.',
    }),
  ),
  forbidden: Type.Optional(
    Type.Array(StringEnum(Object.values(ForbiddenFeature)), { description: 'Features tenants may not ask for.' }),
  ),
  defaults: Type.Optional(
    Type.Object(
      {
        ttl: backupFields.ttl,
        storageLocation: backupFields.storageLocation,
        snapshotVolumes: backupFields.snapshotVolumes,
        defaultVolumesToFsBackup: backupFields.defaultVolumesToFsBackup,
        includedResources: backupFields.includedResources,
        excludedResources: backupFields.excludedResources,
      },
      { description: 'Values a TenantBackup gets for the fields it leaves out.' },
    ),
  ),
  locked: Type.Optional(
    Type.Array(StringEnum(LOCKABLE_FIELDS), { description: 'Fields that must keep the default (left out, or equal).' }),
  ),
  maxConcurrent: Type.Optional(
    Type.Integer({
      minimum: 1,
      description:
        'TenantBackups and TenantRestores running at once per namespace; two backups sharing a namespace still run one at a time.',
    }),
  ),
  maxQueued: Type.Optional(Type.Integer({ minimum: 0, description: 'Operations waiting per namespace.' })),
  maxTTL: Type.Optional(Type.String({ pattern: GO_DURATION, description: 'Longest ttl a TenantBackup may ask for.' })),
  minScheduleInterval: Type.Optional(Duration('Shortest interval between a schedule’s backups.')),
  createsPerMinute: Type.Optional(
    Type.Integer({ minimum: 1, description: 'Tenant operations created per namespace per minute.' }),
  ),
});
export type TenantPolicySpec = Static<typeof TenantPolicySpecSchema>;

export const TenantPolicyStatusSchema = Type.Object({});
export type TenantPolicyStatus = Static<typeof TenantPolicyStatusSchema>;

// --- Object types -------------------------------------------------------------------------------

type TenantObject<K extends string, Spec, Status> = VeleroObject<Spec, Status> & {
  apiVersion: typeof TENANT_API_VERSION;
  kind: K;
};

export type TenantBackup = TenantObject<'TenantBackup', TenantBackupSpec, TenantBackupStatus>;
export type TenantRestore = TenantObject<'TenantRestore', TenantRestoreSpec, TenantRestoreStatus>;
export type RestoreGrant = TenantObject<'RestoreGrant', RestoreGrantSpec, RestoreGrantStatus>;
export type TenantSchedule = TenantObject<'TenantSchedule', TenantScheduleSpec, TenantScheduleStatus>;
export type TenantStorageLocation = TenantObject<
  'TenantStorageLocation',
  TenantStorageLocationSpec,
  TenantStorageLocationStatus
>;
export type StorageApproval = TenantObject<'StorageApproval', StorageApprovalSpec, StorageApprovalStatus>;
export type TenantPolicy = TenantObject<'TenantPolicy', TenantPolicySpec, TenantPolicyStatus>;
