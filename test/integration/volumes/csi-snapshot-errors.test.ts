/**
 * CSI snapshot decisions and errors that need no CSI driver, against the real API server and
 * MinIO: a claim bound to a (static) CSI volume is one the backup CSI-snapshots; with no
 * VolumeSnapshotClass for its driver the claim's item fails with an error naming the claim and
 * the driver, the backup ends PartiallyFailed and no VolumeSnapshot is left behind; with
 * snapshotVolumes false nothing is attempted.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Backup } from '../../../src/api/index.ts';
import { planBackupForCluster } from '../../../src/backup/plan-for-cluster.ts';
import { dryRunVolumes } from '../../../src/backup/volumes/dry-run.ts';
import type { KubeObject } from '../../../src/kube/object.ts';
import { adminCluster, core, createNamespace } from '../../helpers/cluster.ts';
import { uniqueName } from '../../helpers/names.ts';
import { backupAndWait, defaultStore, startTestServer, type TestServer } from '../../helpers/skiff-server.ts';

const cluster = adminCluster();
const ns = uniqueName('csierr');
const driver = `${ns}.csi.example.com`;
const storageClass = `${ns}-sc`;
const pvName = `${ns}-pv`;
const STORAGE_CLASSES = { group: 'storage.k8s.io', version: 'v1', resource: 'storageclasses' };
let server: TestServer;

async function results(name: string): Promise<{ errors?: { namespaces?: Record<string, string[]> } }> {
  const store = await defaultStore(server);
  return (await store.getBackupFile(name, 'results')) ?? {};
}

async function volumeInfo(name: string): Promise<unknown[]> {
  const store = await defaultStore(server);
  return ((await store.getBackupFile(name, 'volumeInfo')) ?? []) as unknown[];
}

describe('CSI snapshot backup without a usable VolumeSnapshotClass', { concurrency: false }, () => {
  before(async () => {
    server = await startTestServer(cluster);
    await createNamespace(cluster, ns);
    await cluster.create(STORAGE_CLASSES, {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: storageClass },
      provisioner: driver,
    });
    await cluster.create(core('persistentvolumes'), {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: pvName },
      spec: {
        capacity: { storage: '1Gi' },
        accessModes: ['ReadWriteOnce'],
        storageClassName: storageClass,
        csi: { driver, volumeHandle: `${ns}-handle` },
        claimRef: { namespace: ns, name: 'data' },
        persistentVolumeReclaimPolicy: 'Retain',
      },
    });
    await cluster.create(core('persistentvolumeclaims'), {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data', namespace: ns },
      spec: {
        accessModes: ['ReadWriteOnce'],
        storageClassName: storageClass,
        volumeName: pvName,
        resources: { requests: { storage: '1Gi' } },
      },
    });
  });

  after(async () => {
    await server?.stop();
    await cluster.delete(core('namespaces'), ns).catch(() => undefined);
    await cluster.delete(core('persistentvolumes'), pvName).catch(() => undefined);
    await cluster.delete(STORAGE_CLASSES, storageClass).catch(() => undefined);
  });

  test('no class for the driver: the claim fails naming itself and the driver, PartiallyFailed', async () => {
    const name = uniqueName('b');
    const b: Backup = await backupAndWait(cluster, server.namespace, name, { includedNamespaces: [ns] });
    assert.equal(b.status?.phase, 'PartiallyFailed');
    assert.equal(b.status?.csiVolumeSnapshotsAttempted, 1);
    assert.equal(b.status?.csiVolumeSnapshotsCompleted, 0);
    const errors = (await results(name)).errors?.namespaces?.[ns] ?? [];
    assert.ok(
      errors.some((e) => e.includes(`no VolumeSnapshotClass for driver ${driver} (claim ${ns}/data)`)),
      errors.join('\n'),
    );
    assert.deepEqual(await volumeInfo(name), []);
  });

  test('the dry run says the claim would be CSI-snapshotted, why, and that no class can be chosen', async () => {
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace: ns },
      spec: {
        containers: [{ name: 'c', image: 'busybox', volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }],
      },
      status: { phase: 'Running' },
    };
    const spec = { includedNamespaces: [ns] };
    const plan = await planBackupForCluster(cluster, spec);
    const out = await dryRunVolumes(cluster, { namespace: server.namespace }, { spec, metadata: {} }, plan, [pod]);
    assert.equal(out.volumes.length, 1);
    assert.equal(out.volumes[0]?.method, 'csi-snapshot');
    assert.match(out.volumes[0]?.rule ?? '', /snapshotVolumes unset \(true\)/);
    assert.match(
      out.volumes[0]?.reason ?? '',
      new RegExp(`no VolumeSnapshotClass for driver ${driver.replace(/\./g, '\\.')}`),
    );
  });

  test('snapshotVolumes false: no snapshot is attempted and the backup completes', async () => {
    const name = uniqueName('b');
    const b = await backupAndWait(cluster, server.namespace, name, {
      includedNamespaces: [ns],
      snapshotVolumes: false,
    });
    assert.equal(b.status?.phase, 'Completed');
    assert.equal(b.status?.csiVolumeSnapshotsAttempted, undefined);
  });

  test('a volume policy skipping CSI volumes wins over snapshotVolumes', async () => {
    const cm = uniqueName('policy');
    await cluster.create(core('configmaps'), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: cm, namespace: server.namespace },
      data: { policy: 'version: v1\nvolumePolicies:\n- conditions:\n    csi: {}\n  action:\n    type: skip\n' },
    });
    const name = uniqueName('b');
    const b = await backupAndWait(cluster, server.namespace, name, {
      includedNamespaces: [ns],
      snapshotVolumes: true,
      resourcePolicy: { kind: 'configmap', name: cm },
    });
    assert.equal(b.status?.phase, 'Completed');
    assert.equal(b.status?.csiVolumeSnapshotsAttempted, undefined);
  });
});
