/**
 * The tenant.skiff.dev kinds as the execution side reads them: resource types, and the
 * fields of the contract (TENANT-CONTRACT.md) the controllers act on, read from raw JSON.
 * Anything else in a spec is refused by the planners, never ignored.
 */
import { Labels } from '../../api/labels.ts';
import { isRecord, type KubeObject } from '../../kube/object.ts';
import type { ResourceType } from '../../kube/resource.ts';
import type { UserIdentity } from '../../kube/impersonation.ts';
import { TENANT_GROUP, TENANT_VERSION, TenantOperationPhase } from '../api/types.ts';

export { TENANT_GROUP, TENANT_VERSION };

function tenantType(kind: string, resource: string, namespaced = true): ResourceType {
  return {
    group: TENANT_GROUP,
    version: TENANT_VERSION,
    resource,
    kind,
    namespaced,
    verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
  };
}

export const TenantTypes = {
  TenantBackup: tenantType('TenantBackup', 'tenantbackups'),
  TenantRestore: tenantType('TenantRestore', 'tenantrestores'),
  RestoreGrant: tenantType('RestoreGrant', 'restoregrants'),
  TenantSchedule: tenantType('TenantSchedule', 'tenantschedules'),
  TenantPolicy: tenantType('TenantPolicy', 'tenantpolicies', false),
} as const;

/** Labels the server puts on the velero.io objects it makes for tenants (contract). */
export const TenantLabels = {
  namespaceUid: Labels.TenantNamespaceUID,
  namespace: 'tenant.skiff.dev/namespace',
  name: 'tenant.skiff.dev/name',
  /** On a TenantBackup a TenantSchedule created: the schedule's name. */
  schedule: 'tenant.skiff.dev/schedule',
} as const;

/** Finalizer of a TenantBackup: its bucket objects go before it does. */
export const TENANT_BACKUP_FINALIZER = 'tenant.skiff.dev/delete-backup';

/** The phases of TenantBackup and TenantRestore, as the API types define them. */
export const TenantPhase = TenantOperationPhase;
export type TenantPhase = (typeof TenantPhase)[keyof typeof TenantPhase];

export const TERMINAL_PHASES: ReadonlySet<string> = new Set([
  TenantPhase.Completed,
  TenantPhase.PartiallyFailed,
  TenantPhase.Failed,
  TenantPhase.FailedValidation,
]);

export function phaseOf(obj: KubeObject): string {
  const status = obj.status;
  return isRecord(status) && typeof status.phase === 'string' ? status.phase : '';
}

/** `spec.requester`, or undefined when missing or malformed. */
export function requesterOf(obj: KubeObject): UserIdentity | undefined {
  const spec = obj.spec;
  const r = isRecord(spec) ? spec.requester : undefined;
  if (!isRecord(r) || typeof r.username !== 'string' || r.username === '') return undefined;
  const groups = Array.isArray(r.groups) ? r.groups.filter((g): g is string => typeof g === 'string') : [];
  return { username: r.username, ...(typeof r.uid === 'string' && r.uid ? { uid: r.uid } : {}), groups };
}

export function specOf(obj: KubeObject): Record<string, unknown> {
  return isRecord(obj.spec) ? obj.spec : {};
}

/** The velero.io Backup that carries a TenantBackup: named by its UID, so never reused by a namesake. */
export function veleroBackupNameOf(tenantBackup: KubeObject): string {
  const uid = tenantBackup.metadata.uid;
  if (!uid) throw new Error(`TenantBackup ${tenantBackup.metadata.name ?? ''} has no uid`);
  return `tenant-${uid}`;
}

/** The BackupStorageLocation the server derives for one tenant namespace (by its UID). */
export function tenantLocationName(namespaceUid: string): string {
  return `tenant-${namespaceUid}`;
}

/**
 * Whether a BackupStorageLocation name is one the server derives for this namespace UID: the
 * policy's (`tenant-<uid>`) or one of its own TenantStorageLocations' (`tenant-<uid>-<name>`).
 * UIDs have a fixed length, so no other namespace's names match.
 */
export function isTenantLocationOf(location: string | undefined, namespaceUid: string): boolean {
  if (!location || !namespaceUid) return false;
  const base = tenantLocationName(namespaceUid);
  return location === base || location.startsWith(`${base}-`);
}
