/**
 * The data mover's claim and pod on the test CSI stack (DATAMOVER-CONTRACT "Shared code"): a claim made
 * from a VolumeSnapshot of node-local storage is provisioned on the node holding the snapshot (the pod
 * follows the source volume's node affinity), its directory holds the snapshot's files, and deleting the
 * mover leaves neither pod nor claim nor volume behind.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  createMover,
  deleteMover,
  PVS,
  waitForMoverVolume,
  type MoverRequest,
} from '../../../src/volumes/data-mover/mover-pod.ts';
import { VOLUME_SNAPSHOTS } from '../../../src/volumes/csi/snapshot-objects.ts';
import { adminCluster, core, createNamespace, deleteNamespaceAndWait, waitFor } from '../../helpers/cluster.ts';
import { createCsiVolumePod } from '../../helpers/csi-volume-pod.ts';
import { uniqueName } from '../../helpers/names.ts';
import { loadTestEnv } from '../../helpers/testenv.ts';

const cluster = adminCluster();
const env = loadTestEnv();

describe('data mover claim and pod', () => {
  test('a claim from a snapshot lands on the snapshot’s node, holds its files, and is removed', async () => {
    const ns = uniqueName('mover');
    await createNamespace(cluster, ns);
    const node = env.nodes.at(-1) ?? '';
    const { pv, dir } = await createCsiVolumePod(cluster, env, ns, { node });
    await writeFile(join(dir, 'hello.txt'), 'from the snapshot\n');
    await cluster.create(VOLUME_SNAPSHOTS, {
      apiVersion: 'snapshot.storage.k8s.io/v1',
      kind: 'VolumeSnapshot',
      metadata: { name: 'snap', namespace: ns },
      spec: { source: { persistentVolumeClaimName: 'data' }, volumeSnapshotClassName: env.csi.snapshotClass },
    });
    await waitFor('snapshot ready', async () => {
      const vs = await cluster.get(VOLUME_SNAPSHOTS, 'snap', ns);
      return (vs.status as { readyToUse?: boolean } | undefined)?.readyToUse === true;
    });
    await writeFile(join(dir, 'later.txt'), 'after the snapshot\n');
    // A stand-in for the DataUpload: the mover's objects are owned by an object of their namespace.
    const owner = await cluster.create(core('configmaps'), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'mover-1', namespace: ns },
    });
    const req: MoverRequest = {
      namespace: ns,
      owner: { apiVersion: 'v1', kind: 'ConfigMap', name: 'mover-1', uid: owner.metadata.uid ?? '' },
      volume: {
        storageClassName: env.csi.storageClass,
        size: '1Gi',
        dataSource: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: 'snap' },
        readOnly: true,
      },
      nodeSelectorTerms: (pv.spec as { nodeAffinity?: { required?: { nodeSelectorTerms?: unknown[] } } }).nodeAffinity
        ?.required?.nodeSelectorTerms,
    };
    await createMover(cluster, req);
    await createMover(cluster, req); // a retry keeps what is there
    const vol = await waitForMoverVolume(
      cluster,
      (n) => ({ hostRoot: env.nodeRoot(n) }),
      { namespace: ns, name: 'mover-1' },
      {
        timeoutMs: 60_000,
      },
    );
    assert.equal(vol.node, node);
    assert.equal(await readFile(join(vol.dir, 'hello.txt'), 'utf8'), 'from the snapshot\n');
    await assert.rejects(readFile(join(vol.dir, 'later.txt'), 'utf8'));

    assert.equal(await deleteMover(cluster, { namespace: ns, name: 'mover-1' }, 60_000), true);
    await waitFor('the mover volume deleted', async () => (await cluster.find(PVS, vol.pvName)) === undefined);
    await deleteNamespaceAndWait(cluster, ns);
  });
});
