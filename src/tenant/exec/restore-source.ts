import { describeDenial, userCan } from '../../kube/access-review.ts';
import type { Cluster } from '../../kube/cluster.ts';
import type { UserIdentity } from '../../kube/impersonation.ts';
import { isRecord, type KubeObject } from '../../kube/object.ts';
import { TENANT_GROUP } from './resources.ts';

/**
 * Whether RestoreGrant `grant` (in the source namespace) lets backup `backup` be restored into
 * `target` at `now`: it names the backup (or `*`) and the target, and has not expired.
 */
export function grantAllows(grant: KubeObject, backup: string, target: string, now: Date): boolean {
  const spec = isRecord(grant.spec) ? grant.spec : {};
  const backups = Array.isArray(spec.backups) ? spec.backups : [];
  const targets = Array.isArray(spec.targetNamespaces) ? spec.targetNamespaces : [];
  const expires = typeof spec.expires === 'string' ? Date.parse(spec.expires) : NaN;
  if (!Number.isFinite(expires) || expires <= now.getTime()) return false;
  return (backups.includes(backup) || backups.includes('*')) && targets.includes(target);
}

/**
 * Consent to restore backup `backup` of namespace `source` into `target` (issue 17 §4), asked
 * again right before the restore runs: `get` on the TenantBackup as the requester, or an
 * unexpired RestoreGrant in the source namespace. Returns the refusal, or undefined.
 */
export async function restoreConsentProblem(
  cluster: Cluster,
  requester: UserIdentity,
  ref: { namespace: string; name: string },
  target: string,
  grants: { items: readonly KubeObject[]; now: Date },
): Promise<string | undefined> {
  const create = { verb: 'create', group: TENANT_GROUP, resource: 'tenantrestores', namespace: target };
  const mayCreate = await userCan(cluster, requester, create);
  if (!mayCreate.allowed) return describeDenial(requester, create, mayCreate);
  const get = { verb: 'get', group: TENANT_GROUP, resource: 'tenantbackups', namespace: ref.namespace, name: ref.name };
  const mayGet = await userCan(cluster, requester, get);
  if (mayGet.allowed) return undefined;
  if (ref.namespace !== target && grants.items.some((g) => grantAllows(g, ref.name, target, grants.now)))
    return undefined;
  return `${describeDenial(requester, get, mayGet)}, and no unexpired RestoreGrant in namespace ${ref.namespace} lets backup ${ref.name} be restored into ${target}`;
}
