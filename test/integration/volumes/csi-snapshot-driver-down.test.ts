// exclusive-test: stops and restarts the shared CSI driver
/**
 * A CSI driver that is down during the backup (issue 16 acceptance, faults): the claim's
 * snapshot is never ready, so after `csiSnapshotTimeout` its item fails with the reason, the
 * backup ends PartiallyFailed, and its VolumeSnapshot is deleted at once (gone as soon as the
 * driver answers again: only the snapshotter can finish a deletion).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { KubeObject } from '../../../src/kube/index.ts';
import type { ResourceType } from '../../../src/kube/resource.ts';
import { adminCluster, core, createNamespace, deleteNamespaceAndWait, waitFor } from '../../helpers/cluster.ts';
import { startCsiDriver, stopCsiDriver } from '../../helpers/csi.ts';
import { uniqueName } from '../../helpers/names.ts';
import { backupAndWait, defaultStore, startTestServer, type TestServer } from '../../helpers/skiff-server.ts';
import { loadTestEnv } from '../../helpers/testenv.ts';

const cluster = adminCluster();
const VS: ResourceType = {
  group: 'snapshot.storage.k8s.io',
  version: 'v1',
  resource: 'volumesnapshots',
  kind: 'VolumeSnapshot',
  namespaced: true,
  verbs: [],
};
let server: TestServer;

/** The node a PV of the per-node driver lives on (its node affinity). */
function nodeOf(pv: KubeObject): string {
  const terms = (
    pv.spec as {
      nodeAffinity?: { required?: { nodeSelectorTerms?: { matchExpressions?: { values?: string[] }[] }[] } };
    }
  ).nodeAffinity?.required?.nodeSelectorTerms;
  return terms?.[0]?.matchExpressions?.[0]?.values?.[0] ?? '';
}

describe('CSI snapshot with the driver down', { concurrency: false }, () => {
  before(async () => {
    server = await startTestServer(cluster);
  });
  after(async () => {
    await server?.stop();
  });

  test('the claim fails naming the timeout and the snapshot, PartiallyFailed, its VolumeSnapshot deleted', async () => {
    const env = loadTestEnv();
    const ns = uniqueName('csi-down');
    await createNamespace(cluster, ns);
    await cluster.create(core('persistentvolumeclaims'), {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data', namespace: ns },
      spec: {
        storageClassName: env.csi.storageClassImmediate,
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '1Gi' } },
      },
    });
    const pvc = await waitFor(
      'claim bound',
      async () => {
        const c = await cluster.get(core('persistentvolumeclaims'), 'data', ns);
        return (c.status as { phase?: string }).phase === 'Bound' ? c : undefined;
      },
      120_000,
    );
    const pv = await cluster.get(core('persistentvolumes'), (pvc.spec as { volumeName: string }).volumeName);
    const node = nodeOf(pv);
    assert.ok(node, 'the PV names its node');
    await stopCsiDriver(env, node);
    let restarted = false;
    try {
      const name = uniqueName('b');
      const b = await backupAndWait(
        cluster,
        server.namespace,
        name,
        // The driver is down before the backup starts, so the snapshot can never be ready: a short
        // timeout asserts the same as a long one, without waiting it out.
        { includedNamespaces: [ns], csiSnapshotTimeout: '5s' },
        300_000,
      );
      assert.equal(b.status?.phase, 'PartiallyFailed', JSON.stringify(b.status));
      assert.equal(b.status?.csiVolumeSnapshotsCompleted, 0);
      const results = (await (await defaultStore(server)).getBackupFile(name, 'results')) as {
        errors?: { namespaces?: Record<string, string[]> };
      };
      const errors = results.errors?.namespaces?.[ns] ?? [];
      assert.ok(
        errors.some((e) =>
          new RegExp(`VolumeSnapshot ${ns}/velero-data-\\w+ of claim ${ns}/data was not ready within 5s`).test(e),
        ),
        errors.join('\n'),
      );
      // Deleted at once; the snapshotter can only finish the deletion once the driver answers again.
      await waitFor('every VolumeSnapshot of the backup being deleted', async () => {
        for await (const vs of cluster.list(VS, { namespace: ns })) if (!vs.metadata.deletionTimestamp) return false;
        return true;
      });
      await startCsiDriver(env, node);
      restarted = true;
      await waitFor(
        'no VolumeSnapshot left once the driver is back',
        async () => {
          for await (const _ of cluster.list(VS, { namespace: ns })) return false;
          return true;
        },
        180_000,
      );
    } finally {
      if (!restarted) await startCsiDriver(env, node);
      await deleteNamespaceAndWait(cluster, ns, 300_000).catch(() => undefined);
    }
  });
});
