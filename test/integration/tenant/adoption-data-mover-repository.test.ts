// test-lane: tenant — this file's server executes every TenantBackup and TenantRestore in the cluster, so it must not run beside another file's (other files' servers run with tenant operations off)
/**
 * Issue 17 acceptance 9 with the data mover, adopted into a recreated namespace that already made
 * a data-mover backup of its own (so its kopia repository exists under the new UID): the old
 * backup's DataUpload snapshots are copied into that repository (`kopia snapshot migrate`) under
 * new IDs, which the copy's DataUploads and volume info name. Once the old backup is deleted,
 * dave's restore of the adopted backup brings both claims back through DataDownloads, identical
 * by SHA-256, the namespace's own backup still restores its own bytes, and deleting the adopted
 * backup forgets only the copies.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Kinds, resourceRef, type Backup } from '../../../src/api/index.ts';
import { readBackupArchive } from '../../../src/archive/index.ts';
import { deleteBackupRequestFor } from '../../../src/deletion/delete-request.ts';
import type { Cluster } from '../../../src/kube/index.ts';
import { readAll } from '../../../src/storage/object-store.ts';
import { tenantPrefix, type BackupStore } from '../../../src/storage/index.ts';
import { TenantTypes, tenantLocationName } from '../../../src/tenant/exec/resources.ts';
import { openRepository } from '../../../src/volumes/repository/open.ts';
import { KopiaUploader } from '../../../src/volumes/uploader/index.ts';
import { adminCluster, apps, core, deleteNamespaceAndWait, waitFor } from '../../helpers/cluster.ts';
import { assertMovedDataRestored, writeSmallClaimTrees } from '../../helpers/data-mover.ts';
import { startNodeAgents, useTestUploaderBinaries, type NodeAgents } from '../../helpers/node-agents.ts';
import { startTestServer, storeAtPrefix, type TestServer } from '../../helpers/skiff-server.ts';
import {
  certTenant,
  createTenantBackup,
  createTenantPolicy,
  restoreStatefulSetBackup,
  waitForTenantOutcome,
  type TestTenant,
} from '../../helpers/tenant-exec.ts';
import { installTenantApi } from '../../helpers/tenant.ts';
import { tenantUser } from '../../helpers/tenant-users.ts';
import { loadTestEnv } from '../../helpers/testenv.ts';
import { createClaimStatefulSet, runningPods } from '../../helpers/volume-pods.ts';
import { skiff } from '../cli/run-skiff.ts';

const TB = TenantTypes.TenantBackup;
const BACKUPS = resourceRef(Kinds.Backup);
const CLAIMS = ['data-db-0', 'data-db-1'];

interface MovedInfo {
  pvcName?: string;
  snapshotDataMoved?: boolean;
  snapshotDataMovementInfo?: { storageLocation?: string; snapshotHandle?: string };
}

interface StoredDataUpload {
  spec?: { sourcePVC?: string; backupStorageLocation?: string };
  status?: { snapshotID?: string; dataMoverResult?: Record<string, string> };
}

/** The kopia snapshots a moved-data backup's volume info names, by claim. */
async function movedSnapshots(store: BackupStore, backup: string): Promise<Map<string, string>> {
  const info = (await store.getBackupFile(backup, 'volumeInfo')) as MovedInfo[];
  assert.deepEqual(info.map((i) => [i.pvcName, i.snapshotDataMoved]).sort(), [
    ['data-db-0', true],
    ['data-db-1', true],
  ]);
  return new Map(info.map((i) => [i.pvcName ?? '', i.snapshotDataMovementInfo?.snapshotHandle ?? '']));
}

/** The DataUploads a backup's tarball stores (its preferred version). */
async function storedDataUploads(store: BackupStore, backup: string): Promise<StoredDataUpload[]> {
  const out: StoredDataUpload[] = [];
  for await (const rec of readBackupArchive(await store.getBackupContents(backup))) {
    if (rec.kind === 'item' && rec.parsed.groupResource === 'datauploads.velero.io' && !rec.parsed.version)
      out.push(rec.object);
  }
  return out;
}

/** The StatefulSet, its pods and its claims gone (the namespace stays: its UID is the tenant's). */
async function removeStatefulSet(admin: Cluster, ns: string): Promise<void> {
  await admin.delete(apps('statefulsets'), 'db', ns);
  for (const claim of CLAIMS) await admin.delete(core('persistentvolumeclaims'), claim, ns);
  await waitFor(
    `the StatefulSet's pods and claims in ${ns} to be gone`,
    async () => {
      for (const pod of ['db-0', 'db-1']) if (await admin.find(core('pods'), pod, ns)) return false;
      for (const claim of CLAIMS) if (await admin.find(core('persistentvolumeclaims'), claim, ns)) return false;
      return true;
    },
    300_000,
  );
}

describe('adoption of a data-mover backup into a recreated namespace’s own repository (issue 17 acceptance 9)', () => {
  const admin = adminCluster();
  const dave = tenantUser('dave');
  const { csi } = loadTestEnv();
  let server: TestServer;
  let agents: NodeAgents | undefined;
  let policy: string;
  let binaries: { kopia: string; restic: string };
  const cleanup: string[] = [];
  const scratch = join(tmpdir(), `skiff-adoption-mover-repository-${process.pid}`);

  before(async () => {
    await installTenantApi(admin);
    binaries = useTestUploaderBinaries();
    server = await startTestServer(admin, { tenantOperations: true });
    agents = await startNodeAgents({ namespace: server.namespace });
    policy = await createTenantPolicy(admin, 'default');
  });
  after(async () => {
    await agents?.stop();
    await server.stop();
    for (const ns of cleanup) await admin.delete(core('namespaces'), ns);
    await admin.delete(TenantTypes.TenantPolicy, policy);
    await rm(scratch, { recursive: true, force: true });
  });

  const tenantStore = (uid: string) => storeAtPrefix(server, tenantPrefix(server.prefix, uid));
  const repositoryIDs = async (t: TestTenant): Promise<string[]> => {
    const ctx = { cluster: admin, namespace: server.namespace, workRoot: join(scratch, 'clients'), binaries };
    const repo = await openRepository(ctx, {
      type: 'kopia',
      volumeNamespace: t.namespace,
      location: tenantLocationName(t.uid),
    });
    assert.ok(repo instanceof KopiaUploader);
    return (await repo.listSnapshots()).map((s) => s.id).sort();
  };

  test('the moved snapshots are copied in under new IDs; the adopted and the namespace’s own backups both restore their bytes', async () => {
    const earlier = await certTenant(admin, policy, 'team-mr', dave);
    const ns = earlier.namespace;
    cleanup.push(ns);
    await createClaimStatefulSet(admin, ns, csi.storageClass);
    const oldTrees = await writeSmallClaimTrees(admin, ns, `${ns}/old`);
    await createTenantBackup(earlier, 'moved', { snapshotMoveData: true });
    const done = await waitForTenantOutcome(admin, TB, ns, 'moved', 900_000);
    assert.equal((done.status as { phase?: string }).phase, 'Completed', JSON.stringify(done.status));
    const oldName = `tenant-${done.metadata.uid ?? ''}`;
    const oldSnapshots = await movedSnapshots(await tenantStore(earlier.uid), oldName);

    // The namespace is lost and made again for dave, whose first data-mover backup of the same
    // claims (same kopia sources) creates a repository of its own under the new UID.
    await deleteNamespaceAndWait(admin, ns, 300_000);
    const again = await certTenant(admin, policy, 'team-mr', dave, { namespace: ns });
    assert.notEqual(again.uid, earlier.uid);
    await createClaimStatefulSet(admin, ns, csi.storageClass);
    const ownTrees = await writeSmallClaimTrees(admin, ns, `${ns}/own`);
    await createTenantBackup(again, 'own', { snapshotMoveData: true });
    const ownDone = await waitForTenantOutcome(admin, TB, ns, 'own', 900_000);
    assert.equal((ownDone.status as { phase?: string }).phase, 'Completed', JSON.stringify(ownDone.status));
    const newStore = await tenantStore(again.uid);
    const ownSnapshots = await movedSnapshots(newStore, `tenant-${ownDone.metadata.uid ?? ''}`);
    const markerKey = `${newStore.repositoryPrefix('kopia', ns)}kopia.repository`;
    const markerBefore = await readAll(await newStore.objectStore.getObject(markerKey));

    const adopted = await skiff([
      ...['tenant', 'adopt', '-n', ns, '--from-uid', earlier.uid, '--server-namespace', server.namespace, '--wait'],
    ]);
    assert.equal(adopted.code, 0, adopted.stderr);
    const tb = await admin.get(TB, 'moved', ns);
    assert.equal((tb.status as { phase?: string }).phase, 'Completed', JSON.stringify(tb.status));
    const newName = `tenant-${tb.metadata.uid ?? ''}`;

    // The namespace's repository was kept (same format blob), and the copy names new snapshots in
    // it: its volume info and its stored DataUploads (from which a restore builds DataDownloads).
    assert.deepEqual(await readAll(await newStore.objectStore.getObject(markerKey)), markerBefore);
    const copySnapshots = await movedSnapshots(newStore, newName);
    for (const claim of CLAIMS) {
      const copy = copySnapshots.get(claim) ?? '';
      assert.ok(copy !== '' && copy !== oldSnapshots.get(claim), `${claim}: a copy under a new ID`);
      assert.notEqual(copy, ownSnapshots.get(claim));
    }
    const uploads = await storedDataUploads(newStore, newName);
    assert.deepEqual(
      uploads.map((u) => [u.spec?.sourcePVC, u.spec?.backupStorageLocation, u.status?.snapshotID]).sort(),
      CLAIMS.map((c) => [c, tenantLocationName(again.uid), copySnapshots.get(c)]),
    );
    const held = await repositoryIDs(again);
    const named = uploads.flatMap((u) => [
      u.status?.snapshotID ?? '',
      ...Object.values(u.status?.dataMoverResult ?? {}).filter((id) => !id.startsWith('inline:')),
    ]);
    for (const id of [...named, ...ownSnapshots.values()])
      assert.ok(held.includes(id), `snapshot ${id} is in the repository`);

    // The old backup is deleted (as its expiry would): its snapshots are forgotten in the old
    // repository only.
    const oldBackup = (await admin.get(BACKUPS, oldName, server.namespace)) as Backup;
    await admin.create(resourceRef(Kinds.DeleteBackupRequest), deleteBackupRequestFor(oldBackup));
    await waitFor(
      'the old backup to be deleted',
      async () => (await admin.find(BACKUPS, oldName, server.namespace)) === undefined,
      300_000,
    );

    // dave restores the adopted backup: the claims hold the old namespace's bytes.
    await removeStatefulSet(admin, ns);
    const restored = await restoreStatefulSetBackup(admin, again, 'moved', 900_000);
    assert.equal((restored.status as { phase?: string }).phase, 'Completed', JSON.stringify(restored.status));
    await assertMovedDataRestored(admin, await runningPods(admin, ns, 2), oldTrees);

    // The namespace's own backup still restores its own bytes.
    await removeStatefulSet(admin, ns);
    const ownRestored = await restoreStatefulSetBackup(admin, again, 'own', 900_000, 'back-own');
    assert.equal((ownRestored.status as { phase?: string }).phase, 'Completed', JSON.stringify(ownRestored.status));
    await assertMovedDataRestored(admin, await runningPods(admin, ns, 2), ownTrees);

    // Deleting the adopted backup forgets its copies only: the namespace's own snapshots stay.
    await again.asUser.delete(TB, 'moved', ns);
    await waitFor('the adopted TenantBackup to be gone', async () => !(await admin.find(TB, 'moved', ns)), 300_000);
    const left = await repositoryIDs(again);
    for (const id of named) assert.ok(!left.includes(id), `the copy ${id} is forgotten`);
    for (const id of ownSnapshots.values()) assert.ok(left.includes(id), `the namespace's own ${id} stays`);
  });
});
