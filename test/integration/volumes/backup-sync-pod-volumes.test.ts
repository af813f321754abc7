/**
 * Backup sync brings back a backup's PodVolumeBackups (reference §5.4 step 4): a pod volume is
 * backed up with kopia, the Backup and its PodVolumeBackups are deleted from the cluster (not
 * from the bucket), sync recreates them with their snapshot IDs, and a restore from the synced
 * backup brings the data back identical (directory times included).
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { Kinds, resourceRef, type Backup, type PodVolumeBackup } from '../../../src/api/index.ts';
import { veleroListType } from '../../../src/controllers/velero-types.ts';
import { resolveVolumePath, volumeDirName } from '../../../src/volumes/host-path.ts';
import { adminCluster, core, createNamespace, deleteNamespaceAndWait, waitFor } from '../../helpers/cluster.ts';
import { digestTree, makeRichTree } from '../../helpers/file-tree.ts';
import { uniqueName } from '../../helpers/names.ts';
import { useServerWithNodeAgents } from '../../helpers/node-agents.ts';
import { restoreAndWait } from '../../helpers/restore-server.ts';
import { backupAndWait } from '../../helpers/skiff-server.ts';
import { loadTestEnv } from '../../helpers/testenv.ts';
import { createVolumePod } from '../../helpers/volume-pods.ts';

const BACKUPS = resourceRef(Kinds.Backup);
const LOCATIONS = resourceRef(Kinds.BackupStorageLocation);
const PVBS = veleroListType(Kinds.PodVolumeBackup);

describe('backup sync recreates PodVolumeBackups', () => {
  const cluster = adminCluster();
  const suite = useServerWithNodeAgents(cluster);

  async function podVolumeBackups(backup: string): Promise<PodVolumeBackup[]> {
    const out: PodVolumeBackup[] = [];
    for await (const o of cluster.list(PVBS, {
      namespace: suite.server.namespace,
      labelSelector: `velero.io/backup-name=${backup}`,
    }))
      out.push(o as PodVolumeBackup);
    return out;
  }

  /** The data directory of the (restored) pod's claim `data`. */
  async function dataDir(ns: string, podName: string): Promise<string> {
    return waitFor(`data of restored pod ${podName}`, async () => {
      const pod = await cluster.find(core('pods'), podName, ns);
      const node = (pod?.spec as { nodeName?: string } | undefined)?.nodeName;
      if (!pod || !node) return undefined;
      const pvc = await cluster.get(core('persistentvolumeclaims'), 'data', ns);
      const pvName = (pvc.spec as { volumeName?: string }).volumeName;
      if (!pvName) return undefined;
      const pv = await cluster.get(core('persistentvolumes'), pvName);
      const dir = volumeDirName({ name: 'data', persistentVolumeClaim: { claimName: 'data' } }, pv);
      return resolveVolumePath(loadTestEnv().nodeRoot(node), pod.metadata.uid ?? '', dir);
    });
  }

  test('kopia: deleted Backup and PodVolumeBackups come back from the bucket with their snapshots, and restore the data', async () => {
    const server = suite.server;
    const ns = uniqueName('sync-pvb');
    await createNamespace(cluster, ns);
    const pod = await createVolumePod(cluster, ns, 'app', {
      claims: ['data'],
      annotations: { 'backup.velero.io/backup-volumes': 'data' },
    });
    const source = await pod.volumeDir('data');
    await makeRichTree(source, { largeBytes: 2 * 1024 * 1024, sparseBytes: 4 * 1024 * 1024 });
    const want = await digestTree(source);

    const name = uniqueName('b');
    const backup = await backupAndWait(cluster, server.namespace, name, { includedNamespaces: [ns] }, 300_000);
    assert.equal(backup.status?.phase, 'Completed', JSON.stringify(backup.status));
    const original = await podVolumeBackups(name);
    assert.equal(original.length, 1);
    const [made] = original;
    assert.ok(made?.status?.snapshotID);
    assert.equal(made.spec.uploaderType, 'kopia');
    assert.ok(made.metadata.annotations?.['skiff.io/dir-times-snapshot'], 'kopia recorded the directory times');

    // A new cluster's view: the objects are gone, the bucket keeps the backup. Deleted while sync is
    // off: the minutely sync could otherwise bring the Backup back before the test saw it gone.
    await server.restart({ disableControllers: ['backup-sync'] });
    await cluster.delete(BACKUPS, name, server.namespace);
    for (const p of original) await cluster.delete(PVBS, p.metadata.name ?? '', server.namespace);
    await waitFor('Backup and PodVolumeBackups gone', async () =>
      !(await cluster.find(BACKUPS, name, server.namespace)) && (await podVolumeBackups(name)).length === 0
        ? true
        : undefined,
    );
    await cluster.patch(LOCATIONS, { name: 'default', namespace: server.namespace }, 'merge', {
      spec: { backupSyncPeriod: '1s' },
    });
    await server.restart();

    const synced = await waitFor(
      `backup ${name} synced back`,
      async () => (await cluster.find(BACKUPS, name, server.namespace)) as Backup | undefined,
      120_000,
    );
    assert.notEqual(synced.metadata.uid, backup.metadata.uid);
    const back = await waitFor(
      `PodVolumeBackups of ${name} recreated`,
      async () => {
        const list = await podVolumeBackups(name);
        return list.length === 1 && list[0]?.status?.phase ? list : undefined;
      },
      60_000,
    );
    const [again] = back;
    assert.ok(again);
    assert.equal(again.metadata.name, made.metadata.name);
    assert.equal(again.status?.phase, 'Completed');
    assert.equal(again.status?.snapshotID, made.status.snapshotID);
    assert.equal(again.metadata.labels?.['velero.io/backup-uid'], synced.metadata.uid);
    assert.deepEqual(
      again.metadata.ownerReferences?.map((o) => [o.kind, o.name, o.uid]),
      [['Backup', name, synced.metadata.uid]],
    );
    assert.equal(
      again.metadata.annotations?.['skiff.io/dir-times-snapshot'],
      made.metadata.annotations?.['skiff.io/dir-times-snapshot'],
    );

    // Lose the namespace and its data, then restore from the synced backup.
    await deleteNamespaceAndWait(cluster, ns);
    await rm(source, { recursive: true, force: true });
    const restore = await restoreAndWait(cluster, server.namespace, uniqueName('r'), { backupName: name }, 300_000);
    assert.equal(restore.status?.phase, 'Completed', JSON.stringify(restore.status));
    const restored = await dataDir(ns, 'app');
    const got = await waitFor('restored data', async () => {
      const tree = await digestTree(restored, { skipVelero: true });
      return tree.length === want.length ? tree : undefined;
    });
    assert.deepEqual(got, want);
    await deleteNamespaceAndWait(cluster, ns);
  });
});
