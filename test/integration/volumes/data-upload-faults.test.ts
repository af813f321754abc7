/**
 * CSI snapshot data movement under faults (issue 16 acceptance): the node agent doing the upload is killed
 * mid-upload (the DataUpload fails with the reason after its restart, never hangs; the backup is
 * PartiallyFailed), a canceled DataUpload ends Canceled, and the driver down once the snapshot is taken makes
 * the item fail with the cluster's reason. In every case no mover pod, claim or snapshot is left behind.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DataUpload } from '../../../src/api/index.ts';
import { DATA_UPLOAD_TYPE } from '../../../src/backup/csi/data-uploads.ts';
import type { KubeObject, ResourceType } from '../../../src/kube/index.ts';
import { DATA_MOVER_LABEL } from '../../../src/volumes/data-mover/mover-pod.ts';
import { adminCluster, createNamespace, deleteNamespaceAndWait, waitFor } from '../../helpers/cluster.ts';
import { startCsiDriver, stopCsiDriver } from '../../helpers/csi.ts';
import { createCsiVolumePod } from '../../helpers/csi-volume-pod.ts';
import { writeRandomFile } from '../../helpers/file-tree.ts';
import { uniqueName } from '../../helpers/names.ts';
import { startNodeAgents, useTestUploaderBinaries } from '../../helpers/node-agents.ts';
import { backupAndWait, startTestServer } from '../../helpers/skiff-server.ts';
import { loadTestEnv } from '../../helpers/testenv.ts';
import { join } from 'node:path';

const cluster = adminCluster();
const env = loadTestEnv();
const LARGE = 512 * 1024 * 1024;
const type = (group: string, version: string, resource: string, kind: string, namespaced: boolean): ResourceType => ({
  group,
  version,
  resource,
  kind,
  namespaced,
  verbs: [],
});
const VS = type('snapshot.storage.k8s.io', 'v1', 'volumesnapshots', 'VolumeSnapshot', true);
const VSC = type('snapshot.storage.k8s.io', 'v1', 'volumesnapshotcontents', 'VolumeSnapshotContent', false);
const PODS = type('', 'v1', 'pods', 'Pod', true);
const PVCS = type('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', true);

async function list(t: ResourceType, opts: { namespace?: string; labelSelector?: string } = {}): Promise<KubeObject[]> {
  const out: KubeObject[] = [];
  for await (const o of cluster.list(t, opts)) out.push(o);
  return out;
}

async function theDataUpload(
  serverNs: string,
  check: (du: DataUpload) => boolean,
  timeoutMs = 300_000,
): Promise<DataUpload> {
  return waitFor(
    'the DataUpload',
    async () => {
      const [du] = (await list(DATA_UPLOAD_TYPE, { namespace: serverNs })) as DataUpload[];
      return du && check(du) ? du : undefined;
    },
    timeoutMs,
  );
}

async function nothingLeft(ns: string, serverNs: string): Promise<void> {
  await waitFor(
    'no snapshot, clone, mover pod or claim left',
    async () =>
      [
        ...(await list(VS, { namespace: ns })),
        ...(await list(VS, { namespace: serverNs })),
        ...(await list(VSC, { labelSelector: DATA_MOVER_LABEL })),
        ...(await list(PODS, { namespace: serverNs })),
        ...(await list(PVCS, { namespace: serverNs })),
      ].length === 0,
    120_000,
  );
}

describe('CSI snapshot data movement: faults', { concurrency: false }, () => {
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
        const running = await theDataUpload(server.namespace, (du) => {
          if (du.status?.phase === 'Completed') throw new Error('finished before it could be interrupted');
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
        const [du] = (await list(DATA_UPLOAD_TYPE, { namespace: server.namespace })) as DataUpload[];
        if (fault === 'kill') {
          assert.equal(du?.status?.phase, 'Failed');
          assert.match(
            du?.status?.message ?? '',
            new RegExp(`node agent on ${node} restarted while the upload was in progress`),
          );
        } else {
          assert.equal(du?.status?.phase, 'Canceled', du?.status?.message);
        }
        await cluster.delete(DATA_UPLOAD_TYPE, du?.metadata.name ?? '', server.namespace);
        await nothingLeft(ns, server.namespace);
        await deleteNamespaceAndWait(cluster, ns);
      }
    } finally {
      await agents.stop();
      await server.stop();
    }
  });

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
    await theDataUpload(server.namespace, () => true);
    await stopCsiDriver(env, node);
    const agents = await startNodeAgents({ namespace: server.namespace });
    try {
      const du = await theDataUpload(server.namespace, (d) => d.status?.phase === 'Failed');
      assert.match(
        du.status?.message ?? '',
        /backup of the snapshot of claim .*\/data failed: .*(not ready|not provisioned|not mounted)/,
      );
      await startCsiDriver(env, node);
      const b = await backup;
      assert.equal(b.status?.phase, 'PartiallyFailed', JSON.stringify(b.status));
      await cluster.delete(DATA_UPLOAD_TYPE, du.metadata.name ?? '', server.namespace);
      await nothingLeft(ns, server.namespace);
      await deleteNamespaceAndWait(cluster, ns);
    } finally {
      await startCsiDriver(env, node);
      await agents.stop();
      await server.stop();
    }
  });
});
