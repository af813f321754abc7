// test-lane: tenant — this file's server executes every TenantBackup and TenantRestore in the cluster, so it must not run beside another file's (other files' servers run with tenant operations off)
/**
 * Issue 17 acceptance 9: team-a deleted and recreated (a new UID) for dave, a certificate user.
 * The old backups stay under `tenants/<old UID>/` and are invisible to him until an admin adopts
 * them with `skiff tenant adopt`; the server copies each under the new UID and seals it for it,
 * and refuses one whose old seal no longer holds. A tenant cannot adopt by himself.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { rm } from 'node:fs/promises';
import { Kinds, resourceRef, type PodVolumeBackup } from '../../../src/api/index.ts';
import type { KubeObject } from '../../../src/kube/index.ts';
import { collect } from '../../../src/storage/object-store.ts';
import { tenantPrefix } from '../../../src/storage/index.ts';
import { AdoptionAnnotations } from '../../../src/tenant/exec/adoption.ts';
import { ensureSealKey, sealBackup } from '../../../src/tenant/exec/seal-store.ts';
import { TenantLabels, TenantTypes, tenantLocationName } from '../../../src/tenant/exec/resources.ts';
import { adminCluster, core, deleteNamespaceAndWait, waitFor } from '../../helpers/cluster.ts';
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
import { skiff } from '../cli/run-skiff.ts';
import { digestTree, makeRichTree, treeSum, type TreeEntry } from '../../helpers/file-tree.ts';
import { startNodeAgents, useTestUploaderBinaries, type NodeAgents } from '../../helpers/node-agents.ts';
import { claimDataDir, createClaimStatefulSet, runningPods } from '../../helpers/volume-pods.ts';

const TB = TenantTypes.TenantBackup;
const TR = TenantTypes.TenantRestore;
const BACKUPS = resourceRef(Kinds.Backup);

describe('adoption of a recreated namespace’s backups (issue 17 acceptance 9)', () => {
  const admin = adminCluster();
  const dave = tenantUser('dave');
  let server: TestServer;
  let policy: string;
  let before1: TestTenant;
  let now: TestTenant;
  let agents: NodeAgents | undefined;
  const cleanup: string[] = [];

  before(async () => {
    await installTenantApi(admin);
    useTestUploaderBinaries();
    server = await startTestServer(admin, { tenantOperations: true });
    agents = await startNodeAgents({ namespace: server.namespace });
    policy = await createTenantPolicy(admin, 'default');
    before1 = await certTenant(admin, policy, 'team-a', dave);
    cleanup.push(before1.namespace);
  });
  after(async () => {
    await agents?.stop();
    await server.stop();
    for (const ns of cleanup) await admin.delete(core('namespaces'), ns);
    await admin.delete(TenantTypes.TenantPolicy, policy);
  });

  const tenantStore = (uid: string) => storeAtPrefix(server, tenantPrefix(server.prefix, uid));

  test('old backups are invisible until an admin adopts them; adopted ones are re-sealed under the new UID and restore', async () => {
    const ns = before1.namespace;
    await admin.create(core('configmaps'), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings', namespace: ns },
      data: { kept: 'yes' },
    });
    const veleroNames: Record<string, string> = {};
    for (const name of ['kept', 'edited', 'with-volumes']) {
      await createTenantBackup(before1, name);
      const done = await waitForTenantOutcome(admin, TB, ns, name);
      assert.equal((done.status as { phase?: string }).phase, 'Completed', JSON.stringify(done.status));
      veleroNames[name] = `tenant-${done.metadata.uid ?? ''}`;
    }

    await deleteNamespaceAndWait(admin, ns);
    now = await certTenant(admin, policy, 'team-a', dave, { namespace: ns });
    assert.notEqual(now.uid, before1.uid);

    // dave sees nothing of the old namespace's backups, and cannot adopt one himself.
    assert.deepEqual(await listNames(now), []);
    await now.asUser.create(TB, {
      apiVersion: 'tenant.skiff.dev/v1alpha1',
      kind: 'TenantBackup',
      metadata: {
        name: 'self-adopted',
        namespace: ns,
        annotations: { [AdoptionAnnotations.adoptedFrom]: veleroNames.kept ?? '' },
      },
      spec: { requester: now.user },
    });
    const forged = await waitForTenantOutcome(admin, TB, ns, 'self-adopted');
    assert.equal((forged.status as { phase?: string }).phase, 'FailedValidation');
    assert.match(JSON.stringify(forged.status), /no admin has approved adopting/);
    const oldStore = await tenantStore(before1.uid);
    assert.ok(await oldStore.backupExists(veleroNames.kept ?? ''), 'the old backup is untouched');

    // A tarball edited in the bucket while the namespace was gone is not adopted.
    await oldStore.putBackupContents(veleroNames.edited ?? '', Buffer.from('not what was sealed'));
    // A backup naming a data-mover upload whose data is nowhere in the old location (its tarball
    // holds no DataUpload saying where): adoption cannot bring it along. (The record is written
    // here as the backup's finalizer would, and sealed again as the server would: the seal covers
    // the volume records.)
    await oldStore.putBackupFile(veleroNames['with-volumes'] ?? '', 'volumeInfo', [
      {
        pvcName: 'data',
        pvcNamespace: ns,
        backupMethod: 'CSISnapshot',
        snapshotDataMoved: true,
        csiSnapshotInfo: { snapshotHandle: 'h-1', driver: 'hostpath.csi.skiff.dev', vscName: 'snapcontent-1' },
      },
    ]);
    await sealBackup(
      oldStore,
      veleroNames['with-volumes'] ?? '',
      await ensureSealKey(admin, server.namespace),
      before1.uid,
    );

    const adopted = await skiff([
      ...['tenant', 'adopt', '-n', ns, '--from-uid', before1.uid, '--server-namespace', server.namespace, '--wait'],
    ]);
    assert.notEqual(adopted.code, 0, 'one backup could not be adopted');
    assert.match(adopted.stderr, /tarball was changed/, adopted.stderr);

    const kept = await waitForTenantOutcome(admin, TB, ns, 'kept');
    const status = kept.status as { phase?: string; contentDigest?: string };
    assert.equal(status.phase, 'Completed', JSON.stringify(status));
    assert.match(status.contentDigest ?? '', /^[0-9a-f]{64}$/);
    const edited = await waitForTenantOutcome(admin, TB, ns, 'edited');
    assert.equal((edited.status as { phase?: string }).phase, 'Failed');
    const withVolumes = await waitForTenantOutcome(admin, TB, ns, 'with-volumes');
    assert.equal((withVolumes.status as { phase?: string }).phase, 'Failed');
    assert.match(
      String((withVolumes.status as { failureReason?: string }).failureReason),
      /holds volume data adoption cannot carry over: the data-mover upload of claim [^ ]+\/data, whose data is not in a repository of the old backup's location/,
    );

    // Ownership is the index's: the copy is a Backup of the new UID, stored and sealed under its prefix.
    const copyName = `tenant-${kept.metadata.uid ?? ''}`;
    const copy = await admin.get(BACKUPS, copyName, server.namespace);
    assert.equal(copy.metadata.labels?.[TenantLabels.namespaceUid], now.uid);
    const newStore = await tenantStore(now.uid);
    assert.ok(await newStore.getBackupFile(copyName, 'tenantSeal'), 'the copy is sealed');
    assert.deepEqual(await newStore.listBackups(), [copyName]);
    const oldIndex = await admin.get(BACKUPS, veleroNames.kept ?? '', server.namespace);
    assert.equal(oldIndex.metadata.annotations?.[AdoptionAnnotations.adoptedAs], kept.metadata.uid);

    // dave restores the adopted backup into the recreated namespace.
    await now.asUser.create(TR, {
      apiVersion: 'tenant.skiff.dev/v1alpha1',
      kind: 'TenantRestore',
      metadata: { name: 'back', namespace: ns },
      spec: { requester: now.user, backupRef: { namespace: ns, name: 'kept' } },
    });
    const restored = await waitForTenantOutcome(admin, TR, ns, 'back');
    assert.equal((restored.status as { phase?: string }).phase, 'Completed', JSON.stringify(restored.status));
    const cm = await admin.get(core('configmaps'), 'settings', ns);
    assert.deepEqual(cm.data, { kept: 'yes' });

    // Deleting the adopted backup deletes the copy, not the old one.
    await now.asUser.delete(TB, 'kept', ns);
    await waitForGone(now, 'kept');
    assert.deepEqual(await collect(newStore.objectStore.listObjects(newStore.layout.backupDir(copyName))), []);
  });

  test('a file-system backup is adopted with its volume data: dave’s restore brings back the same bytes', async () => {
    const earlier = await certTenant(admin, policy, 'team-v', dave);
    const ns = earlier.namespace;
    cleanup.push(ns);
    await createClaimStatefulSet(admin, ns, 'node-local');
    const pods = await runningPods(admin, ns, 2);
    const trees = new Map<string, TreeEntry[]>();
    const dirsBefore: string[] = [];
    for (const pod of pods) {
      const dir = await claimDataDir(admin, pod);
      await makeRichTree(dir, { largeBytes: 8 * 1024 * 1024 });
      trees.set(pod.metadata.name ?? '', await digestTree(dir));
      dirsBefore.push(dir);
    }
    await createTenantBackup(earlier, 'with-data', { defaultVolumesToFsBackup: true });
    const done = await waitForTenantOutcome(admin, TB, ns, 'with-data', 600_000);
    assert.equal((done.status as { phase?: string }).phase, 'Completed', JSON.stringify(done.status));
    const oldName = `tenant-${done.metadata.uid ?? ''}`;
    const oldStore = await tenantStore(earlier.uid);
    const oldRecords = (await oldStore.getBackupFile(oldName, 'podVolumeBackups')) as PodVolumeBackup[];
    assert.equal(oldRecords.filter((r) => r.status?.snapshotID).length, 2, 'both claims were backed up');

    // The namespace and its data are lost; the namespace is made again for dave.
    await deleteNamespaceAndWait(admin, ns);
    for (const d of dirsBefore) await rm(d, { recursive: true, force: true });
    const again = await certTenant(admin, policy, 'team-v', dave, { namespace: ns });
    assert.notEqual(again.uid, earlier.uid);

    const adopted = await skiff([
      ...['tenant', 'adopt', '-n', ns, '--from-uid', earlier.uid, '--server-namespace', server.namespace, '--wait'],
    ]);
    assert.equal(adopted.code, 0, adopted.stderr);

    // The copy's volume records name the new backup and the new UID's location, whose
    // repository now holds the snapshots; the old repository is left as it was.
    const tb = await admin.get(TB, 'with-data', ns);
    const newName = `tenant-${tb.metadata.uid ?? ''}`;
    const newStore = await tenantStore(again.uid);
    const records = (await newStore.getBackupFile(newName, 'podVolumeBackups')) as PodVolumeBackup[];
    assert.deepEqual(
      records.map((r) => [r.metadata.labels?.['velero.io/backup-name'], r.spec.backupStorageLocation]),
      records.map(() => [newName, tenantLocationName(again.uid)]),
    );
    assert.deepEqual(
      records.map((r) => r.status?.snapshotID).sort(),
      oldRecords.map((r) => r.status?.snapshotID).sort(),
    );
    assert.ok(await newStore.objectStore.objectExists(`${newStore.repositoryPrefix('kopia', ns)}kopia.repository`));
    assert.ok(await oldStore.objectStore.objectExists(`${oldStore.repositoryPrefix('kopia', ns)}kopia.repository`));

    // dave restores it into the recreated namespace: the claims hold the same files.
    const restored = await restoreStatefulSetBackup(admin, again, 'with-data', 600_000);
    assert.equal((restored.status as { phase?: string }).phase, 'Completed', JSON.stringify(restored.status));
    for (const pod of await runningPods(admin, ns, 2)) {
      const want = trees.get(pod.metadata.name ?? '') ?? [];
      const got = await digestTree(await claimDataDir(admin, pod), { skipVelero: true });
      assert.deepEqual(got, want, `${pod.metadata.name ?? ''}'s restored claim`);
      assert.equal(treeSum(got), treeSum(want), `SHA-256 of ${pod.metadata.name ?? ''}'s restored claim`);
    }
  });

  async function listNames(t: TestTenant): Promise<string[]> {
    const out: string[] = [];
    for await (const o of t.asUser.list(TB, { namespace: t.namespace })) out.push(o.metadata.name ?? '');
    return out;
  }

  async function waitForGone(t: TestTenant, name: string): Promise<void> {
    await waitFor(`TenantBackup ${name} to be gone`, async (): Promise<boolean> => {
      const found: KubeObject | undefined = await admin.find(TB, name, t.namespace);
      return !found;
    });
  }
});
