/**
 * Issue 17 test setup: the tenant API installed as `skiff install` does (CRDs, admission
 * policies, roles), fresh tenant namespaces bound to the users' groups, and tenant objects.
 */
import assert from 'node:assert/strict';
import { installCrds } from '../../src/api/install.ts';
import { KubeApiError } from '../../src/kube/errors.ts';
import type { Cluster } from '../../src/kube/index.ts';
import type { KubeObject } from '../../src/kube/object.ts';
import { TenantKinds, tenantResource, type TenantKindName } from '../../src/tenant/api/kinds.ts';
import { TENANT_API_VERSION, type Requester } from '../../src/tenant/api/types.ts';
import { installTenantObjects } from '../../src/tenant/install.ts';
import { createNamespace, waitFor } from './cluster.ts';
import { uniqueName } from './names.ts';
import type { TenantUser } from './tenant-users.ts';

let installed: Promise<void> | undefined;

/** Installs the CRDs, policies and roles once per process; waits until admission enforces them. */
export function installTenantApi(admin: Cluster): Promise<void> {
  installed ??= (async () => {
    await installCrds(admin);
    await installTenantObjects(admin);
    await admin.discover(true);
  })();
  return installed;
}

/** A fresh namespace where each group (or user) holds a ClusterRole (`skiff-tenant-edit`, `edit`, ...). */
export async function tenantNamespace(
  admin: Cluster,
  prefix: string,
  bindings: { group?: string; user?: string; clusterRole: string }[],
  labels: Record<string, string> = {},
): Promise<string> {
  const ns = uniqueName(prefix);
  await createNamespace(admin, ns, labels);
  for (const [i, b] of bindings.entries()) {
    await admin.create(
      { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'rolebindings' },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: `tenant-${i}`, namespace: ns },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: b.clusterRole },
        subjects: [
          b.group
            ? { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: b.group }
            : { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: b.user ?? '' },
        ],
      },
    );
  }
  return ns;
}

export function requesterOf(user: TenantUser & { uid?: string }): Requester {
  return { username: user.username, groups: user.groups, ...(user.uid ? { uid: user.uid } : {}) };
}

export function tenantObject(
  kind: TenantKindName,
  namespace: string | undefined,
  name: string,
  spec: unknown,
): KubeObject {
  return {
    apiVersion: TENANT_API_VERSION,
    kind,
    metadata: namespace ? { name, namespace } : { name },
    spec,
  };
}

export function createTenant(cluster: Cluster, obj: KubeObject): Promise<KubeObject> {
  return cluster.create(tenantResource(TenantKinds[obj.kind as TenantKindName]), obj);
}

/** Asserts the API server refused with `status`, and that its message matches each pattern. */
export async function assertRefused(what: Promise<unknown>, status: number, ...patterns: RegExp[]): Promise<string> {
  try {
    await what;
  } catch (err) {
    assert.ok(err instanceof KubeApiError, `not an API error: ${String(err)}`);
    assert.equal(err.status, status, err.apiMessage);
    for (const p of patterns) assert.match(err.apiMessage, p);
    return err.apiMessage;
  }
  assert.fail(`expected a ${status} refusal, but the request succeeded`);
}

/**
 * `assertRefused` for a refusal that depends on objects the API server learns through its informers: a
 * ValidatingAdmissionPolicy or binding just installed, a TenantPolicy (the policies' param) just created.
 * Until the server has seen them it admits the request; the object it created is removed and the request
 * made again, for up to 30 s, so a loaded machine does not turn that lag into a failed test.
 */
export async function assertRefusedSoon(
  admin: Cluster,
  create: () => Promise<KubeObject>,
  status: number,
  ...patterns: RegExp[]
): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const attempt = create();
    const created = await attempt.catch(() => undefined);
    if (!created) return assertRefused(attempt, status, ...patterns);
    const ref = tenantResource(TenantKinds[created.kind as TenantKindName]);
    await admin.delete(ref, created.metadata.name ?? '', created.metadata.namespace).catch(() => undefined);
    if (Date.now() >= deadline)
      assert.fail(`expected a ${status} refusal within 30 s, but the request kept succeeding`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Waits until RBAC (cached by the authorizer for a moment) answers `allowed` for `user`. */
export async function waitUntilAllowed(
  user: TenantUser,
  namespace: string,
  resource: string,
  verb: string,
): Promise<void> {
  await waitFor(`${user.username} may ${verb} ${resource} in ${namespace}`, async () => {
    const review = await user.cluster.create(
      { group: 'authorization.k8s.io', version: 'v1', resource: 'selfsubjectaccessreviews' },
      {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        metadata: {},
        spec: { resourceAttributes: { group: 'tenant.skiff.dev', resource, verb, namespace } },
      },
    );
    return (review.status as { allowed?: boolean } | undefined)?.allowed === true;
  });
}
