/**
 * CSI snapshot data movement interrupted (issue 16 acceptance, faults): the node agent doing the upload is
 * killed mid-upload (the DataUpload fails with the reason after its restart, never hangs; the backup is
 * PartiallyFailed), and a canceled DataUpload ends Canceled. In both cases no mover pod, claim or snapshot is
 * left behind. Shared with other files: the node agents killed are this file's own; the driver down is
 * data-upload-faults.test.ts (exclusive, it stops the shared CSI driver).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DATA_UPLOAD_TYPE } from '../../../src/backup/csi/data-uploads.ts';
import { adminCluster, createNamespace, deleteNamespaceAndWait, WaitImpossible } from '../../helpers/cluster.ts';
import { createCsiVolumePod } from '../../helpers/csi-volume-pod.ts';
import { theDataUpload, waitNothingLeftOfUpload } from '../../helpers/data-mover.ts';
import { writeRandomFile } from '../../helpers/file-tree.ts';
import { uniqueName } from '../../helpers/names.ts';
import { startNodeAgents, useTestUploaderBinaries } from '../../helpers/node-agents.ts';
import { backupAndWait, startTestServer } from '../../helpers/skiff-server.ts';
import { loadTestEnv } from '../../helpers/testenv.ts';

const cluster = adminCluster();
const env = loadTestEnv();
const LARGE = 512 * 1024 * 1024;

describe('CSI snapshot data movement: interrupted', { concurrency: false }, () => {
  test('node agent killed mid-upload: the DataUpload fails with the reason, the backup is PartiallyFailed; cancel ends Canceled', async () => {
    useTestUploaderBinaries();
    const server = await startTestServer(cluster);
    const agents = await startNodeAgents({ namespace: server.namespace });
    try {
      for (const fault of ['kill', 'cancel'] as const) {
        const ns = uniqueName(`du-${fault}`);
        await createNamespace(cluster, ns);
        const node = env.nodes.at(-1) ?? '';
        const { dir } = await createCsiVolumePod(cluster, env, ns, { node });
        await writeRandomFile(join(dir, 'large.bin'), LARGE);
        const backup = backupAndWait(
          cluster,
          server.namespace,
          uniqueName('b'),
          { includedNamespaces: [ns], snapshotMoveData: true },
          600_000,
        );
        const running = await theDataUpload(cluster, server.namespace, (du) => {
          if (du.status?.phase === 'Completed') throw new WaitImpossible('finished before it could be interrupted');
          const done = du.status?.progress?.bytesDone ?? 0;
          return du.status?.phase === 'InProgress' && done > 0 && done < LARGE;
        });
        if (fault === 'kill') {
          await agents.kill(node);
          await agents.restart(node);
        } else {
          await cluster.patch(
            DATA_UPLOAD_TYPE,
            { name: running.metadata.name ?? '', namespace: server.namespace },
            'merge',
            {
              spec: { cancel: true },
            },
          );
        }
        const b = await backup;
        assert.equal(b.status?.phase, 'PartiallyFailed', JSON.stringify(b.status));
        const du = await theDataUpload(cluster, server.namespace, () => true);
        if (fault === 'kill') {
          assert.equal(du.status?.phase, 'Failed');
          assert.match(
            du.status?.message ?? '',
            new RegExp(`node agent on ${node} restarted while the upload was in progress`),
          );
        } else {
          assert.equal(du.status?.phase, 'Canceled', du.status?.message);
        }
        await cluster.delete(DATA_UPLOAD_TYPE, du.metadata.name ?? '', server.namespace);
        await waitNothingLeftOfUpload(cluster, ns, server.namespace, du.metadata.name ?? '');
        await deleteNamespaceAndWait(cluster, ns);
      }
    } finally {
      await agents.stop();
      await server.stop();
    }
  });
});
