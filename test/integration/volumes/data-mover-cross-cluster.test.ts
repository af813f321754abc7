// test-lane: cluster-b starts and uses cluster B (its files share it one at a time; everything they make in cluster A is their own)
/**
 * CSI snapshot data movement across clusters (issue 16 Deliver 5): a StatefulSet's two CSI claims
 * (200 files and 256 MiB each) are backed up in cluster A with `snapshotMoveData`, A's driver
 * snapshots are removed, and cluster B (its own CSI stack, nodes and host roots, so no access to
 * A's snapshots), whose server shares A's bucket and prefix, restores the backup it synced: each
 * tree comes back identical by SHA-256 on B's volumes, filled by B's node agents.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Kinds, resourceRef } from '../../../src/api/index.ts';
import { Cluster, KubeClient } from '../../../src/kube/index.ts';
import { adminCluster, core, createNamespace, deleteNamespaceAndWait, waitFor } from '../../helpers/cluster.ts';
import {
  assertMovedDataRestored,
  dataMoverLeftovers,
  deleteDriverSnapshots,
  writeStatefulSetData,
} from '../../helpers/data-mover.ts';
import { uniqueName } from '../../helpers/names.ts';
import { startNodeAgents, useTestUploaderBinaries, type NodeAgents } from '../../helpers/node-agents.ts';
import { restoreAndWait } from '../../helpers/restore-server.ts';
import { backupAndWait, startTestServer, type TestServer } from '../../helpers/skiff-server.ts';
import { loadTestEnv, testClusterB, type TestCluster } from '../../helpers/testenv.ts';
import { createClaimStatefulSet, runningPods } from '../../helpers/volume-pods.ts';

const a = adminCluster();
const env = loadTestEnv();
const ns = uniqueName('dm-xc');
let infoB: TestCluster;
let b: Cluster;
let serverA: TestServer;
let serverB: TestServer;
let agentsA: NodeAgents;
let agentsB: NodeAgents;
/** Host root of a cluster B node (scripts/testenv/up-cluster-b.sh). */
const nodeRootB = (node: string): string => join(env.runDir, 'cluster-b', 'nodes', node);

describe('moved CSI snapshot data restored in another cluster', { concurrency: false }, () => {
  before(async () => {
    infoB = testClusterB(env.runDir, { csi: true });
    b = new Cluster(KubeClient.fromKubeconfig({ kubeconfig: infoB.kubeconfig }));
    useTestUploaderBinaries();
    serverA = await startTestServer(a);
    serverB = await startTestServer(b, {
      kubeconfig: infoB.kubeconfig,
      prefix: serverA.prefix,
      backupSyncPeriod: '2s',
    });
    agentsA = await startNodeAgents({ namespace: serverA.namespace });
    agentsB = await startNodeAgents({
      namespace: serverB.namespace,
      nodes: infoB.nodes,
      cluster: { kubeconfig: infoB.kubeconfig, nodeRoot: nodeRootB },
    });
  });

  after(async () => {
    await agentsA?.stop();
    await agentsB?.stop();
    await serverA?.stop();
    await serverB?.stop();
    await deleteNamespaceAndWait(a, ns, 300_000).catch(() => undefined);
    if (b) await deleteNamespaceAndWait(b, ns, 300_000).catch(() => undefined);
  });

  test('backup in A with snapshotMoveData, A snapshots gone, restore in B: identical trees', async () => {
    await createNamespace(a, ns);
    await createClaimStatefulSet(a, ns, env.csi.storageClass);
    const { trees } = await writeStatefulSetData(a, await runningPods(a, ns, 2));

    const backupName = uniqueName('b');
    const backup = await backupAndWait(
      a,
      serverA.namespace,
      backupName,
      { includedNamespaces: [ns], snapshotMoveData: true },
      1_200_000,
    );
    assert.equal(backup.status?.phase, 'Completed', JSON.stringify(backup.status));
    await deleteDriverSnapshots(
      serverA,
      backupName,
      ns,
      env.nodes.map((n) => env.nodeRoot(n)),
    );

    await waitFor(`backup ${backupName} synced into cluster B`, () =>
      b.find(resourceRef(Kinds.Backup), backupName, serverB.namespace),
    );
    const restore = await restoreAndWait(b, serverB.namespace, uniqueName('r'), { backupName }, 1_200_000);
    const logs = infoB.nodes.map((n) => agentsB.logs(n)).join('\n');
    assert.equal(restore.status?.phase, 'Completed', `${JSON.stringify(restore.status)}\n${logs.slice(-6000)}`);
    const restored = await runningPods(b, ns, 2);
    for (const pod of restored) {
      assert.ok(infoB.nodes.includes((pod.spec as { nodeName?: string }).nodeName ?? ''), 'on a node of cluster B');
    }
    await assertMovedDataRestored(b, restored, trees, nodeRootB);
    assert.deepEqual(await dataMoverLeftovers(b, serverB.namespace, restore.metadata.uid ?? ''), []);
    assert.equal(
      await b.find(core('namespaces'), serverA.namespace),
      undefined,
      "A's server namespace is not made in B",
    );
  });
});
