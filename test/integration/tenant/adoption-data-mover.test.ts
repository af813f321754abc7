// test-lane: tenant — this file's server executes every TenantBackup and TenantRestore in the cluster, so it must not run beside another file's (other files' servers run with tenant operations off)
/**
 * Issue 17 acceptance 9 with the data mover: a tenant backup whose claims' snapshot data was
 * moved into the bucket (`snapshotMoveData`) is adopted into the recreated namespace. The
 * data mover's kopia repository comes along under the new namespace UID's prefix, so once the
 * old backup is deleted (its own repository's snapshots forgotten), dave's restore from the
 * adopted backup still brings both claims back through DataDownloads, identical by SHA-256.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Kinds, resourceRef, type Backup } from '../../../src/api/index.ts';
import { deleteBackupRequestFor } from '../../../src/deletion/delete-request.ts';
import { tenantPrefix } from '../../../src/storage/index.ts';
import { TenantTypes } from '../../../src/tenant/exec/resources.ts';
import { adminCluster, core, deleteNamespaceAndWait, waitFor } from '../../helpers/cluster.ts';
import { assertMovedDataRestored, writeSmallClaimTrees } from '../../helpers/data-mover.ts';
import { startNodeAgents, useTestUploaderBinaries, type NodeAgents } from '../../helpers/node-agents.ts';
import { startTestServer, storeAtPrefix, type TestServer } from '../../helpers/skiff-server.ts';
import {
  certTenant,
  createTenantBackup,
  createTenantPolicy,
  restoreStatefulSetBackup,
  waitForTenantOutcome,
} from '../../helpers/tenant-exec.ts';
import { installTenantApi } from '../../helpers/tenant.ts';
import { tenantUser } from '../../helpers/tenant-users.ts';
import { loadTestEnv } from '../../helpers/testenv.ts';
import { createClaimStatefulSet, runningPods } from '../../helpers/volume-pods.ts';
import { skiff } from '../cli/run-skiff.ts';

const TB = TenantTypes.TenantBackup;
const BACKUPS = resourceRef(Kinds.Backup);

interface MovedInfo {
  pvcName?: string;
  snapshotDataMoved?: boolean;
  snapshotDataMovementInfo?: { storageLocation?: string };
}

describe('adoption of a backup holding data-mover uploads (issue 17 acceptance 9)', () => {
  const admin = adminCluster();
  const dave = tenantUser('dave');
  const { csi } = loadTestEnv();
  let server: TestServer;
  let agents: NodeAgents | undefined;
  let policy: string;
  const cleanup: string[] = [];

  before(async () => {
    await installTenantApi(admin);
    useTestUploaderBinaries();
    server = await startTestServer(admin, { tenantOperations: true });
    agents = await startNodeAgents({ namespace: server.namespace });
    policy = await createTenantPolicy(admin, 'default');
  });
  after(async () => {
    await agents?.stop();
    await server.stop();
    for (const ns of cleanup) await admin.delete(core('namespaces'), ns);
    await admin.delete(TenantTypes.TenantPolicy, policy);
  });

  const tenantStore = (uid: string) => storeAtPrefix(server, tenantPrefix(server.prefix, uid));

  test('the moved data comes along: deleting the old backup leaves the adopted one restorable, same bytes', async () => {
    const earlier = await certTenant(admin, policy, 'team-m', dave);
    const ns = earlier.namespace;
    cleanup.push(ns);
    await createClaimStatefulSet(admin, ns, csi.storageClass);
    const trees = await writeSmallClaimTrees(admin, ns);
    await createTenantBackup(earlier, 'moved', { snapshotMoveData: true });
    const done = await waitForTenantOutcome(admin, TB, ns, 'moved', 900_000);
    assert.equal((done.status as { phase?: string }).phase, 'Completed', JSON.stringify(done.status));
    const oldName = `tenant-${done.metadata.uid ?? ''}`;
    const oldStore = await tenantStore(earlier.uid);
    const oldInfo = (await oldStore.getBackupFile(oldName, 'volumeInfo')) as MovedInfo[];
    assert.deepEqual(oldInfo.map((i) => [i.pvcName, i.snapshotDataMoved]).sort(), [
      ['data-db-0', true],
      ['data-db-1', true],
    ]);
    const oldLocation = oldInfo[0]?.snapshotDataMovementInfo?.storageLocation ?? '';

    await deleteNamespaceAndWait(admin, ns, 300_000);
    const again = await certTenant(admin, policy, 'team-m', dave, { namespace: ns });
    assert.notEqual(again.uid, earlier.uid);

    const adopted = await skiff([
      ...['tenant', 'adopt', '-n', ns, '--from-uid', earlier.uid, '--server-namespace', server.namespace, '--wait'],
    ]);
    assert.equal(adopted.code, 0, adopted.stderr);
    const tb = await admin.get(TB, 'moved', ns);
    assert.equal((tb.status as { phase?: string }).phase, 'Completed', JSON.stringify(tb.status));
    const newName = `tenant-${tb.metadata.uid ?? ''}`;
    const newStore = await tenantStore(again.uid);
    // The data mover's repository is under the new UID's prefix, and the records point at it.
    assert.ok(await newStore.objectStore.objectExists(`${newStore.repositoryPrefix('kopia', ns)}kopia.repository`));
    const newInfo = (await newStore.getBackupFile(newName, 'volumeInfo')) as MovedInfo[];
    const newLocation = (await admin.get(BACKUPS, newName, server.namespace)) as Backup;
    assert.notEqual(newLocation.spec.storageLocation, oldLocation);
    assert.deepEqual(
      newInfo.map((i) => i.snapshotDataMovementInfo?.storageLocation),
      [newLocation.spec.storageLocation, newLocation.spec.storageLocation],
    );

    // The old backup is deleted (as its expiry would): its DataUploads' snapshots are forgotten
    // in the old repository, which the adopted backup no longer needs.
    const oldBackup = (await admin.get(BACKUPS, oldName, server.namespace)) as Backup;
    await admin.create(resourceRef(Kinds.DeleteBackupRequest), deleteBackupRequestFor(oldBackup));
    await waitFor(
      'the old backup to be deleted',
      async () => (await admin.find(BACKUPS, oldName, server.namespace)) === undefined,
      300_000,
    );

    const restored = await restoreStatefulSetBackup(admin, again, 'moved', 900_000);
    assert.equal((restored.status as { phase?: string }).phase, 'Completed', JSON.stringify(restored.status));
    await assertMovedDataRestored(admin, await runningPods(admin, ns, 2), trees);
  });
});
