// test-lane: tenant — this file's server executes every TenantBackup and TenantRestore in the cluster, so it must not run beside another file's (other files' servers run with tenant operations off)
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { KubeObject } from '../../../src/kube/index.ts';
import { tenantPrefix } from '../../../src/storage/index.ts';
import { TenantTypes } from '../../../src/tenant/exec/resources.ts';
import { adminCluster, core } from '../../helpers/cluster.ts';
import { storeAtPrefix, type TestServer } from '../../helpers/skiff-server.ts';
import { createTenantBackup, tenantSuite, waitForTenantOutcome, type TestTenant } from '../../helpers/tenant-exec.ts';
import { tenantUser } from '../../helpers/tenant-users.ts';
import { skiff } from '../cli/run-skiff.ts';

const TB = TenantTypes.TenantBackup;
const TR = TenantTypes.TenantRestore;
const RBAC = (resource: string) => ({ group: 'rbac.authorization.k8s.io', version: 'v1', resource });

interface Skipped {
  kind: string;
  namespace?: string;
  name: string;
  reason: string;
}

/**
 * Users are client certificates signed by the test CA (alice: team-a, bob: team-b, carol: team-a
 * and team-c): the API server authenticates each, and the restores write as them.
 */
describe('TenantRestore (issue 17 acceptance 5, 6, 7, 8, 10)', () => {
  const admin = adminCluster();
  const suite = tenantSuite(admin);
  let server: TestServer;
  let alice: TestTenant;
  let bob: TestTenant;
  /** team-c: carol's other group; alice has no rights there. */
  let carolC: TestTenant;

  before(async () => {
    server = suite.server;
    alice = await suite.tenant('team-a', tenantUser('alice'));
    bob = await suite.tenant('team-b', tenantUser('bob'));
    carolC = await suite.tenant('team-c', tenantUser('carol'), { group: 'team-c' });
  });

  const configMap = (namespace: string, name: string): KubeObject => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace },
    data: { from: namespace },
  });

  async function backedUp(t: TestTenant, name: string): Promise<KubeObject> {
    await createTenantBackup(t, name);
    const done = await waitForTenantOutcome(admin, TB, t.namespace, name);
    assert.equal((done.status as { phase?: string }).phase, 'Completed', JSON.stringify(done.status));
    return done;
  }

  function restoreAs(t: TestTenant, name: string, ref: { namespace: string; name: string }): Promise<KubeObject> {
    return t.asUser.create(TR, {
      apiVersion: 'tenant.skiff.dev/v1alpha1',
      kind: 'TenantRestore',
      metadata: { name, namespace: t.namespace },
      spec: { requester: t.user, backupRef: ref },
    });
  }

  async function outcome(t: TestTenant, name: string): Promise<Record<string, unknown>> {
    return (await waitForTenantOutcome(admin, TR, t.namespace, name)).status as Record<string, unknown>;
  }

  test("a restore from team-b into team-a is denied; with bob's RestoreGrant it is allowed; once the grant expires, denied again", async () => {
    await admin.create(core('configmaps'), configMap(bob.namespace, 'bobs'));
    await backedUp(bob, 'b1');
    const ref = { namespace: bob.namespace, name: 'b1' };

    await restoreAs(alice, 'no-grant', ref);
    const denied = await outcome(alice, 'no-grant');
    assert.equal(denied.phase, 'Failed');
    assert.match(String(denied.failureReason), /RestoreGrant/);
    assert.equal(await admin.find(core('configmaps'), 'bobs', alice.namespace), undefined);

    const grant = (name: string, expires: Date) => ({
      apiVersion: 'tenant.skiff.dev/v1alpha1',
      kind: 'RestoreGrant',
      metadata: { name, namespace: bob.namespace },
      spec: {
        backups: ['b1'],
        targetNamespaces: [alice.namespace],
        expires: expires.toISOString().replace(/\.\d+Z$/, 'Z'),
      },
    });
    // An hour: a grant that ran out while a loaded machine was still starting the restore would fail it.
    await bob.asUser.create(TenantTypes.RestoreGrant, grant('to-alice', new Date(Date.now() + 3_600_000)));
    await restoreAs(alice, 'granted', ref);
    const granted = await outcome(alice, 'granted');
    assert.equal(granted.phase, 'Completed', JSON.stringify(granted));
    const restored = await admin.get(core('configmaps'), 'bobs', alice.namespace);
    assert.deepEqual(restored.data, { from: bob.namespace });

    // bob ends his grant: its expiry is now in the past.
    const ended = new Date(Date.now() - 1_000).toISOString().replace(/\.\d+Z$/, 'Z');
    await bob.asUser.patch(TenantTypes.RestoreGrant, { name: 'to-alice', namespace: bob.namespace }, 'merge', {
      spec: { expires: ended },
    });
    await restoreAs(alice, 'expired', ref);
    const expired = await outcome(alice, 'expired');
    assert.equal(expired.phase, 'Failed');
    assert.match(String(expired.failureReason), /RestoreGrant/);
  });

  test('the restore writes as alice: a RoleBinding to cluster-admin and a ResourceQuota are refused by the API server and named', async () => {
    await admin.create(RBAC('rolebindings'), {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'escalate', namespace: alice.namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'team-a' }],
    });
    await admin.create(core('resourcequotas'), {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'quota', namespace: alice.namespace },
      spec: { hard: { pods: '100' } },
    });
    await admin.create(core('configmaps'), configMap(alice.namespace, 'mine'));
    await backedUp(alice, 'with-rbac');
    await admin.delete(RBAC('rolebindings'), 'escalate', alice.namespace);
    await admin.delete(core('resourcequotas'), 'quota', alice.namespace);
    await admin.delete(core('configmaps'), 'mine', alice.namespace);

    await restoreAs(alice, 'rbac', { namespace: alice.namespace, name: 'with-rbac' });
    const status = await outcome(alice, 'rbac');
    assert.equal(status.phase, 'PartiallyFailed', JSON.stringify(status));
    const skipped = (status.skipped ?? []) as Skipped[];
    const named = (kind: string, name: string) => skipped.find((s) => s.kind === kind && s.name === name);
    assert.match(named('RoleBinding', 'escalate')?.reason ?? '', /forbidden|escalat/i, JSON.stringify(skipped));
    assert.ok(named('ResourceQuota', 'quota'), JSON.stringify(skipped));
    assert.equal(await admin.find(RBAC('rolebindings'), 'escalate', alice.namespace), undefined);
    assert.equal(await admin.find(core('resourcequotas'), 'quota', alice.namespace), undefined);
    assert.ok(await admin.find(core('configmaps'), 'mine', alice.namespace), 'what alice may write is restored');
  });

  test('a tarball edited in the bucket is refused and nothing is restored', async () => {
    await admin.create(core('configmaps'), configMap(alice.namespace, 'edited'));
    const tb = await backedUp(alice, 'to-edit');
    await admin.delete(core('configmaps'), 'edited', alice.namespace);
    const store = await storeAtPrefix(server, tenantPrefix(server.prefix, alice.uid));
    await store.putBackupContents(`tenant-${tb.metadata.uid ?? ''}`, Buffer.from('not the tarball that was sealed'));

    await restoreAs(alice, 'tampered', { namespace: alice.namespace, name: 'to-edit' });
    const status = await outcome(alice, 'tampered');
    assert.equal(status.phase, 'Failed');
    assert.match(String(status.failureReason), /tarball was changed/);
    assert.equal(await admin.find(core('configmaps'), 'edited', alice.namespace), undefined);
  });

  test('a volume record rewritten in the bucket after the backup is refused and nothing is restored', async () => {
    await admin.create(core('configmaps'), configMap(alice.namespace, 'planted'));
    const tb = await backedUp(alice, 'to-plant');
    await admin.delete(core('configmaps'), 'planted', alice.namespace);
    const store = await storeAtPrefix(server, tenantPrefix(server.prefix, alice.uid));
    // A record naming a snapshot of the tenant's repository that this backup never took.
    await store.putBackupFile(`tenant-${tb.metadata.uid ?? ''}`, 'podVolumeBackups', [
      { metadata: { name: 'forged' }, spec: { volume: 'data' }, status: { snapshotID: 'deadbeef' } },
    ]);

    await restoreAs(alice, 'planted', { namespace: alice.namespace, name: 'to-plant' });
    const status = await outcome(alice, 'planted');
    assert.equal(status.phase, 'Failed');
    assert.match(String(status.failureReason), /podVolumeBackups record was changed/);
    assert.equal(await admin.find(core('configmaps'), 'planted', alice.namespace), undefined);
  });

  test("carol restores team-a's backup into team-c with the CLI: allowed, the objects appear; alice in team-c: 403 naming the permission", async () => {
    await admin.create(core('configmaps'), configMap(alice.namespace, 'for-c'));
    await backedUp(alice, 'to-c');
    const from = `${alice.namespace}/to-c`;

    const byAlice = await skiff([
      ...['tenant', 'restore', 'create', 'by-alice', '-n', carolC.namespace, '--from-backup', from],
      ...['--kubeconfig', alice.kubeconfig ?? ''],
    ]);
    assert.notEqual(byAlice.code, 0);
    assert.match(
      byAlice.stderr,
      new RegExp(
        `you \\(alice\\) need create on tenantrestores\\.tenant\\.skiff\\.dev in namespace ${carolC.namespace}`,
      ),
    );
    assert.equal(await admin.find(TR, 'by-alice', carolC.namespace), undefined);

    const byCarol = await skiff([
      ...['tenant', 'restore', 'create', 'by-carol', '-n', carolC.namespace, '--from-backup', from, '--wait'],
      ...['--kubeconfig', carolC.kubeconfig ?? ''],
    ]);
    assert.equal(byCarol.code, 0, `${byCarol.stdout}\n${byCarol.stderr}`);
    assert.match(byCarol.stdout, /finished with phase Completed/);
    const status = await outcome(carolC, 'by-carol');
    assert.equal(status.phase, 'Completed', JSON.stringify(status));
    const copied = await admin.get(core('configmaps'), 'for-c', carolC.namespace);
    assert.deepEqual(copied.data, { from: alice.namespace });
    const described = await skiff([
      ...['tenant', 'restore', 'describe', 'by-carol', '-n', carolC.namespace],
      ...['--kubeconfig', carolC.kubeconfig ?? ''],
    ]);
    assert.match(described.stdout, /Requester: +carol \(groups: team-a, team-c, system:authenticated\)/);
  });

  test("a restore queued before alice's RoleBinding is removed fails at execution, with the reason", async () => {
    await backedUp(alice, 'before-revoke');
    await server.restart({ tenantOperations: false });
    try {
      await restoreAs(alice, 'revoked', { namespace: alice.namespace, name: 'before-revoke' });
      for (const rb of alice.bindings) await admin.delete(RBAC('rolebindings'), rb, alice.namespace);
    } finally {
      await server.restart({ tenantOperations: true });
    }
    const status = await outcome(alice, 'revoked');
    assert.equal(status.phase, 'Failed');
    assert.match(String(status.failureReason), new RegExp(`${alice.user.username} may not`));
  });
});
