/**
 * The node agent's DataDownload path on the real CSI stack (issue 16 Deliver 4; DATAMOVER-CONTRACT
 * "Restore side"), with a snapshot made directly by the kopia uploader of the source namespace's
 * repository and a DataDownload made by hand as a restore would: the user's claim (CSI class, with
 * the dynamic-restore selector) ends Bound to a PV holding the same tree by SHA-256, directory
 * times included; the PV carries the selector label and its reclaim policy again; the mover's pod
 * and claim are gone. A cancel before the work starts ends Canceled.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Kinds, resourceRef, type DataDownload } from '../../../src/api/index.ts';
import type { KubeObject } from '../../../src/kube/index.ts';
import { dynamicRestoreLabelValue } from '../../../src/restore/actions/data-mover-actions.ts';
import { ensureRepository, openRepository } from '../../../src/volumes/repository/index.ts';
import { DIR_TIMES_ANNOTATION } from '../../../src/volumes/dir-times/record.ts';
import { adminCluster, core, createNamespace, waitFor } from '../../helpers/cluster.ts';
import { waitForCsiVolumeMounted } from '../../helpers/csi.ts';
import { digestTree, makeRichTree, treeSum } from '../../helpers/file-tree.ts';
import { uniqueName } from '../../helpers/names.ts';
import { useServerWithNodeAgents, useTestUploaderBinaries } from '../../helpers/node-agents.ts';
import { loadTestEnv } from '../../helpers/testenv.ts';

const DD = resourceRef(Kinds.DataDownload);
const cluster = adminCluster();
const { csi } = loadTestEnv();

/** The user's claim as the restore creates it: CSI class, no volume, the dynamic-restore selector. */
async function createTargetClaim(ns: string, name: string, selector: string): Promise<void> {
  await cluster.create(core('persistentvolumeclaims'), {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: ns },
    spec: {
      storageClassName: csi.storageClass,
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '1Gi' } },
      selector: { matchLabels: { 'velero.io/dynamic-pv-restore': selector } },
    },
  });
}

async function createDataDownload(
  serverNs: string,
  spec: { pvc: string; namespace: string; snapshotID: string; sourceNamespace: string; snapshotSize?: number },
  extra: { dirTimes?: string; cancel?: boolean } = {},
): Promise<string> {
  const created = await cluster.create(DD, {
    apiVersion: 'velero.io/v2alpha1',
    kind: 'DataDownload',
    metadata: {
      generateName: 'manual-',
      namespace: serverNs,
      labels: { 'velero.io/restore-name': 'manual', 'velero.io/restore-uid': 'manual-uid' },
      ...(extra.dirTimes ? { annotations: { [DIR_TIMES_ANNOTATION]: extra.dirTimes } } : {}),
    },
    spec: {
      targetVolume: { pvc: spec.pvc, pv: '', namespace: spec.namespace },
      backupStorageLocation: 'default',
      datamover: 'velero',
      snapshotID: spec.snapshotID,
      sourceNamespace: spec.sourceNamespace,
      operationTimeout: '5m',
      ...(spec.snapshotSize !== undefined ? { snapshotSize: spec.snapshotSize } : {}),
      ...(extra.cancel ? { cancel: true } : {}),
    },
  });
  return created.metadata.name ?? '';
}

function waitForDataDownload(serverNs: string, name: string, timeoutMs = 300_000): Promise<DataDownload> {
  return waitFor(
    `DataDownload ${name} to finish`,
    async () => {
      const dd = (await cluster.get(DD, name, serverNs)) as DataDownload;
      return ['Completed', 'Failed', 'Canceled'].includes(dd.status?.phase ?? '') ? dd : undefined;
    },
    timeoutMs,
  );
}

/** A snapshot of `tree`, taken by the uploader of `source`'s kopia repository (as a DataUpload would). */
async function kopiaSnapshot(serverNs: string, source: string, tree: string, scratch: string) {
  const key = { volumeNamespace: source, location: 'default', type: 'kopia' as const };
  await ensureRepository(cluster, serverNs, key);
  const uploader = await openRepository(
    { cluster, namespace: serverNs, workRoot: join(scratch, 'repos'), binaries: useTestUploaderBinaries() },
    key,
  );
  await uploader.connect();
  return uploader.backup(tree, { tags: { test: 'data-download' } });
}

describe('node agent: DataDownload on the CSI stack', { concurrency: false }, () => {
  const suite = useServerWithNodeAgents(cluster);

  test('a kopia snapshot is restored into a new CSI volume, which is then bound to the claim', async () => {
    const serverNs = suite.server.namespace;
    const source = uniqueName('dd-src');
    const scratch = await mkdtemp(join(tmpdir(), 'skiff-dd-'));
    try {
      const tree = join(scratch, 'tree');
      await makeRichTree(tree, { largeBytes: 16 * 1024 * 1024, sparseBytes: 4 * 1024 * 1024 });
      const want = await digestTree(tree);
      const snap = await kopiaSnapshot(serverNs, source, tree, scratch);
      assert.ok(snap.dirTimesSnapshotID, 'kopia keeps the directory times in their own snapshot');

      const ns = uniqueName('dd-to');
      await createNamespace(cluster, ns);
      const selector = dynamicRestoreLabelValue('manual-uid', ns, 'data');
      await createTargetClaim(ns, 'data', selector);
      const name = await createDataDownload(
        serverNs,
        {
          pvc: 'data',
          namespace: ns,
          snapshotID: snap.snapshotID,
          sourceNamespace: source,
          snapshotSize: snap.totalBytes,
        },
        { dirTimes: snap.dirTimesSnapshotID ?? '' },
      );
      const dd = await waitForDataDownload(serverNs, name);
      const logs = suite.agents.nodes.map((n) => suite.agents.logs(n)).join('\n');
      assert.equal(dd.status?.phase, 'Completed', `${dd.status?.message ?? ''}\n${logs.slice(-6000)}`);
      assert.ok(dd.status?.node, 'the node that restored it');
      assert.ok(dd.status?.acceptedByNode, 'the node that accepted it');
      assert.equal(dd.status?.progress?.bytesDone, snap.totalBytes);

      const claim = await waitFor('the claim bound', async () => {
        const c = await cluster.get(core('persistentvolumeclaims'), 'data', ns);
        return (c.status as { phase?: string } | undefined)?.phase === 'Bound' ? c : undefined;
      });
      const pvName = (claim.spec as { volumeName: string }).volumeName;
      const pv = await cluster.get(core('persistentvolumes'), pvName);
      assert.equal(pv.metadata.labels?.['velero.io/dynamic-pv-restore'], selector);
      assert.equal((pv.spec as { persistentVolumeReclaimPolicy?: string }).persistentVolumeReclaimPolicy, 'Delete');
      assert.equal(await cluster.find(core('pods'), name, serverNs), undefined, "the mover's pod is gone");
      assert.equal(
        await cluster.find(core('persistentvolumeclaims'), name, serverNs),
        undefined,
        "the mover's claim is gone",
      );

      // A pod of the user's mounts the claim: the data is there, identical.
      await cluster.create(core('pods'), {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'app', namespace: ns },
        spec: {
          containers: [{ name: 'app', image: 'busybox', volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
          volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }],
        },
      });
      const pod = await waitFor('the pod scheduled', async () => {
        const p: KubeObject | undefined = await cluster.find(core('pods'), 'app', ns);
        return (p?.spec as { nodeName?: string } | undefined)?.nodeName ? p : undefined;
      });
      const dir = await waitForCsiVolumeMounted(loadTestEnv(), pod, pvName);
      const got = await digestTree(dir);
      assert.deepEqual(got, want);
      assert.equal(treeSum(got), treeSum(want), 'SHA-256 over the tree');
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });

  test('a DataDownload canceled before it starts ends Canceled and leaves nothing behind', async () => {
    const serverNs = suite.server.namespace;
    const ns = uniqueName('dd-cancel');
    await createNamespace(cluster, ns);
    await createTargetClaim(ns, 'data', dynamicRestoreLabelValue('manual-uid', ns, 'data'));
    const name = await createDataDownload(
      serverNs,
      { pvc: 'data', namespace: ns, snapshotID: 'no-such-snapshot', sourceNamespace: ns },
      { cancel: true },
    );
    const dd = await waitForDataDownload(serverNs, name, 60_000);
    assert.equal(dd.status?.phase, 'Canceled', dd.status?.message);
    assert.equal(await cluster.find(core('pods'), name, serverNs), undefined);
    assert.equal(await cluster.find(core('persistentvolumeclaims'), name, serverNs), undefined);
  });

  test('a snapshot that is not in the repository fails the DataDownload with the reason, and the mover goes', async () => {
    const serverNs = suite.server.namespace;
    const ns = uniqueName('dd-missing');
    await createNamespace(cluster, ns);
    await ensureRepository(cluster, serverNs, { volumeNamespace: ns, location: 'default', type: 'kopia' });
    await createTargetClaim(ns, 'data', dynamicRestoreLabelValue('manual-uid', ns, 'data'));
    const name = await createDataDownload(serverNs, {
      pvc: 'data',
      namespace: ns,
      snapshotID: 'k0123456789abcdef0123456789abcdef',
      sourceNamespace: ns,
    });
    const dd = await waitForDataDownload(serverNs, name);
    assert.equal(dd.status?.phase, 'Failed');
    assert.match(dd.status?.message ?? '', /data download failed/);
    await waitFor("the mover's pod and claim gone", async () => {
      const left =
        (await cluster.find(core('pods'), name, serverNs)) ??
        (await cluster.find(core('persistentvolumeclaims'), name, serverNs));
      return left === undefined;
    });
  });

  test('the agent restoring is killed: the DataDownload ends Failed when it is back, the mover goes', async () => {
    const serverNs = suite.server.namespace;
    const source = uniqueName('dd-kill-src');
    const scratch = await mkdtemp(join(tmpdir(), 'skiff-dd-'));
    try {
      const tree = join(scratch, 'tree');
      await makeRichTree(tree, { largeBytes: 256 * 1024 * 1024, sparseBytes: 4 * 1024 * 1024 });
      const snap = await kopiaSnapshot(serverNs, source, tree, scratch);
      const ns = uniqueName('dd-kill');
      await createNamespace(cluster, ns);
      await createTargetClaim(ns, 'data', dynamicRestoreLabelValue('manual-uid', ns, 'data'));
      const name = await createDataDownload(serverNs, {
        pvc: 'data',
        namespace: ns,
        snapshotID: snap.snapshotID,
        sourceNamespace: source,
        snapshotSize: snap.totalBytes,
      });
      const seen = await waitFor(
        'the DataDownload in progress',
        async () => {
          const dd = (await cluster.get(DD, name, serverNs)) as DataDownload;
          return ['InProgress', 'Completed', 'Failed'].includes(dd.status?.phase ?? '') ? dd.status : undefined;
        },
        300_000,
      );
      assert.equal(seen.phase, 'InProgress', 'the restore ended before the agent could be killed');
      const node = seen.node ?? '';
      await suite.agents.restart(node);
      const dd = await waitForDataDownload(serverNs, name, 120_000);
      assert.equal(dd.status?.phase, 'Failed');
      assert.match(dd.status?.message ?? '', new RegExp(`node agent on ${node} restarted`));
      await waitFor("the mover's pod and claim gone", async () => {
        const left =
          (await cluster.find(core('pods'), name, serverNs)) ??
          (await cluster.find(core('persistentvolumeclaims'), name, serverNs));
        return left === undefined;
      });
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });
});
