// exclusive-test: stops and restarts the shared CSI driver
/**
 * CSI snapshot data movement under faults (issue 16 acceptance): the driver down once the snapshot is taken
 * makes the item fail with the cluster's reason, and no mover pod, claim or snapshot is left behind. (Exclusive:
 * it stops the shared CSI driver. The node agent killed mid-upload and a canceled upload, which need no driver
 * down, are data-upload-interrupted.test.ts, beside the other files.)
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DATA_UPLOAD_TYPE } from '../../../src/backup/csi/data-uploads.ts';
import { adminCluster, createNamespace, deleteNamespaceAndWait } from '../../helpers/cluster.ts';
import { startCsiDriver, stopCsiDriver } from '../../helpers/csi.ts';
import { createCsiVolumePod } from '../../helpers/csi-volume-pod.ts';
import { theDataUpload, waitNothingLeftOfUpload } from '../../helpers/data-mover.ts';
import { uniqueName } from '../../helpers/names.ts';
import { startNodeAgents, useTestUploaderBinaries } from '../../helpers/node-agents.ts';
import { backupAndWait, startTestServer } from '../../helpers/skiff-server.ts';
import { loadTestEnv } from '../../helpers/testenv.ts';

const cluster = adminCluster();
const env = loadTestEnv();

describe('CSI snapshot data movement: faults', { concurrency: false }, () => {
  test('driver down once the snapshot is taken: the item fails with the reason, nothing is left behind', async () => {
    useTestUploaderBinaries();
    const server = await startTestServer(cluster);
    const ns = uniqueName('du-driver');
    await createNamespace(cluster, ns);
    const node = env.nodes.at(-1) ?? '';
    await createCsiVolumePod(cluster, env, ns, { node });
    // No node agent yet: the DataUpload waits, New, while the driver goes down.
    const backup = backupAndWait(
      cluster,
      server.namespace,
      uniqueName('b'),
      { includedNamespaces: [ns], snapshotMoveData: true, csiSnapshotTimeout: '15s' },
      600_000,
    );
    await theDataUpload(cluster, server.namespace, () => true);
    await stopCsiDriver(env, node);
    const agents = await startNodeAgents({ namespace: server.namespace });
    try {
      const du = await theDataUpload(cluster, server.namespace, (d) => d.status?.phase === 'Failed');
      assert.match(
        du.status?.message ?? '',
        /backup of the snapshot of claim .*\/data failed: .*(not ready|not provisioned|not mounted)/,
      );
      await startCsiDriver(env, node);
      const b = await backup;
      assert.equal(b.status?.phase, 'PartiallyFailed', JSON.stringify(b.status));
      await cluster.delete(DATA_UPLOAD_TYPE, du.metadata.name ?? '', server.namespace);
      await waitNothingLeftOfUpload(cluster, ns, server.namespace, du.metadata.name ?? '');
      await deleteNamespaceAndWait(cluster, ns);
    } finally {
      await startCsiDriver(env, node);
      await agents.stop();
      await server.stop();
    }
  });
});
