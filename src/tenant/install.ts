/**
 * What `skiff install` adds for self-service beside the CRDs: the ValidatingAdmissionPolicies
 * and their bindings (admission/policies.ts) and the tenant ClusterRoles (rbac.ts). Applied by
 * server-side apply, so a re-install updates them: an old policy left in place would be a hole.
 */
import type { Cluster } from '../kube/cluster.ts';
import type { KubeObject } from '../kube/object.ts';
import type { ResourceRef } from '../kube/resource.ts';
import { ADMISSION_API_VERSION, TENANT_OBJECT_LABELS, tenantAdmissionObjects } from './admission/policies.ts';
import { tenantClusterRoles } from './rbac.ts';

const admission = (resource: string): ResourceRef => ({
  group: 'admissionregistration.k8s.io',
  version: 'v1',
  resource,
});

export const TENANT_INSTALL_REFS: Readonly<Record<string, ResourceRef>> = {
  ValidatingAdmissionPolicy: admission('validatingadmissionpolicies'),
  ValidatingAdmissionPolicyBinding: admission('validatingadmissionpolicybindings'),
  ClusterRole: { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterroles' },
};

/** Everything install applies for the tenant kinds besides their CRDs, policies before bindings. */
export function tenantInstallObjects(): KubeObject[] {
  return [...tenantAdmissionObjects(), ...tenantClusterRoles(TENANT_OBJECT_LABELS)];
}

export function isTenantInstallObject(obj: KubeObject): boolean {
  return (
    obj.apiVersion === ADMISSION_API_VERSION ||
    (obj.kind === 'ClusterRole' &&
      obj.metadata.labels?.['app.kubernetes.io/part-of'] === TENANT_OBJECT_LABELS['app.kubernetes.io/part-of'])
  );
}

export function tenantInstallRef(obj: KubeObject): ResourceRef {
  const ref = TENANT_INSTALL_REFS[obj.kind];
  if (!ref) throw new Error(`no API resource known for ${obj.kind}`);
  return ref;
}

/**
 * Admission policies earlier versions installed and this one no longer has: removed on install,
 * or they would go on refusing what this version allows (TenantSchedules, once refused, now run).
 */
const OBSOLETE_ADMISSION_POLICIES = ['skiff-tenant-schedules-unavailable'] as const;

/**
 * Applies each object (field manager `skiff`, forced) and removes obsolete policies; returns
 * `Kind/name` of each applied object.
 */
export async function installTenantObjects(
  cluster: Pick<Cluster, 'patch' | 'delete'>,
  opts: { dryRun?: boolean } = {},
): Promise<string[]> {
  if (!opts.dryRun) {
    for (const name of OBSOLETE_ADMISSION_POLICIES) {
      await cluster.delete(admission('validatingadmissionpolicybindings'), name);
      await cluster.delete(admission('validatingadmissionpolicies'), name);
    }
  }
  const done: string[] = [];
  for (const obj of tenantInstallObjects()) {
    const name = obj.metadata.name ?? '';
    await cluster.patch(tenantInstallRef(obj), { name }, 'apply', obj, {
      fieldManager: 'skiff',
      force: true,
      dryRun: opts.dryRun ?? false,
    });
    done.push(`${obj.kind}/${name}`);
  }
  return done;
}
