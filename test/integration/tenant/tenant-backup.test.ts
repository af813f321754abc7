// exclusive-test: every `skiff server` process another file starts runs tenant operations too (its default), and would race this file's server for the same TenantBackups
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { KubeApiError, type KubeObject } from '../../../src/kube/index.ts';
import { collect, readAll } from '../../../src/storage/object-store.ts';
import { tenantPrefix } from '../../../src/storage/index.ts';
import { TenantTypes } from '../../../src/tenant/exec/resources.ts';
import { adminCluster, core, waitFor } from '../../helpers/cluster.ts';
import { startTestServer, storeAtPrefix, type TestServer } from '../../helpers/skiff-server.ts';
import {
  createTenant,
  createTenantBackup,
  createTenantPolicy,
  ensureTenantKinds,
  waitForTenantOutcome,
  type TestTenant,
} from '../../helpers/tenant-exec.ts';

const TB = TenantTypes.TenantBackup;

describe('TenantBackup (issue 17 acceptance 1, 11)', () => {
  const admin = adminCluster();
  let server: TestServer;
  let alice: TestTenant;
  let bob: TestTenant;
  let policy: string;

  before(async () => {
    await ensureTenantKinds(admin);
    server = await startTestServer(admin, { tenantOperations: true });
    policy = await createTenantPolicy(admin, 'default');
    alice = await createTenant(admin, policy, 'team-a');
    bob = await createTenant(admin, policy, 'team-b');
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

  test("alice backs up team-a: only team-a's objects, under team-a's UID prefix, sealed, with its digest", async () => {
    await createTenantBackup(alice, 'first');
    const done = await waitForTenantOutcome(admin, TB, alice.namespace, 'first');
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
    await alice.asUser.delete(TB, 'doomed', alice.namespace);
    await waitFor('the TenantBackup to be gone', async () => !(await admin.find(TB, 'doomed', alice.namespace)));
    assert.deepEqual(await collect(store.objectStore.listObjects(dir)), []);
    const kept: KubeObject | undefined = await admin.find(TB, 'first', alice.namespace);
    assert.ok(kept, 'the other backup stays');
  });
});
