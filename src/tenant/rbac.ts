/**
 * The ClusterRoles an admin binds (with a RoleBinding, per namespace) to let users back up and
 * restore their own namespaces. They aggregate into the built-in `admin`, `edit` and `view`
 * roles, so a namespace's existing admins, editors and viewers get the matching tenant rights.
 *
 * Each role also reads the logs and details of the namespace's operations through the
 * view.skiff.dev API (`tenantbackups/log`, ...).
 *
 * Nothing here touches velero.io, and nobody but cluster admins gets StorageApproval or
 * TenantPolicy (so a tenant cannot approve its own location: 403), nor any `/status` write.
 */
import type { KubeObject } from '../kube/object.ts';
import type { PolicyRule } from '../cli/install/rbac.ts';
import { TenantKinds } from './api/kinds.ts';
import { TENANT_GROUP } from './api/types.ts';
import { VIEW_GROUP, VIEW_RBAC_RESOURCES } from './view/api.ts';

export const TENANT_ROLES = {
  admin: 'skiff-tenant-admin',
  edit: 'skiff-tenant-edit',
  view: 'skiff-tenant-view',
} as const;

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'update', 'patch', 'delete', 'deletecollection'];

const operations = [TenantKinds.TenantBackup, TenantKinds.TenantRestore, TenantKinds.TenantSchedule].map(
  (k) => k.plural,
);
/** Consent to restore elsewhere and the namespace's own storage: a namespace admin's call. */
const namespaceSettings = [TenantKinds.RestoreGrant, TenantKinds.TenantStorageLocation].map((k) => k.plural);

const rule = (resources: string[], verbs: string[]): PolicyRule => ({ apiGroups: [TENANT_GROUP], resources, verbs });
/** Logs and details of the namespace's operations, through the view API: every role reads them. */
const viewRule: PolicyRule = { apiGroups: [VIEW_GROUP], resources: [...VIEW_RBAC_RESOURCES], verbs: ['get'] };

export function tenantRoleRules(role: keyof typeof TENANT_ROLES): PolicyRule[] {
  switch (role) {
    case 'view':
      return [rule([...operations, ...namespaceSettings], READ), viewRule];
    case 'edit':
      return [rule(operations, [...READ, ...WRITE]), rule(namespaceSettings, READ), viewRule];
    case 'admin':
      return [rule([...operations, ...namespaceSettings], [...READ, ...WRITE]), viewRule];
  }
}

/** The three ClusterRoles, labelled for aggregation into admin, edit and view. */
export function tenantClusterRoles(labels: Readonly<Record<string, string>>): KubeObject[] {
  return (Object.keys(TENANT_ROLES) as (keyof typeof TENANT_ROLES)[]).map((role) => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: {
      name: TENANT_ROLES[role],
      labels: { ...labels, [`rbac.authorization.k8s.io/aggregate-to-${role}`]: 'true' },
    },
    rules: tenantRoleRules(role),
  }));
}
