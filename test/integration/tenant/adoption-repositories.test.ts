// test-lane: tenant — this file's server executes every TenantBackup and TenantRestore in the cluster, so it must not run beside another file's (other files' servers run with tenant operations off)
/**
 * Issue 17 acceptance 9 with restic and kopia file-system backups, adopted into a recreated namespace that
 * already made a file-system backup of its own (the likely case: a schedule ran before the admin
 * adopted). The adopted backup's snapshots are copied into the namespace's existing repository
 * (`restic copy`, `kopia snapshot migrate`) under new IDs, which the copy's records name; dave's restore brings back the
 * same bytes, the namespace's own backup still restores, and deleting the adopted backup forgets
 * only its copies, leaving the old repository as it was.
 */
import assert from 'node:assert/strict';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { PodVolumeBackup } from '../../../src/api/index.ts';
import { readAll } from '../../../src/storage/object-store.ts';
import { tenantPrefix } from '../../../src/storage/index.ts';
import { TenantTypes, tenantLocationName } from '../../../src/tenant/exec/resources.ts';
import { openRepository } from '../../../src/volumes/repository/open.ts';
import { DIR_TIMES_ANNOTATION } from '../../../src/volumes/dir-times/record.ts';
import { isInlineDirTimes } from '../../../src/volumes/dir-times/inline.ts';
import { KopiaUploader, ResticUploader, type Uploader } from '../../../src/volumes/uploader/index.ts';
import { repositoryMarker } from '../../../src/tenant/exec/adoption-volumes.ts';
import { adminCluster, core, deleteNamespaceAndWait, waitFor } from '../../helpers/cluster.ts';
import { digestTree, makeRichTree, treeSum, type TreeEntry } from '../../helpers/file-tree.ts';
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
import { claimDataDir, createClaimStatefulSet, createVolumePod, runningPods } from '../../helpers/volume-pods.ts';
import { skiff } from '../cli/run-skiff.ts';

const TB = TenantTypes.TenantBackup;

/** The IDs of the snapshots a repository holds. */
async function listIDs(repo: Uploader): Promise<string[]> {
  if (repo instanceof ResticUploader || repo instanceof KopiaUploader) {
    return (await repo.listSnapshots()).map((s) => s.id).sort();
  }
  throw new Error(`no listing for ${repo.type}`);
}

const snapshotIDs = (records: PodVolumeBackup[]): string[] =>
  records.flatMap((r) => (r.status?.snapshotID ? [r.status.snapshotID] : [])).sort();

/** The records' snapshots in their repository: data, and kopia's directory times unless inline. */
const repositoryIDs = (records: PodVolumeBackup[]): string[] =>
  [
    ...snapshotIDs(records),
    ...records.flatMap((r) => {
      const times = r.metadata.annotations?.[DIR_TIMES_ANNOTATION];
      return times && !isInlineDirTimes(times) ? [times] : [];
    }),
  ].sort();

for (const type of ['restic', 'kopia'] as const)
  describe(`adoption of ${type} backups into a recreated namespace’s own repository (issue 17 acceptance 9)`, () => {
    const admin = adminCluster();
    const dave = tenantUser('dave');
    let server: TestServer;
    let policy: string;
    let agents: NodeAgents | undefined;
    let binaries: { kopia: string; restic: string };
    const cleanup: string[] = [];
    const scratch = join(tmpdir(), `skiff-adoption-repositories-${type}-${process.pid}`);

    before(async () => {
      await installTenantApi(admin);
      binaries = useTestUploaderBinaries();
      server = await startTestServer(admin, { tenantOperations: true, uploaderType: type });
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
    const repositoryOf = (t: TestTenant): Promise<Uploader> => {
      const ctx = { cluster: admin, namespace: server.namespace, workRoot: join(scratch, 'clients'), binaries };
      return openRepository(ctx, { type, volumeNamespace: t.namespace, location: tenantLocationName(t.uid) });
    };

    test('the snapshots are copied in under new IDs; both backups restore the same bytes; deleting the adopted one forgets only its copies', async () => {
      const earlier = await certTenant(admin, policy, `team-${type}`, dave);
      const ns = earlier.namespace;
      cleanup.push(ns);
      await createClaimStatefulSet(admin, ns, 'node-local');
      const trees = new Map<string, TreeEntry[]>();
      const dirsBefore: string[] = [];
      for (const pod of await runningPods(admin, ns, 2)) {
        const dir = await claimDataDir(admin, pod);
        await makeRichTree(dir, { largeBytes: 4 * 1024 * 1024 });
        trees.set(pod.metadata.name ?? '', await digestTree(dir));
        dirsBefore.push(dir);
      }
      await createTenantBackup(earlier, 'old-data', { defaultVolumesToFsBackup: true });
      const done = await waitForTenantOutcome(admin, TB, ns, 'old-data', 600_000);
      assert.equal((done.status as { phase?: string }).phase, 'Completed', JSON.stringify(done.status));
      const oldName = `tenant-${done.metadata.uid ?? ''}`;
      const oldStore = await tenantStore(earlier.uid);
      const oldRecords = (await oldStore.getBackupFile(oldName, 'podVolumeBackups')) as PodVolumeBackup[];
      assert.deepEqual(
        oldRecords.map((r) => r.spec.uploaderType),
        [type, type],
      );
      const oldIDs = snapshotIDs(oldRecords);
      assert.equal(oldIDs.length, 2, 'both claims were backed up');

      // The namespace and its data are lost; made again for dave, whose first file-system backup
      // (before any admin adopts) creates a repository of its own under the new UID.
      await deleteNamespaceAndWait(admin, ns);
      for (const d of dirsBefore) await rm(d, { recursive: true, force: true });
      const again = await certTenant(admin, policy, `team-${type}`, dave, { namespace: ns });
      const own = await createVolumePod(admin, ns, 'own', { emptyDirs: ['scratch'] });
      const ownDir = await own.volumeDir('scratch');
      await makeRichTree(ownDir, { largeBytes: 1024 * 1024 });
      const ownTree = await digestTree(ownDir);
      await createTenantBackup(again, 'own', { defaultVolumesToFsBackup: true });
      const ownDone = await waitForTenantOutcome(admin, TB, ns, 'own', 600_000);
      assert.equal((ownDone.status as { phase?: string }).phase, 'Completed', JSON.stringify(ownDone.status));
      const newStore = await tenantStore(again.uid);
      const ownRecords = (await newStore.getBackupFile(
        `tenant-${ownDone.metadata.uid ?? ''}`,
        'podVolumeBackups',
      )) as PodVolumeBackup[];
      const ownIDs = snapshotIDs(ownRecords);
      assert.equal(ownIDs.length, 1);
      const configKey = `${newStore.repositoryPrefix(type, ns)}${repositoryMarker(type)}`;
      const configBefore = await readAll(await newStore.objectStore.getObject(configKey));

      const adopted = await skiff([
        ...['tenant', 'adopt', '-n', ns, '--from-uid', earlier.uid, '--server-namespace', server.namespace, '--wait'],
      ]);
      assert.equal(adopted.code, 0, adopted.stderr);

      // The copy's records name new snapshots of the new location's repository, which is still
      // the namespace's own (its config unchanged) and now holds both backups' snapshots.
      const tb = await admin.get(TB, 'old-data', ns);
      const newName = `tenant-${tb.metadata.uid ?? ''}`;
      const records = (await newStore.getBackupFile(newName, 'podVolumeBackups')) as PodVolumeBackup[];
      const copyIDs = snapshotIDs(records);
      assert.equal(copyIDs.length, 2);
      assert.deepEqual(
        copyIDs.filter((id) => oldIDs.includes(id)),
        [],
        'restic copy and kopia snapshot migrate give the copies new IDs',
      );
      assert.deepEqual(
        records.map((r) => [r.metadata.labels?.['velero.io/backup-name'], r.spec.backupStorageLocation]),
        records.map(() => [newName, tenantLocationName(again.uid)]),
      );
      if (type === 'restic') {
        assert.ok(records.every((r) => r.spec.repoIdentifier?.endsWith(`${again.uid}/restic/${ns}`)));
      }
      const configAfter = await readAll(await newStore.objectStore.getObject(configKey));
      assert.deepEqual(configAfter, configBefore, 'the repository was not replaced');
      const newRepository = await repositoryOf(again);
      // kopia's copies of nothing else: it migrated the whole source, and the rest was deleted again.
      assert.deepEqual(await listIDs(newRepository), [...repositoryIDs(ownRecords), ...repositoryIDs(records)].sort());

      // dave restores the adopted backup into the recreated namespace: the claims hold the same files.
      const restored = await restoreStatefulSetBackup(admin, again, 'old-data', 600_000);
      assert.equal((restored.status as { phase?: string }).phase, 'Completed', JSON.stringify(restored.status));
      const dbPods = (await runningPods(admin, ns, 3)).filter((p) => p.metadata.name !== 'own');
      assert.equal(dbPods.length, 2);
      for (const pod of dbPods) {
        const want = trees.get(pod.metadata.name ?? '') ?? [];
        const got = await digestTree(await claimDataDir(admin, pod), { skipVelero: true });
        assert.deepEqual(got, want, `${pod.metadata.name ?? ''}'s restored claim`);
        assert.equal(treeSum(got), treeSum(want), `SHA-256 of ${pod.metadata.name ?? ''}'s restored claim`);
      }

      // Deleting the adopted backup forgets its copies only; the namespace's own backup still
      // restores the same bytes, and the old repository still holds the old snapshots.
      await again.asUser.delete(TB, 'old-data', ns);
      await waitFor('the adopted TenantBackup to be gone', async () => !(await admin.find(TB, 'old-data', ns)));
      assert.deepEqual(await listIDs(newRepository), repositoryIDs(ownRecords));
      const ownRestore = join(scratch, 'own');
      await mkdir(ownRestore, { recursive: true });
      const ownTimes = ownRecords[0]?.metadata.annotations?.[DIR_TIMES_ANNOTATION];
      await newRepository.restore(ownIDs[0] ?? '', ownRestore, ownTimes ? { dirTimesSnapshotID: ownTimes } : {});
      const gotOwn = await digestTree(ownRestore);
      assert.deepEqual(gotOwn, ownTree);
      assert.equal(treeSum(gotOwn), treeSum(ownTree), 'SHA-256 of the namespace’s own backup');
      assert.deepEqual(await listIDs(await repositoryOf(earlier)), repositoryIDs(oldRecords));
    });
  });
