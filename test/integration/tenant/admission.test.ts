// test-lane: tenant — its TenantBackups would be executed by a tenant file's server, taking that file's queue slots
/**
 * Issue 17 acceptance at admission, against the real API server with no `skiff server` running
 * at all: whatever is refused here is refused by the API server alone (CRD CEL rules, the
 * ValidatingAdmissionPolicies, RBAC, ResourceQuota). Users are client certificates signed by
 * the test CA (alice team-a, bob team-b, carol team-a+team-c, dave) and a ServiceAccount.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { Kinds, resourceRef } from '../../../src/api/kinds.ts';
import { TenantKinds, tenantResource } from '../../../src/tenant/api/kinds.ts';
import type { TenantBackup } from '../../../src/tenant/api/types.ts';
import { TENANT_ROLES } from '../../../src/tenant/rbac.ts';
import { adminCluster, core } from '../../helpers/cluster.ts';
import {
  assertRefused,
  assertRefusedSoon,
  createTenant,
  installTenantApi,
  requesterOf,
  tenantNamespace,
  tenantObject,
  waitUntilAllowed,
} from '../../helpers/tenant.ts';
import { serviceAccountUser, tenantUser } from '../../helpers/tenant-users.ts';

const admin = adminCluster();
const alice = tenantUser('alice');
const bob = tenantUser('bob');
const carol = tenantUser('carol');
const tb = tenantResource(TenantKinds.TenantBackup);

before(() => installTenantApi(admin));

/** team-a (alice, carol: tenant-edit), team-b (bob: tenant-admin), team-c (carol: tenant-edit). */
async function teams(labels: Record<string, string> = {}) {
  const a = await tenantNamespace(admin, 'team-a', [{ group: 'team-a', clusterRole: TENANT_ROLES.edit }], labels);
  const b = await tenantNamespace(admin, 'team-b', [{ group: 'team-b', clusterRole: TENANT_ROLES.admin }], labels);
  const c = await tenantNamespace(admin, 'team-c', [{ group: 'team-c', clusterRole: TENANT_ROLES.edit }], labels);
  await waitUntilAllowed(alice, a, 'tenantbackups', 'create');
  await waitUntilAllowed(bob, b, 'tenantbackups', 'create');
  await waitUntilAllowed(carol, c, 'tenantbackups', 'create');
  return { a, b, c };
}

const backupBy = (user: Parameters<typeof requesterOf>[0], ns: string, name: string, extra: object = {}) =>
  tenantObject('TenantBackup', ns, name, { requester: requesterOf(user), ...extra });

describe('acceptance 2: refused at admission, naming the field (no skiff server running)', () => {
  test('alice asking for namespaces: [team-b] is refused; carol may name team-a and team-c', async () => {
    const { a, b, c } = await teams();
    await assertRefusedSoon(
      admin,
      () => createTenant(alice.cluster, backupBy(alice, a, 'other', { namespaces: [b] })),
      403,
      /spec\.namespaces/,
      new RegExp(`alice may not create tenantbackups in every namespace named \\(${b}\\)`),
    );
    const mine = await createTenant(carol.cluster, backupBy(carol, a, 'both', { namespaces: [a, c] }));
    assert.deepEqual((mine.spec as { namespaces: string[] }).namespaces, [a, c]);
  });

  test('includeClusterResources: true is refused; false is accepted', async () => {
    const { a } = await teams();
    await assertRefused(
      createTenant(alice.cluster, backupBy(alice, a, 'cluster', { includeClusterResources: true })),
      422,
      /spec\.includeClusterResources/,
      /only false is allowed/,
    );
    await createTenant(alice.cluster, backupBy(alice, a, 'no-cluster', { includeClusterResources: false }));
  });

  test('another tenant’s storage location cannot be named', async () => {
    const { a, b } = await teams();
    await assertRefused(
      createTenant(alice.cluster, backupBy(alice, a, 'loc', { storageLocation: `${b}/theirs` })),
      422,
      /spec\.storageLocation/,
    );
  });

  test('hooks and moved snapshot data are refused where the TenantPolicy forbids them, hooks also without pods/exec', async () => {
    const label = { 'skiff-test/tenant-policy': `p-${Date.now()}` };
    const { a } = await teams(label);
    const hooks = { resources: [{ name: 'flush', pre: [{ exec: { command: ['sync'] } }] }] };
    // alice holds skiff-tenant-edit only: no pods/exec, so hooks would run commands she cannot.
    await assertRefusedSoon(
      admin,
      () => createTenant(alice.cluster, backupBy(alice, a, 'h1', { hooks })),
      403,
      /spec\.hooks/,
      /pods\/exec/,
    );

    const policyName = label['skiff-test/tenant-policy'];
    await createTenant(
      admin,
      tenantObject('TenantPolicy', undefined, policyName, {
        namespaceSelector: { matchLabels: label },
        forbidden: ['hooks', 'snapshots'],
      }),
    );
    try {
      // With the built-in edit role she may exec; the policy still forbids hooks.
      await tenantNamespaceBinding(a, 'team-a', 'edit');
      await assertRefusedSoon(
        admin,
        () => createTenant(alice.cluster, backupBy(alice, a, 'h2', { hooks })),
        403,
        /spec\.hooks: hooks are forbidden/,
        new RegExp(`TenantPolicy ${policyName}`),
      );
      await assertRefusedSoon(
        admin,
        () => createTenant(alice.cluster, backupBy(alice, a, 'moved', { snapshotMoveData: true })),
        403,
        /spec\.snapshotMoveData: volume snapshots \(whose data the data mover moves\) are forbidden/,
      );
      await createTenant(alice.cluster, backupBy(alice, a, 'no-hooks'));
    } finally {
      await admin.delete(tenantResource(TenantKinds.TenantPolicy), policyName);
    }
  });
});

async function tenantNamespaceBinding(ns: string, group: string, role: string): Promise<void> {
  await admin.create(
    { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'rolebindings' },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: `builtin-${role}`, namespace: ns },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: group }],
    },
  );
  // The aggregated built-in role takes a moment; wait until exec is allowed.
  const { waitFor } = await import('../../helpers/cluster.ts');
  await waitFor(`${group} may exec in ${ns}`, async () => {
    const r = await alice.cluster.create(
      { group: 'authorization.k8s.io', version: 'v1', resource: 'selfsubjectaccessreviews' },
      {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        metadata: {},
        spec: { resourceAttributes: { resource: 'pods', subresource: 'exec', verb: 'create', namespace: ns } },
      },
    );
    return (r.status as { allowed?: boolean }).allowed === true;
  });
}

describe('TenantPolicy: locked fields and maxTTL', () => {
  test('a locked field must keep the default, and the ttl may not exceed maxTTL', async () => {
    const label = { 'skiff-test/tenant-policy': `p-${Date.now()}` };
    const { a } = await teams(label);
    const policyName = label['skiff-test/tenant-policy'];
    await createTenant(
      admin,
      tenantObject('TenantPolicy', undefined, policyName, {
        namespaceSelector: {
          matchExpressions: [{ key: 'skiff-test/tenant-policy', operator: 'In', values: [policyName] }],
        },
        defaults: { ttl: '24h', snapshotVolumes: false },
        locked: ['snapshotVolumes'],
        maxTTL: '72h',
      }),
    );
    try {
      await assertRefusedSoon(
        admin,
        () => createTenant(alice.cluster, backupBy(alice, a, 'snap', { snapshotVolumes: true })),
        403,
        /spec\.snapshotVolumes: locked to its default/,
      );
      await assertRefusedSoon(
        admin,
        () => createTenant(alice.cluster, backupBy(alice, a, 'long', { ttl: '720h' })),
        403,
        /spec\.ttl: 720h is longer than maxTTL 72h/,
      );
      await createTenant(alice.cluster, backupBy(alice, a, 'ok', { ttl: '48h', snapshotVolumes: false }));
    } finally {
      await admin.delete(tenantResource(TenantKinds.TenantPolicy), policyName);
    }
  });
});

describe('acceptance 3: what alice may not see', () => {
  test('team-b’s tenant objects and anything in velero.io: get, list and watch are 403', async () => {
    const { a, b } = await teams();
    await createTenant(bob.cluster, backupBy(bob, b, 'bobs'));
    await assertRefused(alice.cluster.get(tb, 'bobs', b), 403, /alice/);
    for (const path of [
      `/apis/tenant.skiff.dev/v1alpha1/namespaces/${b}/tenantbackups`,
      `/apis/tenant.skiff.dev/v1alpha1/namespaces/${b}/tenantbackups?watch=true&timeoutSeconds=1`,
      `/apis/tenant.skiff.dev/v1alpha1/namespaces/${b}/tenantrestores`,
      `/apis/tenant.skiff.dev/v1alpha1/namespaces/${b}/restoregrants`,
      `/apis/tenant.skiff.dev/v1alpha1/namespaces/${b}/tenantstoragelocations`,
      `/apis/velero.io/v1/namespaces/${a}/backups`,
      `/apis/velero.io/v1/namespaces/velero/backups?watch=true&timeoutSeconds=1`,
      `/apis/velero.io/v1/backups`,
      `/apis/velero.io/v1/namespaces/velero/restores`,
      `/apis/tenant.skiff.dev/v1alpha1/storageapprovals`,
    ]) {
      await assertRefused(alice.cluster.client.request({ method: 'GET', path }), 403);
    }
    await assertRefused(alice.cluster.get(resourceRef(Kinds.Backup), 'any', a), 403);
    // Her own namespace's are readable.
    await alice.cluster.client.request({
      method: 'GET',
      path: `/apis/tenant.skiff.dev/v1alpha1/namespaces/${a}/tenantbackups`,
    });
  });
});

describe('acceptance 4: who asked cannot be forged or changed', () => {
  test('a forged username, uid or group set is refused', async () => {
    const { a } = await teams();
    const forged = (requester: object) => tenantObject('TenantBackup', a, 'forged', { requester });
    await assertRefused(
      createTenant(alice.cluster, forged({ username: 'bob', groups: alice.groups })),
      403,
      /spec\.requester\.username: bob is not the user making this request \(alice\)/,
    );
    await assertRefused(
      createTenant(alice.cluster, forged({ username: 'alice', uid: 'x', groups: alice.groups })),
      403,
      /spec\.requester\.uid/,
    );
    await assertRefused(
      createTenant(alice.cluster, forged({ username: 'alice', groups: [...alice.groups, 'system:masters'] })),
      403,
      /spec\.requester\.groups/,
    );
    await assertRefused(createTenant(alice.cluster, forged({ username: 'alice' })), 403, /spec\.requester\.groups/);
  });

  test('requester and backupRef cannot be edited after create; the server’s status writes are not blocked', async () => {
    const { a } = await teams();
    await createTenant(alice.cluster, backupBy(alice, a, 'src'));
    await assertRefused(
      alice.cluster.patch(tb, { name: 'src', namespace: a }, 'merge', { spec: { requester: { username: 'bob' } } }),
      422,
      /spec\.requester is immutable/,
    );
    const tr = tenantResource(TenantKinds.TenantRestore);
    await createTenant(
      alice.cluster,
      tenantObject('TenantRestore', a, 'r', {
        requester: requesterOf(alice),
        backupRef: { namespace: a, name: 'src' },
      }),
    );
    await assertRefused(
      alice.cluster.patch(tr, { name: 'r', namespace: a }, 'merge', { spec: { backupRef: { name: 'other' } } }),
      422,
      /spec\.backupRef is immutable/,
    );
    // A controller (another identity) writes status and metadata without tripping the requester check.
    await admin.patchStatus(tb, { name: 'src', namespace: a }, { phase: 'Queued', queuePosition: 1 });
    await admin.patch(tb, { name: 'src', namespace: a }, 'merge', { metadata: { labels: { x: 'y' } } });
    // alice may not write status (no /status rights in the tenant roles).
    await assertRefused(alice.cluster.patchStatus(tb, { name: 'src', namespace: a }, { phase: 'Completed' }), 403);
  });
});

describe('acceptance 6 (admission): restores name namespaces the requester may use', () => {
  test('carol restores team-a into team-c; alice creating a TenantRestore in team-c is 403', async () => {
    const { a, c } = await teams();
    await createTenant(alice.cluster, backupBy(alice, a, 'src'));
    const restore = (user: typeof alice) =>
      tenantObject('TenantRestore', c, 'into-c', {
        requester: requesterOf(user),
        backupRef: { namespace: a, name: 'src' },
      });
    await assertRefused(createTenant(alice.cluster, restore(alice)), 403, /alice/, /tenantrestores/);
    const made = await createTenant(carol.cluster, restore(carol));
    assert.deepEqual((made.spec as { backupRef: unknown }).backupRef, { namespace: a, name: 'src' });
  });

  test('a same-namespace restore needs get on the backup', async () => {
    const { a } = await teams();
    const dave = tenantUser('dave');
    // dave may create restores in team-a but not read its backups.
    await admin.create(
      { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'roles' },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'restore-only', namespace: a },
        rules: [{ apiGroups: ['tenant.skiff.dev'], resources: ['tenantrestores'], verbs: ['create'] }],
      },
    );
    await admin.create(
      { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'rolebindings' },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'dave', namespace: a },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'restore-only' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'dave' }],
      },
    );
    await waitUntilAllowed(dave, a, 'tenantrestores', 'create');
    await assertRefused(
      createTenant(
        dave.cluster,
        tenantObject('TenantRestore', a, 'r', { requester: requesterOf(dave), backupRef: { namespace: a, name: 'x' } }),
      ),
      403,
      /spec\.backupRef: dave may not get tenantbackup x/,
    );
  });
});

describe('acceptance 12 (admission): ResourceQuota counts TenantBackups', () => {
  test('with count/tenantbackups.tenant.skiff.dev = 3 the 4th is 403', async () => {
    const { a } = await teams();
    await admin.create(core('resourcequotas'), {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'tenant', namespace: a },
      spec: { hard: { 'count/tenantbackups.tenant.skiff.dev': '3' } },
    });
    const { waitFor } = await import('../../helpers/cluster.ts');
    // Admission charges a quota only once the quota controller has written what is used of it, and the
    // controller finds a newly installed CRD's resource only at its next discovery pass.
    await waitFor(
      'the quota to be counted',
      async () => {
        const q = await admin.get(core('resourcequotas'), 'tenant', a);
        const used = (q.status as { used?: Record<string, string> } | undefined)?.used;
        return used?.['count/tenantbackups.tenant.skiff.dev'] !== undefined;
      },
      180_000,
    );
    for (const n of ['q1', 'q2', 'q3']) await createTenant(alice.cluster, backupBy(alice, a, n));
    await assertRefused(
      createTenant(alice.cluster, backupBy(alice, a, 'q4')),
      403,
      /exceeded quota: tenant/,
      /count\/tenantbackups\.tenant\.skiff\.dev=3/,
    );
  });
});

describe('acceptance 14: a ServiceAccount backs up its namespace', () => {
  test('the recorded requester is system:serviceaccount:<ns>:ci with its uid', async () => {
    const { a } = await teams();
    const ci = await serviceAccountUser(admin, a, 'ci');
    await admin.create(
      { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'rolebindings' },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'ci', namespace: a },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'skiff-tenant-edit' },
        subjects: [{ kind: 'ServiceAccount', name: 'ci', namespace: a }],
      },
    );
    await waitUntilAllowed(ci, a, 'tenantbackups', 'create');
    const made = (await createTenant(ci.cluster, backupBy(ci, a, 'nightly'))) as TenantBackup;
    assert.equal(made.spec.requester.username, `system:serviceaccount:${a}:ci`);
    assert.equal(made.spec.requester.uid, ci.uid);
    // Without the uid the request is refused: the uid is part of who asked.
    await assertRefused(
      createTenant(
        ci.cluster,
        tenantObject('TenantBackup', a, 'no-uid', { requester: { username: ci.username, groups: ci.groups } }),
      ),
      403,
      /spec\.requester\.uid/,
    );
  });
});

describe('TenantSchedule at admission', () => {
  test('@every faster than the TenantPolicy’s minScheduleInterval is refused naming it; a slower one is accepted', async () => {
    const label = { 'skiff-test/tenant-policy': `p-${Date.now()}` };
    const { a } = await teams(label);
    const policyName = label['skiff-test/tenant-policy'];
    const schedule = (name: string, every: string) =>
      tenantObject('TenantSchedule', a, name, { requester: requesterOf(alice), schedule: every, template: {} });
    await createTenant(
      admin,
      tenantObject('TenantPolicy', undefined, policyName, {
        namespaceSelector: {
          matchExpressions: [{ key: 'skiff-test/tenant-policy', operator: 'In', values: [policyName] }],
        },
        minScheduleInterval: '1h',
      }),
    );
    try {
      await assertRefusedSoon(
        admin,
        () => createTenant(alice.cluster, schedule('often', '@every 5m')),
        403,
        /spec\.schedule: @every 5m fires more often than the minScheduleInterval 1h/,
        new RegExp(`TenantPolicy ${policyName}`),
      );
      await createTenant(alice.cluster, schedule('hourly', '@every 2h'));
      // A forged requester on a schedule is refused like on a backup.
      await assertRefused(
        createTenant(
          alice.cluster,
          tenantObject('TenantSchedule', a, 'forged', {
            requester: requesterOf(bob),
            schedule: '@every 2h',
            template: {},
          }),
        ),
        403,
        /spec\.requester\.username/,
      );
    } finally {
      await admin.delete(tenantResource(TenantKinds.TenantPolicy), policyName);
    }
  });
});

describe('acceptance 13 (RBAC and admission): tenant storage locations', () => {
  test('self-approval is 403; a location may name only a Secret its creator may read, and no server files or commands', async () => {
    const { b } = await teams();
    await assertRefused(
      createTenant(
        bob.cluster,
        tenantObject('StorageApproval', undefined, `self-${b}`, {
          location: { namespace: b, name: 'mine' },
          specHash: 'a'.repeat(64),
        }),
      ),
      403,
      /storageapprovals/,
    );
    const location = (extra: object) =>
      tenantObject('TenantStorageLocation', b, 'mine', {
        provider: 'aws',
        objectStorage: { bucket: 'bobs' },
        ...extra,
      });
    await assertRefused(
      createTenant(bob.cluster, location({ config: { credentialProcess: '/bin/sh -c id' } })),
      422,
      /spec\.config/,
      /credentialProcess is not allowed/,
    );
    // bob holds skiff-tenant-admin, which reads no Secrets.
    await assertRefused(
      createTenant(bob.cluster, location({ credential: { name: 'cloud', key: 'cloud' } })),
      403,
      /spec\.credential: bob may not get secret cloud/,
    );
    await createTenant(bob.cluster, location({}));
  });
});
