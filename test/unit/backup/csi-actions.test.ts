import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  csiPvcAction,
  csiVolumeSnapshotAction,
  csiVolumeSnapshotContentAction,
} from '../../../src/backup/actions/csi-actions.ts';
import type { BackupActionContext, CsiSnapshotter } from '../../../src/backup/actions/types.ts';
import type { KubeObject } from '../../../src/kube/object.ts';

const content: KubeObject = {
  apiVersion: 'snapshot.storage.k8s.io/v1',
  kind: 'VolumeSnapshotContent',
  metadata: { name: 'snapcontent-1' },
  spec: { deletionPolicy: 'Delete', driver: 'hostpath.csi.skiff.dev', volumeSnapshotClassName: 'snapclass' },
  status: { snapshotHandle: 'h-1', readyToUse: true, restoreSize: 2147483648 },
};

const snapshotter: CsiSnapshotter = {
  snapshotClaim: (pvc) =>
    Promise.resolve(
      pvc.metadata.name === 'data' ? { volumeSnapshot: 'velero-data-abcde', rule: 'r', restoreSize: '2Gi' } : undefined,
    ),
  snapshotContent: (name) => Promise.resolve(name === 'snapcontent-1' ? content : undefined),
};

const ctx = (csi?: CsiSnapshotter): BackupActionContext => ({
  backupName: 'nightly',
  listClusterScoped: () => Promise.resolve([]),
  ...(csi ? { csi } : {}),
});

const pvc = (name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name, namespace: 'shop', labels: { app: 'db' } },
  spec: { volumeName: 'pv-1', resources: { requests: { storage: '1Gi' } } },
  status: { phase: 'Bound' },
});

describe('CSI backup item actions (reference §7.3)', () => {
  it('a snapshotted claim carries the snapshot name and backup label, asks for the snapshot size, and brings the VolumeSnapshot', async () => {
    const out = await csiPvcAction.execute(pvc('data'), ctx(snapshotter));
    assert.deepEqual(out.item.metadata.labels, {
      app: 'db',
      'velero.io/volume-snapshot-name': 'velero-data-abcde',
      'velero.io/backup-name': 'nightly',
    });
    assert.equal(out.item.metadata.annotations?.['velero.io/volume-snapshot-name'], 'velero-data-abcde');
    assert.deepEqual((out.item.spec as { resources: unknown }).resources, { requests: { storage: '2Gi' } });
    assert.deepEqual(out.additionalItems, [
      {
        group: 'snapshot.storage.k8s.io',
        resource: 'volumesnapshots',
        namespace: 'shop',
        name: 'velero-data-abcde',
        mustInclude: true,
      },
    ]);
  });

  it('a claim the decision does not snapshot, or any claim in a dry run, is left as it is', async () => {
    const other = pvc('logs');
    assert.equal((await csiPvcAction.execute(other, ctx(snapshotter))).item, other);
    const dry = pvc('data');
    const out = await csiPvcAction.execute(dry, ctx());
    assert.equal(out.item, dry);
    assert.deepEqual(out.additionalItems, []);
  });

  it('a snapshotted claim labelled for a volume group snapshot is a warning naming it: it is snapshotted alone', async () => {
    const grouped = (name: string): KubeObject => {
      const c = pvc(name);
      c.metadata.labels = { ...c.metadata.labels, 'velero.io/volume-group': 'orders' };
      return c;
    };
    const out = await csiPvcAction.execute(grouped('data'), ctx(snapshotter));
    assert.deepEqual(out.warnings, [
      'claim shop/data carries label velero.io/volume-group=orders: it was snapshotted on its own, not together with ' +
        'the other claims of group "orders" in one VolumeGroupSnapshot, as Skiff does not support volume group snapshots',
    ]);
    const moving: CsiSnapshotter = {
      ...snapshotter,
      snapshotClaim: () =>
        Promise.resolve({ volumeSnapshot: 'velero-data-abcde', rule: 'r', dataUpload: 'velero/du-1' }),
    };
    assert.equal((await csiPvcAction.execute(grouped('data'), ctx(moving))).warnings?.length, 1, 'data moved too');
    // Not snapshotted (another method, or a dry run), or not labelled: nothing to say.
    assert.equal((await csiPvcAction.execute(grouped('logs'), ctx(snapshotter))).warnings, undefined);
    assert.equal((await csiPvcAction.execute(grouped('data'), ctx())).warnings, undefined);
    assert.equal((await csiPvcAction.execute(pvc('data'), ctx(snapshotter))).warnings, undefined);
  });

  it("the VolumeSnapshot gets Velero's annotations and brings its content and class", async () => {
    const vs: KubeObject = {
      apiVersion: 'snapshot.storage.k8s.io/v1',
      kind: 'VolumeSnapshot',
      metadata: { name: 'velero-data-abcde', namespace: 'shop' },
      spec: { volumeSnapshotClassName: 'snapclass', source: { persistentVolumeClaimName: 'data' } },
      status: { boundVolumeSnapshotContentName: 'snapcontent-1', readyToUse: true, restoreSize: '2Gi' },
    };
    const out = await csiVolumeSnapshotAction.execute(vs, ctx(snapshotter));
    assert.deepEqual(out.item.metadata.annotations, {
      'velero.io/csi-vsc-deletion-policy': 'Delete',
      'velero.io/csi-driver-name': 'hostpath.csi.skiff.dev',
      'velero.io/csi-volumesnapshot-handle': 'h-1',
      'velero.io/csi-volumesnapshot-restore-size': '2Gi',
    });
    assert.deepEqual(out.additionalItems.map((r) => `${r.resource}/${r.name}`).sort(), [
      'volumesnapshotclasses/snapclass',
      'volumesnapshotcontents/snapcontent-1',
    ]);
    assert.equal(vs.metadata.annotations, undefined, 'the listed object is not changed');
  });

  it('the content is labelled with the backup and brings its class', async () => {
    const out = await csiVolumeSnapshotContentAction.execute(content, ctx(snapshotter));
    assert.equal(out.item.metadata.labels?.['velero.io/backup-name'], 'nightly');
    assert.deepEqual(out.additionalItems, [
      { group: 'snapshot.storage.k8s.io', resource: 'volumesnapshotclasses', name: 'snapclass', mustInclude: true },
    ]);
  });
});
