/**
 * The server's side of a moved-data restore on the CSI stack (issue 16 Deliver 4), with the
 * backup's data-mover part made by hand as the backup would (DATAMOVER-CONTRACT): each claim's
 * tree is a kopia snapshot in the namespace's repository, the stored claims carry
 * `velero.io/data-upload-name`, and the tarball holds the Completed DataUploads. After the
 * namespace is deleted, the restore writes the DataUploadResult ConfigMaps, creates a
 * DataDownload per claim, waits for them, and every tree comes back identical by SHA-256 into
 * claims bound to the volumes the node agents filled; the ConfigMaps are gone at the end.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { readBackupArchive } from '../../../src/archive/index.ts';
import { DIR_TIMES_ANNOTATION } from '../../../src/volumes/dir-times/record.ts';
import { ensureRepository, openRepository } from '../../../src/volumes/repository/index.ts';
import { aBackupArchive } from '../../helpers/archive-builder.ts';
import { adminCluster, core, createNamespace, deleteNamespaceAndWait } from '../../helpers/cluster.ts';
import { assertMovedDataRestored, dataMoverLeftovers } from '../../helpers/data-mover.ts';
import { digestTree, writeVolumeData, type TreeEntry } from '../../helpers/file-tree.ts';
import { uniqueName } from '../../helpers/names.ts';
import { useServerWithNodeAgents, useTestUploaderBinaries } from '../../helpers/node-agents.ts';
import { restoreAndWait } from '../../helpers/restore-server.ts';
import { backupAndWait, defaultStore } from '../../helpers/skiff-server.ts';
import { loadTestEnv } from '../../helpers/testenv.ts';
import { claimDataDir, createClaimStatefulSet, runningPods } from '../../helpers/volume-pods.ts';

const cluster = adminCluster();
const env = loadTestEnv();

describe('restore of moved CSI snapshot data (DataUploads made by hand)', { concurrency: false }, () => {
  const suite = useServerWithNodeAgents(cluster);

  test('DataUploadResult ConfigMaps, a DataDownload per claim, identical trees, nothing left behind', async () => {
    const serverNs = suite.server.namespace;
    const ns = uniqueName('dd-rs');
    await createNamespace(cluster, ns);
    await createClaimStatefulSet(cluster, ns, env.csi.storageClass);
    const pods = await runningPods(cluster, ns, 2);
    const backup = uniqueName('b');
    const scratch = await mkdtemp(join(tmpdir(), 'skiff-dd-rs-'));
    const key = { volumeNamespace: ns, location: 'default', type: 'kopia' as const };
    await ensureRepository(cluster, serverNs, key);
    const uploader = await openRepository(
      { cluster, namespace: serverNs, workRoot: join(scratch, 'repos'), binaries: useTestUploaderBinaries() },
      key,
    );
    const trees = new Map<string, TreeEntry[]>();
    const dataUploads: Record<string, unknown>[] = [];
    try {
      for (const pod of pods) {
        const podName = pod.metadata.name ?? '';
        const claim = `data-${podName}`;
        const dir = await claimDataDir(cluster, pod);
        await writeVolumeData(dir, `${ns}/${podName}`, { smallFiles: 50, folders: 5, largeBytes: 8 * 1024 * 1024 });
        trees.set(podName, await digestTree(dir));
        // The backup side's part: the snapshot, the claim's annotation, the Completed DataUpload.
        const snap = await uploader.backup(dir, { tags: { test: 'data-download-restore' } });
        const du = `${backup}-${claim}`;
        await cluster.patch(core('persistentvolumeclaims'), { name: claim, namespace: ns }, 'merge', {
          metadata: { annotations: { 'velero.io/data-upload-name': `${serverNs}/${du}` } },
        });
        dataUploads.push({
          apiVersion: 'velero.io/v2alpha1',
          kind: 'DataUpload',
          metadata: { name: du, namespace: serverNs, uid: `uid-${du}`, labels: { 'velero.io/backup-name': backup } },
          spec: {
            snapshotType: 'CSI',
            csiSnapshot: { volumeSnapshot: `velero-${claim}-x`, storageClass: env.csi.storageClass },
            sourcePVC: claim,
            sourceNamespace: ns,
            backupStorageLocation: 'default',
            datamover: 'velero',
            operationTimeout: '10m0s',
          },
          status: {
            phase: 'Completed',
            snapshotID: snap.snapshotID,
            nodeOS: 'linux',
            progress: { totalBytes: snap.totalBytes, bytesDone: snap.totalBytes },
            ...(snap.dirTimesSnapshotID
              ? { dataMoverResult: { [DIR_TIMES_ANNOTATION]: snap.dirTimesSnapshotID } }
              : {}),
          },
        });
      }
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
    const done = await backupAndWait(cluster, serverNs, backup, { includedNamespaces: [ns], snapshotVolumes: false });
    assert.equal(done.status?.phase, 'Completed', JSON.stringify(done.status));
    // The DataUploads go into the tarball as the backup's post-operation items.
    const store = await defaultStore(suite.server);
    const archive = aBackupArchive();
    for await (const rec of readBackupArchive(await store.getBackupContents(backup)))
      if (rec.kind === 'item') archive.file(rec.path, rec.data);
    for (const du of dataUploads) {
      const meta = du.metadata as { name: string; namespace: string };
      archive.item({ group: 'velero.io', version: 'v2alpha1', resource: 'datauploads', ...meta, object: du });
    }
    await store.putBackupContents(backup, await archive.gzip());

    await deleteNamespaceAndWait(cluster, ns, 300_000);
    const restore = await restoreAndWait(cluster, serverNs, uniqueName('r'), { backupName: backup }, 600_000);
    assert.equal(restore.status?.phase, 'Completed', JSON.stringify(restore.status));
    const restored = await runningPods(cluster, ns, 2);
    await assertMovedDataRestored(cluster, restored, trees);
    assert.deepEqual(await dataMoverLeftovers(cluster, serverNs, restore.metadata.uid ?? ''), []);
    await deleteNamespaceAndWait(cluster, ns, 300_000);
  });
});
