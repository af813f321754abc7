// test-lane: tenant — this file's server executes every TenantBackup and TenantRestore in the cluster, so it must not run beside another file's (other files' servers run with tenant operations off)
/**
 * Issue 17 acceptance 9 with native volume snapshots. Skiff takes none and the test cluster has
 * no snapshot provider, so the old tenant backup gets a provider snapshot record planted (and is
 * sealed again with the server's key, as a backup holding one would have been). Adoption hands
 * it over: the adopted backup's list names it, the old backup's list is emptied, and both seals
 * hold, each for its own namespace UID; the emptied record is named on the old Backup.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Kinds, resourceRef } from '../../../src/api/index.ts';
import { tenantPrefix } from '../../../src/storage/index.ts';
import { AdoptionAnnotations } from '../../../src/tenant/exec/adoption.ts';
import { ensureSealKey, sealBackup, verifyBackupSeal } from '../../../src/tenant/exec/seal-store.ts';
import { TenantTypes } from '../../../src/tenant/exec/resources.ts';
import { adminCluster, core, deleteNamespaceAndWait } from '../../helpers/cluster.ts';
import { startTestServer, storeAtPrefix, type TestServer } from '../../helpers/skiff-server.ts';
import { certTenant, createTenantBackup, createTenantPolicy, waitForTenantOutcome } from '../../helpers/tenant-exec.ts';
import { installTenantApi } from '../../helpers/tenant.ts';
import { tenantUser } from '../../helpers/tenant-users.ts';
import { skiff } from '../cli/run-skiff.ts';

const TB = TenantTypes.TenantBackup;
const BACKUPS = resourceRef(Kinds.Backup);

describe('adoption of a backup holding native volume snapshots (issue 17 acceptance 9)', () => {
  const admin = adminCluster();
  const dave = tenantUser('dave');
  let server: TestServer;
  let policy: string;
  const cleanup: string[] = [];

  before(async () => {
    await installTenantApi(admin);
    server = await startTestServer(admin, { tenantOperations: true });
    policy = await createTenantPolicy(admin, 'default');
  });
  after(async () => {
    await server.stop();
    for (const ns of cleanup) await admin.delete(core('namespaces'), ns);
    await admin.delete(TenantTypes.TenantPolicy, policy);
  });

  const tenantStore = (uid: string) => storeAtPrefix(server, tenantPrefix(server.prefix, uid));

  test('the provider snapshots are handed over: the adopted backup lists them, the old one no longer does', async () => {
    const earlier = await certTenant(admin, policy, 'team-n', dave);
    const ns = earlier.namespace;
    cleanup.push(ns);
    await admin.create(core('configmaps'), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings', namespace: ns },
      data: { kept: 'yes' },
    });
    await createTenantBackup(earlier, 'native');
    const done = await waitForTenantOutcome(admin, TB, ns, 'native');
    assert.equal((done.status as { phase?: string }).phase, 'Completed', JSON.stringify(done.status));
    const oldName = `tenant-${done.metadata.uid ?? ''}`;
    const oldStore = await tenantStore(earlier.uid);
    const snapshot = (backupName: string, backupUID: string) => ({
      spec: {
        backupName,
        backupUID,
        location: 'aws-default',
        persistentVolumeName: 'pv-data',
        providerVolumeID: 'vol-0abc',
        volumeType: 'gp3',
        volumeAZ: 'eu-west-1a',
      },
      status: { providerSnapshotID: 'snap-0def', phase: 'Completed' },
    });
    const key = await ensureSealKey(admin, server.namespace);
    await oldStore.putBackupFile(oldName, 'volumeSnapshots', [snapshot(oldName, 'u-old')]);
    await sealBackup(oldStore, oldName, key, earlier.uid);

    await deleteNamespaceAndWait(admin, ns, 300_000);
    const again = await certTenant(admin, policy, 'team-n', dave, { namespace: ns });
    const adopted = await skiff([
      ...['tenant', 'adopt', '-n', ns, '--from-uid', earlier.uid, '--server-namespace', server.namespace, '--wait'],
    ]);
    assert.equal(adopted.code, 0, adopted.stderr);
    const tb = await admin.get(TB, 'native', ns);
    assert.equal((tb.status as { phase?: string }).phase, 'Completed', JSON.stringify(tb.status));
    const newName = `tenant-${tb.metadata.uid ?? ''}`;
    const newStore = await tenantStore(again.uid);

    assert.deepEqual(await newStore.getBackupFile(newName, 'volumeSnapshots'), [snapshot(newName, '')]);
    assert.deepEqual(await oldStore.getBackupFile(oldName, 'volumeSnapshots'), []);
    await verifyBackupSeal(newStore, newName, key, again.uid);
    await verifyBackupSeal(oldStore, oldName, key, earlier.uid);
    const old = await admin.get(BACKUPS, oldName, server.namespace);
    assert.equal(old.metadata.annotations?.[AdoptionAnnotations.handedOverRecords], 'volumeSnapshots');
  });
});
