// exclusive-test: stops and restarts the shared CSI driver
/**
 * The CSI test stack itself (issue 16 deliverable 1, scripts/testenv/csi.sh): dynamic provisioning through
 * csi-provisioner, the harness's kubelet bind-mounting the volume into the pod's kubelet folder, snapshots through
 * snapshot-controller + csi-snapshotter, restore from a snapshot, and a driver restart. Skiff's own CSI backup
 * builds on these; here only the stack is proven.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Cluster, KubeObject, ResourceRef } from '../../../src/kube/index.ts';
import { adminCluster, core, createNamespace, waitFor } from '../../helpers/cluster.ts';
import { startCsiDriver, stopCsiDriver, waitForCsiVolumeMounted } from '../../helpers/csi.ts';
import { isMountPoint } from '../../../src/volumes/node-agent/mount-point.ts';
import { digestTree, makeRichTree } from '../../helpers/file-tree.ts';
import { uniqueName } from '../../helpers/names.ts';
import { loadTestEnv, type TestEnv } from '../../helpers/testenv.ts';

const snapshots: ResourceRef = { group: 'snapshot.storage.k8s.io', version: 'v1', resource: 'volumesnapshots' };
const contents: ResourceRef = { group: 'snapshot.storage.k8s.io', version: 'v1', resource: 'volumesnapshotcontents' };

let env: TestEnv;
let cluster: Cluster;
const namespaces: string[] = [];

async function newNamespace(): Promise<string> {
  const ns = uniqueName('csi-stack');
  await createNamespace(cluster, ns);
  namespaces.push(ns);
  return ns;
}

async function createClaim(
  ns: string,
  name: string,
  opts: { fromSnapshot?: string; node?: string; storageClass?: string } = {},
): Promise<void> {
  await cluster.create(core('persistentvolumeclaims'), {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name,
      namespace: ns,
      // A snapshot lives on one node: the restored volume must be made there (testenv §11, per-node pitfalls).
      ...(opts.node ? { annotations: { 'volume.kubernetes.io/selected-node': opts.node } } : {}),
    },
    spec: {
      storageClassName: opts.storageClass ?? env.csi.storageClass,
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '1Gi' } },
      ...(opts.fromSnapshot
        ? { dataSource: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: opts.fromSnapshot } }
        : {}),
    },
  });
}

/** A pod mounting `claim`; resolves once it runs and its volume is bind-mounted, with the volume's directory. */
async function createPod(
  ns: string,
  name: string,
  claim: string,
  node?: string,
): Promise<{ pod: KubeObject; node: string; pv: string; dir: string }> {
  await cluster.create(core('pods'), {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns },
    spec: {
      ...(node ? { nodeSelector: { 'kubernetes.io/hostname': node } } : {}),
      containers: [{ name: 'app', image: 'busybox', volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: claim } }],
    },
  });
  const pod = await waitFor(`pod ${ns}/${name} running`, async () => {
    const p = await cluster.find(core('pods'), name, ns);
    return (p?.status as { phase?: string } | undefined)?.phase === 'Running' ? p : undefined;
  });
  const pv = await waitFor(`claim ${ns}/${claim} bound`, async () => {
    const c = await cluster.get(core('persistentvolumeclaims'), claim, ns);
    return (c.spec as { volumeName?: string }).volumeName;
  });
  const dir = await waitForCsiVolumeMounted(env, pod, pv);
  return { pod, node: (pod.spec as { nodeName: string }).nodeName, pv, dir };
}

async function snapshot(ns: string, name: string, claim: string): Promise<KubeObject> {
  await cluster.create(snapshots, {
    apiVersion: 'snapshot.storage.k8s.io/v1',
    kind: 'VolumeSnapshot',
    metadata: { name, namespace: ns },
    spec: { volumeSnapshotClassName: env.csi.snapshotClass, source: { persistentVolumeClaimName: claim } },
  });
  return waitFor(`snapshot ${ns}/${name} ready`, async () => {
    const s = await cluster.get(snapshots, name, ns);
    return (s.status as { readyToUse?: boolean } | undefined)?.readyToUse === true ? s : undefined;
  });
}

describe('CSI test stack', () => {
  before(() => {
    env = loadTestEnv();
    cluster = adminCluster();
  });
  after(async () => {
    for (const ns of namespaces) await cluster.delete(core('namespaces'), ns).catch(() => undefined);
  });

  test('a skiff-csi claim is provisioned and bind-mounted into its pod; a restore from its snapshot has the snapshot-time tree', async () => {
    const ns = await newNamespace();
    await createClaim(ns, 'data');
    const writer = await createPod(ns, 'writer', 'data');
    assert.ok(await isMountPoint(writer.dir), `${writer.dir} is a bind mount, not a folder or symlink`);
    const pv = await cluster.get(core('persistentvolumes'), writer.pv);
    const csi = (pv.spec as { csi?: { driver?: string; volumeHandle?: string } }).csi;
    assert.equal(csi?.driver, env.csi.driver);

    await makeRichTree(writer.dir, { largeBytes: 2 * 1024 * 1024, sparseBytes: 4 * 1024 * 1024, smallFiles: 20 });
    // Written through the mount, the data is in the driver's volume directory under the node's host root.
    assert.ok(existsSync(join(env.nodeRoot(writer.node), 'var/lib/skiff-csi', csi?.volumeHandle ?? '?', 'large.bin')));
    const atSnapshot = await digestTree(writer.dir);

    const snap = await snapshot(ns, 'snap', 'data');
    const contentName = (snap.status as { boundVolumeSnapshotContentName?: string }).boundVolumeSnapshotContentName;
    assert.ok(contentName, 'the snapshot is bound to a content');
    const content = await cluster.get(contents, contentName);
    assert.equal((content.spec as { driver?: string }).driver, env.csi.driver);

    // Changed after the snapshot: must not reach the restored volume.
    await writeFile(join(writer.dir, 'after-snapshot.txt'), 'too late\n');
    await writeFile(join(writer.dir, 'docs/file-1.txt'), 'changed after the snapshot\n');

    await createClaim(ns, 'restored', { fromSnapshot: 'snap', node: writer.node });
    const reader = await createPod(ns, 'reader', 'restored', writer.node);
    assert.notEqual(reader.pv, writer.pv);
    assert.deepEqual(await digestTree(reader.dir), atSnapshot);

    // Pod deleted: the harness unpublishes its volume.
    await cluster.delete(core('pods'), 'writer', ns);
    await waitFor(`${writer.dir} to be unmounted`, async () => !(await isMountPoint(writer.dir)));
  });

  test('a driver restart keeps its volumes and snapshots, and the stack serves again afterwards', async () => {
    const ns = await newNamespace();
    await createClaim(ns, 'data', { storageClass: env.csi.storageClassImmediate });
    const first = await createPod(ns, 'first', 'data');
    await writeFile(join(first.dir, 'kept.txt'), 'still here\n');
    await snapshot(ns, 'before-restart', 'data');

    await stopCsiDriver(env, first.node);
    await startCsiDriver(env, first.node);

    // The volume was not lost, and the restarted driver still knows it: a new pod mounts it with its data.
    await cluster.delete(core('pods'), 'first', ns);
    await waitFor(`${first.dir} to be unmounted`, async () => !(await isMountPoint(first.dir)));
    const second = await createPod(ns, 'second', 'data', first.node);
    assert.equal(second.pv, first.pv);
    assert.equal(await readFile(join(second.dir, 'kept.txt'), 'utf8'), 'still here\n');
    // Snapshot and restore work through the restarted sidecars, from a snapshot taken before the restart.
    await snapshot(ns, 'after-restart', 'data');
    await createClaim(ns, 'restored', { fromSnapshot: 'before-restart', node: first.node });
    const restored = await createPod(ns, 'restored', 'restored', first.node);
    assert.deepEqual(
      (await digestTree(restored.dir)).map((e) => e.path),
      ['kept.txt'],
    );
    assert.equal(await readFile(join(restored.dir, 'kept.txt'), 'utf8'), 'still here\n');
  });
});
