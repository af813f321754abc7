// test-lane: tenant — this file's server executes every TenantBackup and TenantRestore in the cluster, so it must not run beside another file's (other files' servers run with tenant operations off)
/**
 * Issue 17 acceptance 9 with CSI snapshots: a tenant backup whose claims were CSI-snapshotted
 * is adopted into the recreated namespace, and its snapshots are handed over to the copy: the
 * old backup's deletion leaves them in the driver's storage, dave's restore from the adopted
 * backup brings the claims back from them, identical by SHA-256, and deleting the adopted
 * backup removes them from the driver's storage.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { Kinds, resourceRef, type Backup } from '../../../src/api/index.ts';
import { readBackupArchive } from '../../../src/archive/index.ts';
import { deleteBackupRequestFor } from '../../../src/deletion/delete-request.ts';
import { tenantPrefix } from '../../../src/storage/index.ts';
import type { BackupStore } from '../../../src/storage/index.ts';
import { readAll } from '../../../src/storage/object-store.ts';
import { TenantTypes } from '../../../src/tenant/exec/resources.ts';
import { adminCluster, core, deleteNamespaceAndWait, waitFor } from '../../helpers/cluster.ts';
import { digestTree, treeSum, writeVolumeData, type TreeEntry } from '../../helpers/file-tree.ts';
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
import { claimDataDir, createClaimStatefulSet, runningPods } from '../../helpers/volume-pods.ts';
import { skiff } from '../cli/run-skiff.ts';

const TB = TenantTypes.TenantBackup;
const BACKUPS = resourceRef(Kinds.Backup);
const RBAC = (resource: string) => ({ group: 'rbac.authorization.k8s.io', version: 'v1', resource });
const VSC_GR = 'volumesnapshotcontents.snapshot.storage.k8s.io';

describe('adoption of a backup holding CSI snapshots (issue 17 acceptance 9)', () => {
  const admin = adminCluster();
  const dave = tenantUser('dave');
  const env = loadTestEnv();
  const { csi } = env;
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

  let adoptedRun: { tenant: TestTenant; newName: string; handles: string[] } | undefined;
  const tenantStore = (uid: string) => storeAtPrefix(server, tenantPrefix(server.prefix, uid));

  test('the adopted backup owns the snapshots: the old one’s deletion leaves them, dave restores the same bytes', async () => {
    const earlier = await certTenant(admin, policy, 'team-s', dave);
    const ns = earlier.namespace;
    cleanup.push(ns);
    await grantSnapshots(earlier);
    await createClaimStatefulSet(admin, ns, csi.storageClass);
    const trees = new Map<string, TreeEntry[]>();
    for (const pod of await runningPods(admin, ns, 2)) {
      const dir = await claimDataDir(admin, pod);
      await writeVolumeData(dir, `${ns}/${pod.metadata.name ?? ''}`, {
        smallFiles: 40,
        folders: 4,
        largeBytes: 2 * 1024 * 1024,
      });
      trees.set(pod.metadata.name ?? '', await digestTree(dir));
    }
    await createTenantBackup(earlier, 'with-snapshots');
    const done = await waitForTenantOutcome(admin, TB, ns, 'with-snapshots', 600_000);
    assert.equal((done.status as { phase?: string }).phase, 'Completed', JSON.stringify(done.status));
    const oldName = `tenant-${done.metadata.uid ?? ''}`;
    const oldStore = await tenantStore(earlier.uid);
    const info = (await oldStore.getBackupFile(oldName, 'volumeInfo')) as {
      backupMethod?: string;
      csiSnapshotInfo?: { snapshotHandle?: string };
    }[];
    assert.deepEqual(
      info.map((i) => i.backupMethod),
      ['CSISnapshot', 'CSISnapshot'],
    );
    const handles = info.map((i) => i.csiSnapshotInfo?.snapshotHandle ?? '');
    assert.equal(storedSnapshots(handles).length, 2, 'the driver holds both storage snapshots');

    await deleteNamespaceAndWait(admin, ns, 300_000);
    const again = await certTenant(admin, policy, 'team-s', dave, { namespace: ns });
    assert.notEqual(again.uid, earlier.uid);
    await grantSnapshots(again);

    const adopted = await skiff([
      ...['tenant', 'adopt', '-n', ns, '--from-uid', earlier.uid, '--server-namespace', server.namespace, '--wait'],
    ]);
    assert.equal(adopted.code, 0, adopted.stderr);
    const tb = await admin.get(TB, 'with-snapshots', ns);
    const newName = `tenant-${tb.metadata.uid ?? ''}`;
    const newStore = await tenantStore(again.uid);

    // Both tarballs' stored contents name the adopted backup, which deletion goes by.
    for (const [store, backup] of [
      [newStore, newName],
      [oldStore, oldName],
    ] as const) {
      const owners = await contentOwners(store, backup);
      assert.equal(owners.length, 2, `${backup}'s stored contents`);
      assert.deepEqual(new Set(owners), new Set([newName]), `${backup}'s stored contents`);
    }

    // The old backup is deleted (as its expiry would): the snapshots stay.
    const oldBackup = (await admin.get(BACKUPS, oldName, server.namespace)) as Backup;
    await admin.create(resourceRef(Kinds.DeleteBackupRequest), deleteBackupRequestFor(oldBackup));
    await waitFor(
      'the old backup to be deleted',
      async () => (await admin.find(BACKUPS, oldName, server.namespace)) === undefined,
      300_000,
    );
    assert.deepEqual(storedSnapshots(handles).length, 2, 'the old backup’s deletion left the storage snapshots');

    const restored = await restoreStatefulSetBackup(admin, again, 'with-snapshots', 600_000);
    assert.equal((restored.status as { phase?: string }).phase, 'Completed', JSON.stringify(restored.status));
    for (const pod of await runningPods(admin, ns, 2)) {
      const claim = await admin.get(core('persistentvolumeclaims'), `data-${pod.metadata.name ?? ''}`, ns);
      assert.equal((claim.spec as { dataSource?: { kind?: string } }).dataSource?.kind, 'VolumeSnapshot');
      const got = await digestTree(await claimDataDir(admin, pod));
      const want = trees.get(pod.metadata.name ?? '') ?? [];
      assert.equal(treeSum(got), treeSum(want), `SHA-256 of ${pod.metadata.name ?? ''}'s restored claim`);
    }

    adoptedRun = { tenant: again, newName, handles };
  });

  test('deleting the adopted backup removes the storage snapshots from the CSI driver', async () => {
    assert.ok(adoptedRun, 'the adoption test ran');
    const { tenant, newName, handles } = adoptedRun;
    await tenant.asUser.delete(TB, 'with-snapshots', tenant.namespace);
    await waitFor(
      'the adopted backup to be deleted',
      async () => (await admin.find(BACKUPS, newName, server.namespace)) === undefined,
      300_000,
    );
    assert.deepEqual(storedSnapshots(handles), [], 'the adopted backup’s deletion removed the storage snapshots');
  });

  /** The snapshots the test CSI driver still stores (`<node root>/var/lib/skiff-csi/<handle>.snap`) of these handles. */
  function storedSnapshots(handles: readonly string[]): string[] {
    return env.nodes.flatMap((node) =>
      handles.map((h) => join(env.nodeRoot(node), 'var/lib/skiff-csi', `${h}.snap`)).filter((path) => existsSync(path)),
    );
  }

  /** VolumeSnapshots are not in the built-in admin role: the admin grants them to the tenant. */
  async function grantSnapshots(t: TestTenant): Promise<void> {
    await admin.create(RBAC('roles'), {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'volume-snapshots', namespace: t.namespace },
      rules: [{ apiGroups: ['snapshot.storage.k8s.io'], resources: ['volumesnapshots'], verbs: ['*'] }],
    });
    await admin.create(RBAC('rolebindings'), {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'volume-snapshots', namespace: t.namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'volume-snapshots' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: t.user.username }],
    });
  }

  /** The `velero.io/backup-name` of each VolumeSnapshotContent stored in a backup's tarball (preferred copies). */
  async function contentOwners(store: BackupStore, backup: string): Promise<string[]> {
    const body = await readAll(await store.getBackupContents(backup));
    const out: string[] = [];
    for await (const rec of readBackupArchive(Readable.from([body])))
      if (rec.kind === 'item' && rec.parsed.groupResource === VSC_GR && rec.parsed.version === undefined)
        out.push(
          (rec.object as { metadata?: { labels?: Record<string, string> } }).metadata?.labels?.[
            'velero.io/backup-name'
          ] ?? '',
        );
    return out;
  }
});
