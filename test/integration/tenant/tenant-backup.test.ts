// test-lane: tenant — this file's server executes every TenantBackup and TenantRestore in the cluster, so it must not run beside another file's (other files' servers run with tenant operations off)
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { KubeApiError, type KubeObject } from '../../../src/kube/index.ts';
import { collect, readAll } from '../../../src/storage/object-store.ts';
import { tenantPrefix } from '../../../src/storage/index.ts';
import { TenantTypes } from '../../../src/tenant/exec/resources.ts';
import { adminCluster, core, waitFor } from '../../helpers/cluster.ts';
import { s3LocationSpec, startTestServer, storeAtPrefix, type TestServer } from '../../helpers/skiff-server.ts';
import { uniqueName } from '../../helpers/names.ts';
import { loadTestEnv } from '../../helpers/testenv.ts';
import { TenantKinds, tenantResource } from '../../../src/tenant/api/kinds.ts';
import { locationSpecHash } from '../../../src/tenant/location-approval.ts';
import { Kinds, resourceRef } from '../../../src/api/index.ts';
import { TenantLabels } from '../../../src/tenant/exec/resources.ts';
import {
  certTenant,
  createTenantBackup,
  createTenantPolicy,
  waitForTenantOutcome,
  type TestTenant,
} from '../../helpers/tenant-exec.ts';
import { installTenantApi } from '../../helpers/tenant.ts';
import { serviceAccountUser, tenantUser } from '../../helpers/tenant-users.ts';
import { skiff } from '../cli/run-skiff.ts';

const TB = TenantTypes.TenantBackup;

/**
 * Users are client certificates signed by the test CA (alice: team-a, bob: team-b) and a
 * ServiceAccount token: the API server authenticates them, nobody impersonates them.
 */
describe('TenantBackup (issue 17 acceptance 1, 11, 14)', () => {
  const admin = adminCluster();
  let server: TestServer;
  let alice: TestTenant;
  let bob: TestTenant;
  let policy: string;

  before(async () => {
    await installTenantApi(admin);
    // Sync every 2 s: the tenant sync test waits for one to bring a Backup back.
    server = await startTestServer(admin, { tenantOperations: true, backupSyncPeriod: '2s' });
    policy = await createTenantPolicy(admin, 'default');
    alice = await certTenant(admin, policy, 'team-a', tenantUser('alice'));
    bob = await certTenant(admin, policy, 'team-b', tenantUser('bob'));
    for (const t of [alice, bob]) {
      await admin.create(core('configmaps'), {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'settings', namespace: t.namespace },
        data: { owner: t.namespace },
      });
    }
  });
  after(async () => {
    await server.stop();
    for (const t of [alice, bob]) await admin.delete(core('namespaces'), t.namespace);
    await admin.delete(TenantTypes.TenantPolicy, policy);
  });

  async function tenantStore(t: TestTenant) {
    return storeAtPrefix(server, tenantPrefix(server.prefix, t.uid));
  }

  test("alice backs up team-a with the CLI: only team-a's objects, under team-a's UID prefix, sealed, with its digest", async () => {
    // As alice would: her kubeconfig, no requester written by hand (the CLI asks the API server who she is).
    const run = await skiff([
      ...['tenant', 'backup', 'create', 'first', '-n', alice.namespace, '--wait'],
      ...['--kubeconfig', alice.kubeconfig ?? ''],
    ]);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /TenantBackup "first" created in namespace \S+ as alice/);
    assert.match(run.stdout, /finished with phase Completed/);
    const done = await waitForTenantOutcome(admin, TB, alice.namespace, 'first');
    assert.deepEqual((done.spec as { requester: unknown }).requester, { username: 'alice', groups: alice.user.groups });
    const status = done.status as Record<string, unknown>;
    assert.equal(status.phase, 'Completed', JSON.stringify(status));
    assert.ok((status.itemsBackedUp as number) > 0);

    const store = await tenantStore(alice);
    const backupName = `tenant-${done.metadata.uid ?? ''}`;
    const list = (await store.getBackupFile(backupName, 'resourceList')) as Record<string, string[]>;
    const items = Object.values(list).flat();
    assert.ok(items.includes(`${alice.namespace}/settings`), JSON.stringify(list));
    for (const item of items) assert.ok(item.startsWith(`${alice.namespace}/`), `${item} is not in ${alice.namespace}`);
    assert.ok(!Object.keys(list).some((k) => k.startsWith('v1/Namespace')), 'no Namespace object is backed up');

    const tarball = await readAll(await store.getBackupContents(backupName));
    assert.equal(status.contentDigest, createHash('sha256').update(tarball).digest('hex'));
    assert.ok(await store.getBackupFile(backupName, 'tenantSeal'), 'the backup carries its seal');
    // Nothing about alice's backup lands in the admin location's own backups/.
    const outside = await storeAtPrefix(server, server.prefix);
    assert.deepEqual(await outside.listBackups(), []);
  });

  test('includeClusterResources is refused naming the field, at admission or by the server', async () => {
    try {
      await createTenantBackup(alice, 'cluster', { includeClusterResources: true });
    } catch (err) {
      // tenant-admit's CRD rule refuses it before the server sees it.
      assert.ok(err instanceof KubeApiError && err.status === 422, String(err));
      assert.match(err.apiMessage, /spec\.includeClusterResources/);
      return;
    }
    const done = await waitForTenantOutcome(admin, TB, alice.namespace, 'cluster');
    const errors = ((done.status as { validationErrors?: string[] }).validationErrors ?? []).join('\n');
    assert.match(errors, /spec\.includeClusterResources/);
  });

  test("alice deletes her backup: its bucket objects are gone; bob deleting alice's gets 403", async () => {
    const created = await createTenantBackup(alice, 'doomed');
    await waitForTenantOutcome(admin, TB, alice.namespace, 'doomed');
    const store = await tenantStore(alice);
    const dir = store.layout.backupDir(`tenant-${created.metadata.uid ?? ''}`);
    assert.ok((await collect(store.objectStore.listObjects(dir))).length > 0);

    await assert.rejects(
      bob.asUser.delete(TB, 'doomed', alice.namespace),
      (err) => err instanceof KubeApiError && err.status === 403,
    );
    // The CLI names the permission bob lacks.
    const denied = await skiff([
      ...['tenant', 'backup', 'delete', 'doomed', '-n', alice.namespace, '--confirm'],
      ...['--kubeconfig', bob.kubeconfig ?? ''],
    ]);
    assert.notEqual(denied.code, 0);
    assert.match(
      denied.stderr,
      new RegExp(`you \\(bob\\) need delete on tenantbackups\\.tenant\\.skiff\\.dev in namespace ${alice.namespace}`),
    );
    await alice.asUser.delete(TB, 'doomed', alice.namespace);
    await waitFor('the TenantBackup to be gone', async () => !(await admin.find(TB, 'doomed', alice.namespace)));
    assert.deepEqual(await collect(store.objectStore.listObjects(dir)), []);
    const kept: KubeObject | undefined = await admin.find(TB, 'first', alice.namespace);
    assert.ok(kept, 'the other backup stays');
  });

  test('the CI ServiceAccount backs up its namespace: the recorded requester is system:serviceaccount:<ns>:ci', async () => {
    const ci = await serviceAccountUser(admin, alice.namespace, 'ci');
    await admin.create(
      { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'rolebindings' },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'ci-tenant', namespace: alice.namespace },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'skiff-tenant-edit' },
        subjects: [{ kind: 'ServiceAccount', name: 'ci', namespace: alice.namespace }],
      },
    );
    const run = await waitFor('the CI ServiceAccount to back up with the CLI', async () => {
      const r = await skiff([
        ...['tenant', 'backup', 'create', 'from-ci', '-n', alice.namespace, '--wait'],
        ...['--kubeconfig', ci.kubeconfig],
      ]);
      // RBAC caches the new binding for a moment: a 403 is retried, anything else is the answer.
      return /you \(system:serviceaccount/.test(r.stderr) ? undefined : r;
    });
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    const done = await waitForTenantOutcome(admin, TB, alice.namespace, 'from-ci');
    const spec = done.spec as { requester: { username: string; uid?: string } };
    assert.equal(spec.requester.username, `system:serviceaccount:${alice.namespace}:ci`);
    assert.equal(spec.requester.uid, ci.uid);
    assert.equal((done.status as { phase?: string }).phase, 'Completed', JSON.stringify(done.status));
  });

  test("alice's own TenantStorageLocation: refused until an admin approves its spec hash, then used under tenants/<UID>/ of its prefix", async () => {
    const env = loadTestEnv();
    await admin.create(core('secrets'), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'own-bucket', namespace: alice.namespace },
      stringData: {
        cloud: `[default]\naws_access_key_id=${env.s3.accessKeyId}\naws_secret_access_key=${env.s3.secretAccessKey}\n`,
      },
    });
    const prefix = uniqueName('alice-own');
    const spec: Record<string, unknown> = {
      ...s3LocationSpec(prefix),
      credential: { name: 'own-bucket', key: 'cloud' },
    };
    const tsl = tenantResource(TenantKinds.TenantStorageLocation);
    await admin.create(tsl, {
      apiVersion: 'tenant.skiff.dev/v1alpha1',
      kind: 'TenantStorageLocation',
      metadata: { name: 'own', namespace: alice.namespace },
      spec,
    });
    await createTenantBackup(alice, 'unapproved', { storageLocation: 'own' });
    const refused = await waitForTenantOutcome(admin, TB, alice.namespace, 'unapproved');
    assert.equal((refused.status as { phase?: string }).phase, 'FailedValidation');
    assert.match(
      JSON.stringify(refused.status),
      /spec.storageLocation: TenantStorageLocation \S+\/own is not approved as it is now/,
    );

    const approval = `${alice.namespace}-own`;
    await admin.create(tenantResource(TenantKinds.StorageApproval), {
      apiVersion: 'tenant.skiff.dev/v1alpha1',
      kind: 'StorageApproval',
      metadata: { name: approval },
      spec: { location: { namespace: alice.namespace, name: 'own' }, specHash: locationSpecHash(spec) },
    });
    try {
      await createTenantBackup(alice, 'to-own', { storageLocation: 'own' });
      const done = await waitForTenantOutcome(admin, TB, alice.namespace, 'to-own');
      assert.equal((done.status as { phase?: string }).phase, 'Completed', JSON.stringify(done.status));
      const own = await storeAtPrefix(server, tenantPrefix(prefix, alice.uid));
      const backupName = `tenant-${done.metadata.uid ?? ''}`;
      assert.ok(await own.backupExists(backupName), 'the backup is under tenants/<UID>/ of the location prefix');
      assert.ok(await own.getBackupFile(backupName, 'tenantSeal'), 'and sealed');

      // An edit of the spec needs approval again: the next backup is refused.
      await admin.patch(tsl, { name: 'own', namespace: alice.namespace }, 'merge', {
        spec: { config: { ...(spec.config as Record<string, string>), region: 'elsewhere' } },
      });
      await createTenantBackup(alice, 'after-edit', { storageLocation: 'own' });
      const again = await waitForTenantOutcome(admin, TB, alice.namespace, 'after-edit');
      assert.equal((again.status as { phase?: string }).phase, 'FailedValidation');
      assert.match(JSON.stringify(again.status), /is not approved as it is now/);
    } finally {
      await admin.delete(tenantResource(TenantKinds.StorageApproval), approval);
    }
  });

  test("sync brings back a tenant backup's Backup whose seal holds; one planted under alice's prefix from bob's is refused", async () => {
    const BACKUPS = resourceRef(Kinds.Backup);
    await createTenantBackup(bob, 'bobs');
    const bobs = await waitForTenantOutcome(admin, TB, bob.namespace, 'bobs');
    assert.equal((bobs.status as { phase?: string }).phase, 'Completed', JSON.stringify(bobs.status));
    await createTenantBackup(alice, 'synced');
    const mine = await waitForTenantOutcome(admin, TB, alice.namespace, 'synced');
    const mineName = `tenant-${mine.metadata.uid ?? ''}`;

    // bob's backup, files and seal, copied under alice's prefix with a fresh name.
    const from = `tenant-${bobs.metadata.uid ?? ''}`;
    const planted = uniqueName('tenant-planted');
    const bobStore = await tenantStore(bob);
    const aliceStore = await tenantStore(alice);
    const dir = bobStore.layout.backupDir(from);
    for (const key of await collect(bobStore.objectStore.listObjects(dir))) {
      const file = key.slice(dir.length).replace(from, planted);
      const body = await readAll(await bobStore.objectStore.getObject(key));
      await aliceStore.objectStore.putObject(`${aliceStore.layout.backupDir(planted)}${file}`, body);
    }

    // alice's own Backup object is lost; the next sync of her location brings it back.
    await admin.delete(BACKUPS, mineName, server.namespace);
    const back = await waitFor('the sync to bring alice’s Backup back', () =>
      admin.find(BACKUPS, mineName, server.namespace),
    );
    assert.equal(back.metadata.labels?.[TenantLabels.namespaceUid], alice.uid);
    // The same sync looked at the planted one and refused it.
    assert.equal(await admin.find(BACKUPS, planted, server.namespace), undefined);
    await waitFor('another sync', async () => {
      await new Promise((r) => setTimeout(r, 2_500));
      return true;
    });
    assert.equal(await admin.find(BACKUPS, planted, server.namespace), undefined, 'the planted backup is not synced');
  });

  test('alice creates a TenantSchedule with the CLI: it makes TenantBackups requested by her', async () => {
    const run = await skiff([
      ...['tenant', 'schedule', 'create', 'often', '-n', alice.namespace, '--schedule', '@every 5s', '--ttl', '1h'],
      ...['--kubeconfig', alice.kubeconfig ?? ''],
    ]);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    const made = await waitFor(
      'the schedule to create a TenantBackup',
      async () => {
        for await (const tb of admin.list(TB, {
          namespace: alice.namespace,
          labelSelector: `${TenantLabels.schedule}=often`,
        }))
          return tb;
        return undefined;
      },
      120_000,
    );
    assert.deepEqual((made.spec as { requester: unknown }).requester, { username: 'alice', groups: alice.user.groups });
    assert.equal((made.spec as { ttl?: string }).ttl, '1h');
    const done = await waitForTenantOutcome(admin, TB, alice.namespace, made.metadata.name ?? '');
    assert.equal((done.status as { phase?: string }).phase, 'Completed', JSON.stringify(done.status));
    const deleted = await skiff([
      ...['tenant', 'schedule', 'delete', 'often', '-n', alice.namespace, '--confirm'],
      ...['--kubeconfig', alice.kubeconfig ?? ''],
    ]);
    assert.equal(deleted.code, 0, `${deleted.stdout}\n${deleted.stderr}`);
  });
});
