import type { Cluster, KubeObject, UserIdentity } from '../../src/kube/index.ts';
import { TenantTypes } from '../../src/tenant/exec/resources.ts';
import { core, createNamespace, waitFor } from './cluster.ts';
import { uniqueName } from './names.ts';
import { before, after } from 'node:test';
import { startTestServer, type TestServer, type TestServerOptions } from './skiff-server.ts';
import { installTenantApi } from './tenant.ts';
import type { TenantUser } from './tenant-users.ts';

const CRDS = { group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions' };
const RBAC = (resource: string) => ({ group: 'rbac.authorization.k8s.io', version: 'v1', resource });

/**
 * The tenant.skiff.dev kinds, for tests of execution: the real CRDs when installed, else
 * schemaless stand-ins with a status subresource (until tenant-admit's CRDs are on main).
 */
export async function ensureTenantKinds(cluster: Cluster): Promise<void> {
  for (const rt of Object.values(TenantTypes)) {
    const name = `${rt.resource}.${rt.group}`;
    if (await cluster.find(CRDS, name)) continue;
    await cluster
      .create(CRDS, {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name },
        spec: {
          group: rt.group,
          scope: rt.namespaced ? 'Namespaced' : 'Cluster',
          names: { plural: rt.resource, singular: rt.kind.toLowerCase(), kind: rt.kind, listKind: `${rt.kind}List` },
          versions: [
            {
              name: rt.version,
              served: true,
              storage: true,
              subresources: { status: {} },
              schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
            },
          ],
        },
      })
      .catch(() => undefined);
    await waitFor(`CRD ${name} established`, async () => {
      const crd = await cluster.find(CRDS, name);
      const conditions = (crd?.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions;
      return conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    });
  }
  await cluster.discover(true);
}

/** A tenant: a namespace selected by a fresh TenantPolicy, and a user whose group may use it. */
export interface TestTenant {
  namespace: string;
  uid: string;
  user: UserIdentity;
  /** The tenant's user: a certificate user's own client, or the admin cluster impersonating the user. */
  asUser: Cluster;
  /** The RoleBindings that give the user the namespace (removing them revokes it). */
  bindings: string[];
  /** The kubeconfig of a certificate user, for running the CLI as them. */
  kubeconfig?: string;
}

/**
 * A TenantPolicy selecting namespaces labelled `skiff-test-policy=<its name>`, using location
 * `location` of the server namespace.
 */
export async function createTenantPolicy(
  cluster: Cluster,
  location: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const name = uniqueName('policy');
  await cluster.create(TenantTypes.TenantPolicy, {
    apiVersion: 'tenant.skiff.dev/v1alpha1',
    kind: 'TenantPolicy',
    metadata: { name },
    spec: { namespaceSelector: { matchLabels: { 'skiff-test-policy': name } }, storageLocation: location, ...extra },
  });
  return name;
}

/** The ClusterRole a tenant's group gets in its namespace besides `admin`: the tenant kinds. */
async function ensureTenantRole(cluster: Cluster): Promise<string> {
  const name = 'skiff-test-tenant-exec';
  const rules = [
    {
      apiGroups: ['tenant.skiff.dev'],
      resources: ['tenantbackups', 'tenantrestores', 'restoregrants', 'tenantschedules'],
      verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
    },
  ];
  const existing = await cluster.find(RBAC('clusterroles'), name);
  if (!existing) {
    await cluster
      .create(RBAC('clusterroles'), {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name },
        rules,
      })
      .catch(() => undefined);
  } else if (JSON.stringify(existing.rules) !== JSON.stringify(rules)) {
    // Made by an earlier version of this helper in the same environment.
    await cluster.patch(RBAC('clusterroles'), { name }, 'merge', { rules });
  }
  return name;
}

/** Binds `group` (or a user) to `admin` and the tenant kinds in `namespace`; returns the bindings' names. */
export async function grantTenant(
  cluster: Cluster,
  namespace: string,
  group: string,
  subjectKind: 'Group' | 'User' = 'Group',
): Promise<string[]> {
  const tenantRole = await ensureTenantRole(cluster);
  const names: string[] = [];
  for (const role of ['admin', tenantRole]) {
    const name = `${group}-${role}`;
    await cluster.create(RBAC('rolebindings'), {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name, namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: subjectKind, name: group }],
    });
    names.push(name);
  }
  return names;
}

/** A namespace under `policy`, and a user of group `<namespace>-users` with admin rights there. */
export async function createTenant(cluster: Cluster, policy: string, prefix: string): Promise<TestTenant> {
  const namespace = uniqueName(prefix);
  await createNamespace(cluster, namespace, { 'skiff-test-policy': policy });
  const ns = await cluster.get(core('namespaces'), namespace);
  const group = `${namespace}-users`;
  const bindings = await grantTenant(cluster, namespace, group);
  const user = { username: uniqueName(`${prefix}-user`), groups: [group, 'system:authenticated'] };
  return { namespace, uid: ns.metadata.uid ?? '', user, asUser: cluster.impersonating(user), bindings };
}

/**
 * A namespace under `policy` for a certificate user (tenant-users.ts): their first group (or, for
 * a user without groups, the user) holds `admin` and the tenant kinds there. Requests go with the
 * user's own certificate, as the API server authenticates them; no impersonation. `opts.group`
 * picks another of their groups; `opts.namespace` reuses a name (a namespace recreated).
 */
export async function certTenant(
  cluster: Cluster,
  policy: string,
  prefix: string,
  user: TenantUser,
  opts: { group?: string; namespace?: string } = {},
): Promise<TestTenant> {
  const namespace = opts.namespace ?? uniqueName(prefix);
  await createNamespace(cluster, namespace, { 'skiff-test-policy': policy });
  const ns = await cluster.get(core('namespaces'), namespace);
  const group = opts.group ?? user.groups.find((g) => !g.startsWith('system:'));
  const bindings = group
    ? await grantTenant(cluster, namespace, group)
    : await grantTenant(cluster, namespace, user.username, 'User');
  await waitFor(`${user.username} may create tenantbackups in ${namespace}`, async () => {
    const review = await user.cluster.create(
      { group: 'authorization.k8s.io', version: 'v1', resource: 'selfsubjectaccessreviews' },
      {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        metadata: {},
        spec: {
          resourceAttributes: { group: 'tenant.skiff.dev', resource: 'tenantbackups', verb: 'create', namespace },
        },
      },
    );
    return (review.status as { allowed?: boolean } | undefined)?.allowed === true;
  });
  return {
    namespace,
    uid: ns.metadata.uid ?? '',
    user: { username: user.username, groups: user.groups },
    asUser: user.cluster,
    bindings,
    kubeconfig: user.kubeconfig,
  };
}

/** Creates a TenantBackup as the tenant's user, with the requester the CLI would fill in. */
export async function createTenantBackup(
  tenant: TestTenant,
  name: string,
  spec: Record<string, unknown> = {},
): Promise<KubeObject> {
  return tenant.asUser.create(TenantTypes.TenantBackup, {
    apiVersion: 'tenant.skiff.dev/v1alpha1',
    kind: 'TenantBackup',
    metadata: { name, namespace: tenant.namespace },
    spec: { requester: tenant.user, ...spec },
  });
}

/**
 * Restores a backup of a StatefulSet's namespace into that namespace as the tenant's user (a
 * TenantRestore named `name`, default `back`) and waits for its outcome. The StatefulSet's
 * ControllerRevision is left out: it is the controller's to write, and namespace admins may not.
 */
export async function restoreStatefulSetBackup(
  admin: Cluster,
  tenant: TestTenant,
  backup: string,
  timeoutMs: number,
  name = 'back',
): Promise<KubeObject> {
  await tenant.asUser.create(TenantTypes.TenantRestore, {
    apiVersion: 'tenant.skiff.dev/v1alpha1',
    kind: 'TenantRestore',
    metadata: { name, namespace: tenant.namespace },
    spec: {
      requester: tenant.user,
      backupRef: { namespace: tenant.namespace, name: backup },
      excludedResources: ['controllerrevisions.apps'],
    },
  });
  return waitForTenantOutcome(admin, TenantTypes.TenantRestore, tenant.namespace, name, timeoutMs);
}

const TERMINAL = new Set(['Completed', 'PartiallyFailed', 'Failed', 'FailedValidation']);

/** Waits until a Tenant* object is finished; returns it. */
export function waitForTenantOutcome(
  cluster: Cluster,
  type: (typeof TenantTypes)[keyof typeof TenantTypes],
  namespace: string,
  name: string,
  timeoutMs = 120_000,
): Promise<KubeObject> {
  return waitFor(
    `${type.kind} ${namespace}/${name} to finish`,
    async () => {
      const obj = await cluster.get(type, name, namespace);
      const phase = (obj.status as { phase?: string } | undefined)?.phase ?? '';
      return TERMINAL.has(phase) ? obj : undefined;
    },
    timeoutMs,
  );
}

/** What `tenantSuite` sets up; `server` and `policy` are there once its `before` has run. */
export interface TenantSuite {
  server: TestServer;
  policy: string;
  /** A namespace under the suite's policy for a certificate user (`certTenant`), removed after. */
  tenant(prefix: string, user: TenantUser, opts?: { group?: string; namespace?: string }): Promise<TestTenant>;
}

/**
 * The setup tenant execution files share (call it inside `describe`): the tenant API installed,
 * a `skiff server` running tenant operations, and one TenantPolicy over location `location`;
 * after the tests, the server stops and the suite's namespaces and policy go.
 */
export function tenantSuite(admin: Cluster, opts: { server?: TestServerOptions; location?: string } = {}): TenantSuite {
  const namespaces: string[] = [];
  const suite = {
    tenant: async (prefix: string, user: TenantUser, certOpts: { group?: string; namespace?: string } = {}) => {
      const t = await certTenant(admin, suite.policy, prefix, user, certOpts);
      namespaces.push(t.namespace);
      return t;
    },
  } as TenantSuite;
  before(async () => {
    await installTenantApi(admin);
    suite.server = await startTestServer(admin, { tenantOperations: true, ...opts.server });
    suite.policy = await createTenantPolicy(admin, opts.location ?? 'default');
  });
  after(async () => {
    await suite.server?.stop();
    for (const ns of new Set(namespaces)) await admin.delete(core('namespaces'), ns);
    if (suite.policy) await admin.delete(TenantTypes.TenantPolicy, suite.policy);
  });
  return suite;
}
