/**
 * The registry of tenant.skiff.dev kinds: names, scope and printer columns. The CRDs
 * (`crds.ts`), the CLI, the admission policies and the controllers read kind metadata here.
 */
import type { CrdKind } from '../../api/crds.ts';
import type { PrinterColumn } from '../../api/kinds.ts';
import type { ResourceRef } from '../../kube/resource.ts';
import {
  RestoreGrantSpecSchema,
  RestoreGrantStatusSchema,
  StorageApprovalSpecSchema,
  StorageApprovalStatusSchema,
  TENANT_GROUP,
  TENANT_VERSION,
  TenantBackupSpecSchema,
  TenantBackupStatusSchema,
  TenantPolicySpecSchema,
  TenantPolicyStatusSchema,
  TenantRestoreSpecSchema,
  TenantRestoreStatusSchema,
  TenantScheduleSpecSchema,
  TenantScheduleStatusSchema,
  TenantStorageLocationSpecSchema,
  TenantStorageLocationStatusSchema,
} from './types.ts';

export interface TenantKindInfo extends CrdKind {
  group: typeof TENANT_GROUP;
  version: typeof TENANT_VERSION;
}

const age: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };
const phase: PrinterColumn = { name: 'Phase', type: 'string', jsonPath: '.status.phase' };
const requester: PrinterColumn = { name: 'Requester', type: 'string', jsonPath: '.spec.requester.username' };

function kind(
  name: string,
  plural: string,
  def: Pick<CrdKind, 'scope' | 'description' | 'printerColumns' | 'spec' | 'status'> & { shortNames?: string[] },
): TenantKindInfo {
  return {
    group: TENANT_GROUP,
    version: TENANT_VERSION,
    kind: name,
    plural,
    singular: name.toLowerCase(),
    shortNames: def.shortNames ?? [],
    scope: def.scope,
    statusSubresource: true,
    description: def.description,
    printerColumns: def.printerColumns,
    spec: def.spec,
    status: def.status,
    specRequired: true,
  };
}

export const TenantKinds = {
  TenantBackup: kind('TenantBackup', 'tenantbackups', {
    scope: 'Namespaced',
    shortNames: ['tbackup'],
    description: 'A backup of namespaces its requester may back up, run by Skiff as that user.',
    printerColumns: [
      phase,
      requester,
      { name: 'Queue', type: 'integer', jsonPath: '.status.queuePosition' },
      { name: 'Items', type: 'integer', jsonPath: '.status.itemsBackedUp' },
      { name: 'Expires', type: 'date', jsonPath: '.status.expiration' },
      age,
    ],
    spec: TenantBackupSpecSchema,
    status: TenantBackupStatusSchema,
  }),
  TenantRestore: kind('TenantRestore', 'tenantrestores', {
    scope: 'Namespaced',
    shortNames: ['trestore'],
    description: 'A restore of a TenantBackup into this namespace, written as its requester.',
    printerColumns: [
      { name: 'Source', type: 'string', jsonPath: '.spec.backupRef.namespace' },
      { name: 'Backup', type: 'string', jsonPath: '.spec.backupRef.name' },
      phase,
      requester,
      { name: 'Items', type: 'integer', jsonPath: '.status.itemsRestored' },
      age,
    ],
    spec: TenantRestoreSpecSchema,
    status: TenantRestoreStatusSchema,
  }),
  RestoreGrant: kind('RestoreGrant', 'restoregrants', {
    scope: 'Namespaced',
    description:
      'Consent of this namespace: which of its TenantBackups may be restored into which namespaces, until when.',
    printerColumns: [
      { name: 'Targets', type: 'string', jsonPath: '.spec.targetNamespaces' },
      { name: 'Expires', type: 'date', jsonPath: '.spec.expires' },
      age,
    ],
    spec: RestoreGrantSpecSchema,
    status: RestoreGrantStatusSchema,
  }),
  TenantSchedule: kind('TenantSchedule', 'tenantschedules', {
    scope: 'Namespaced',
    shortNames: ['tschedule'],
    description: 'Creates TenantBackups from a template on a cron schedule.',
    printerColumns: [
      phase,
      { name: 'Schedule', type: 'string', jsonPath: '.spec.schedule' },
      { name: 'LastBackup', type: 'date', jsonPath: '.status.lastBackup' },
      { name: 'NextRun', type: 'date', jsonPath: '.status.nextRun' },
      { name: 'Paused', type: 'boolean', jsonPath: '.spec.paused' },
      age,
    ],
    spec: TenantScheduleSpecSchema,
    status: TenantScheduleStatusSchema,
  }),
  TenantStorageLocation: kind('TenantStorageLocation', 'tenantstoragelocations', {
    scope: 'Namespaced',
    shortNames: ['tsl'],
    description:
      'A namespace’s own object-storage location; used only while an admin’s StorageApproval matches its spec.',
    printerColumns: [
      phase,
      { name: 'Bucket', type: 'string', jsonPath: '.spec.objectStorage.bucket' },
      { name: 'Spec Hash', type: 'string', jsonPath: '.status.specHash', priority: 1 },
      age,
    ],
    spec: TenantStorageLocationSpecSchema,
    status: TenantStorageLocationStatusSchema,
  }),
  StorageApproval: kind('StorageApproval', 'storageapprovals', {
    scope: 'Cluster',
    description: 'An admin’s approval of one TenantStorageLocation spec (by its hash).',
    printerColumns: [
      { name: 'Namespace', type: 'string', jsonPath: '.spec.location.namespace' },
      { name: 'Location', type: 'string', jsonPath: '.spec.location.name' },
      { name: 'Spec Hash', type: 'string', jsonPath: '.spec.specHash', priority: 1 },
      age,
    ],
    spec: StorageApprovalSpecSchema,
    status: StorageApprovalStatusSchema,
  }),
  TenantPolicy: kind('TenantPolicy', 'tenantpolicies', {
    scope: 'Cluster',
    description: 'What tenants of the selected namespaces may ask for: location, forbidden features, defaults, limits.',
    printerColumns: [
      { name: 'Location', type: 'string', jsonPath: '.spec.storageLocation' },
      { name: 'Max Concurrent', type: 'integer', jsonPath: '.spec.maxConcurrent' },
      age,
    ],
    spec: TenantPolicySpecSchema,
    status: TenantPolicyStatusSchema,
  }),
} as const satisfies Record<string, TenantKindInfo>;

export type TenantKindName = keyof typeof TenantKinds;

/** Every tenant kind, in a stable order. */
export const ALL_TENANT_KINDS: readonly TenantKindInfo[] = Object.values(TenantKinds);

/** The `{group, version, resource}` the Cluster facade takes. */
export function tenantResource(kind: TenantKindInfo): ResourceRef {
  return { group: kind.group, version: kind.version, resource: kind.plural };
}
