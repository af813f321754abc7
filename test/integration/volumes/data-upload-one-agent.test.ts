/**
 * CSI snapshot data movement when the node agent that claims a DataUpload is also the one whose node the mover
 * pod lands on (here: the only agent, on the volume's node). That agent marks the DataUpload Prepared from
 * inside its own exposing work, so it must go on to the upload itself: the moved-data backup completes, and
 * does not sit in Prepared until the backup's item operation timeout cancels it.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { DataUpload } from '../../../src/api/index.ts';
import { DATA_UPLOAD_TYPE } from '../../../src/backup/csi/data-uploads.ts';
import { adminCluster, createNamespace, deleteNamespaceAndWait } from '../../helpers/cluster.ts';
import { createCsiVolumePod } from '../../helpers/csi-volume-pod.ts';
import { writeVolumeData } from '../../helpers/file-tree.ts';
import { uniqueName } from '../../helpers/names.ts';
import { startNodeAgents, useTestUploaderBinaries, type NodeAgents } from '../../helpers/node-agents.ts';
import { backupAndWait, startTestServer, type TestServer } from '../../helpers/skiff-server.ts';
import { loadTestEnv } from '../../helpers/testenv.ts';

const cluster = adminCluster();
const env = loadTestEnv();
const node = env.nodes[1] ?? '';
let server: TestServer | undefined;
let agents: NodeAgents | undefined;

before(async () => {
  useTestUploaderBinaries();
  server = await startTestServer(cluster);
  agents = await startNodeAgents({ namespace: server.namespace, nodes: [node] });
});
after(async () => {
  await agents?.stop();
  await server?.stop();
});

test('the agent that exposes the snapshot on its own node uploads it', async () => {
  const serverNs = server?.namespace ?? '';
  const ns = uniqueName('du-one');
  await createNamespace(cluster, ns);
  try {
    const { dir } = await createCsiVolumePod(cluster, env, ns, { node });
    await writeVolumeData(dir, ns, { smallFiles: 10, folders: 2, largeBytes: 1024 * 1024 });
    // Bounded, so that a DataUpload left in Prepared ends the backup PartiallyFailed instead of hanging the test.
    const backup = await backupAndWait(
      cluster,
      serverNs,
      uniqueName('b'),
      { includedNamespaces: [ns], snapshotMoveData: true, itemOperationTimeout: '90s' },
      300_000,
    );
    const dus: DataUpload[] = [];
    for await (const o of cluster.list(DATA_UPLOAD_TYPE, { namespace: serverNs })) dus.push(o as DataUpload);
    assert.deepEqual(
      dus.map((d) => [d.status?.phase, d.status?.acceptedByNode, d.status?.node]),
      [['Completed', node, node]],
      dus.map((d) => d.status?.message ?? '').join('; '),
    );
    assert.equal(backup.status?.phase, 'Completed', JSON.stringify(backup.status));
  } finally {
    await deleteNamespaceAndWait(cluster, ns);
  }
});
