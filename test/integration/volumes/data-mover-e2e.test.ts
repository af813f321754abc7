/**
 * CSI snapshot data movement end to end on the test CSI stack (issue 16 acceptance): a
 * StatefulSet's two CSI claims (200 files and 256 MiB each) are backed up with
 * `snapshotMoveData`, the namespace is deleted and so are the driver's snapshots, and the
 * restore brings every tree back from the bucket's kopia repository through DataDownloads,
 * identical by SHA-256, without what was written after the backup. The restored claims are
 * bound to the volumes the node agents filled (dynamic-restore label), and the restore leaves no
 * DataUploadResult ConfigMap, mover pod or mover claim behind.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Backup } from '../../../src/api/index.ts';
import { adminCluster, createNamespace, deleteNamespaceAndWait } from '../../helpers/cluster.ts';
import {
  assertMovedDataRestored,
  dataMoverLeftovers,
  deleteDriverSnapshots,
  writeStatefulSetData,
} from '../../helpers/data-mover.ts';
import { uniqueName } from '../../helpers/names.ts';
import { useServerWithNodeAgents } from '../../helpers/node-agents.ts';
import { restoreAndWait } from '../../helpers/restore-server.ts';
import { backupAndWait } from '../../helpers/skiff-server.ts';
import { loadTestEnv } from '../../helpers/testenv.ts';
import { createClaimStatefulSet, runningPods } from '../../helpers/volume-pods.ts';

const cluster = adminCluster();
const env = loadTestEnv();

describe('CSI snapshot data movement: backup, driver snapshots gone, restore', { concurrency: false }, () => {
  const suite = useServerWithNodeAgents(cluster);

  test('2 replicas × (200 files + 256 MiB) moved to the bucket and restored identical', async () => {
    const ns = uniqueName('dm-sts');
    await createNamespace(cluster, ns);
    await createClaimStatefulSet(cluster, ns, env.csi.storageClass);
    const pods = await runningPods(cluster, ns, 2);
    const { trees, dirs } = await writeStatefulSetData(cluster, pods);

    const name = uniqueName('b');
    const backup: Backup = await backupAndWait(
      cluster,
      suite.server.namespace,
      name,
      { includedNamespaces: [ns], snapshotMoveData: true },
      1_200_000,
    );
    assert.equal(backup.status?.phase, 'Completed', JSON.stringify(backup.status));
    await deleteDriverSnapshots(
      suite.server,
      name,
      ns,
      env.nodes.map((n) => env.nodeRoot(n)),
    );

    // Written after the snapshot: must not come back.
    await writeFile(join(dirs.get('db-0') ?? '', 'after-backup.txt'), 'too late\n');
    await deleteNamespaceAndWait(cluster, ns, 300_000);

    const restoreName = uniqueName('r');
    const restore = await restoreAndWait(cluster, suite.server.namespace, restoreName, { backupName: name }, 1_200_000);
    assert.equal(restore.status?.phase, 'Completed', JSON.stringify(restore.status));
    const restored = await runningPods(cluster, ns, 2);
    await assertMovedDataRestored(cluster, restored, trees);
    assert.deepEqual(await dataMoverLeftovers(cluster, suite.server.namespace, restore.metadata.uid ?? ''), []);
    await deleteNamespaceAndWait(cluster, ns, 300_000);
  });
});
