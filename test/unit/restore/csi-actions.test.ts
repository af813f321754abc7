import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject } from '../../../src/kube/object.ts';
import { prepareItem } from '../../../src/restore/actions/prepare-item.ts';
import { defaultRestoreActions } from '../../../src/restore/actions/registry.ts';
import type { RestoreActionEnv } from '../../../src/restore/actions/types.ts';
import { pvcAdditionalItems, volumeSnapshotAdditionalItems } from '../../../src/restore/plan/volumes.ts';
import { restoredSnapshotName } from '../../../src/volumes/csi/snapshot-objects.ts';
import { obj } from '../../helpers/restore-fixtures.ts';

const env: RestoreActionEnv = {
  restoreName: 'r1',
  backupName: 'b1',
  namespaceMapping: { shop: 'shop2' },
  preserveNodePorts: false,
  restorePVs: true,
  pvDecisions: { 'pv-1': 'dynamic' },
  pluginConfigs: {},
  serviceAccounts: {},
  csi: { restoreUID: 'ruid', nodes: ['node-1'] },
};

function prepare(groupResource: string, o: KubeObject, over: Partial<RestoreActionEnv> = {}) {
  const ns = o.metadata.namespace;
  return prepareItem({
    object: o,
    groupResource,
    sourceNamespace: ns,
    targetNamespace: ns === undefined ? undefined : (env.namespaceMapping[ns] ?? ns),
    env: { ...env, ...over },
    actions: defaultRestoreActions(),
  });
}

const NEW = restoredSnapshotName('ruid', 'velero-data-abcde');

const pvc = (node = 'node-1') =>
  obj('v1', 'PersistentVolumeClaim', 'data', 'shop', {
    metadata: {
      labels: { 'velero.io/volume-snapshot-name': 'velero-data-abcde' },
      annotations: {
        'velero.io/volume-snapshot-name': 'velero-data-abcde',
        'volume.kubernetes.io/selected-node': node,
        'pv.kubernetes.io/bind-completed': 'yes',
      },
    },
    spec: { volumeName: 'pv-1', storageClassName: 'skiff-csi', resources: { requests: { storage: '1Gi' } } },
    status: { phase: 'Bound' },
  });

const vs = obj('snapshot.storage.k8s.io/v1', 'VolumeSnapshot', 'velero-data-abcde', 'shop', {
  metadata: { annotations: { 'velero.io/csi-volumesnapshot-handle': 'h-1' } },
  spec: { source: { persistentVolumeClaimName: 'data' }, volumeSnapshotClassName: 'snapclass' },
  status: { boundVolumeSnapshotContentName: 'snapcontent-1', readyToUse: true },
});

const vsc = obj('snapshot.storage.k8s.io/v1', 'VolumeSnapshotContent', 'snapcontent-1', undefined, {
  spec: {
    deletionPolicy: 'Delete',
    driver: 'hostpath.csi.skiff.dev',
    source: { volumeHandle: 'vol-1' },
    volumeSnapshotClassName: 'snapclass',
    volumeSnapshotRef: { kind: 'VolumeSnapshot', name: 'velero-data-abcde', namespace: 'shop', uid: 'x' },
  },
  status: { snapshotHandle: 'h-1', readyToUse: true },
});

describe('plain CSI restore (reference §7.5)', () => {
  test('the claim is created from the restored VolumeSnapshot, without its volume name', () => {
    const out = prepare('persistentvolumeclaims', pvc()).object;
    const spec = out.spec as Record<string, unknown>;
    assert.equal(spec.volumeName, undefined);
    assert.deepEqual(spec.dataSource, { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: NEW });
    assert.equal(out.metadata.annotations?.['velero.io/volume-snapshot-name'], undefined);
    assert.equal(out.metadata.annotations?.['pv.kubernetes.io/bind-completed'], undefined);
  });

  test('the selected node stays when it exists in the target cluster, and goes when it does not', () => {
    const kept = prepare('persistentvolumeclaims', pvc('node-1')).object;
    assert.equal(kept.metadata.annotations?.['volume.kubernetes.io/selected-node'], 'node-1');
    const gone = prepare('persistentvolumeclaims', pvc('node-9')).object;
    assert.equal(gone.metadata.annotations?.['volume.kubernetes.io/selected-node'], undefined);
  });

  test('the VolumeSnapshot is renamed, bound to the content of the same name, without class', () => {
    const out = prepare('volumesnapshots.snapshot.storage.k8s.io', vs).object;
    assert.equal(out.metadata.name, NEW);
    assert.equal(out.metadata.namespace, 'shop2');
    assert.deepEqual(out.spec, { source: { volumeSnapshotContentName: NEW } });
    assert.equal(out.metadata.annotations?.['velero.io/csi-vsc-deletion-policy'], 'Retain');
    assert.equal(out.metadata.annotations?.['velero.io/csi-volumesnapshot-handle'], 'h-1');
  });

  test('the content becomes a static, retained one for the stored handle', () => {
    const out = prepare('volumesnapshotcontents.snapshot.storage.k8s.io', vsc).object;
    assert.equal(out.metadata.name, NEW);
    assert.deepEqual(out.spec, {
      deletionPolicy: 'Retain',
      driver: 'hostpath.csi.skiff.dev',
      source: { snapshotHandle: 'h-1' },
      volumeSnapshotRef: {
        apiVersion: 'snapshot.storage.k8s.io/v1',
        kind: 'VolumeSnapshot',
        name: NEW,
        namespace: 'shop2',
      },
    });
  });

  test('a VolumeSnapshot without a bound content fails with a reason naming it', () => {
    const unbound = obj('snapshot.storage.k8s.io/v1', 'VolumeSnapshot', 'v', 'shop', { spec: {}, status: {} });
    assert.throws(
      () => prepare('volumesnapshots.snapshot.storage.k8s.io', unbound),
      /VolumeSnapshot shop\/v .*boundVolumeSnapshotContentName/,
    );
  });

  test('restorePVs false: no snapshot objects, the claim without data source or volume name', () => {
    assert.match(
      prepare('volumesnapshots.snapshot.storage.k8s.io', vs, { restorePVs: false }).skip ?? '',
      /restorePVs is false/,
    );
    assert.match(
      prepare('volumesnapshotcontents.snapshot.storage.k8s.io', vsc, { restorePVs: false }).skip ?? '',
      /restorePVs is false/,
    );
    const claim = prepare('persistentvolumeclaims', pvc(), { restorePVs: false }).object;
    const spec = claim.spec as Record<string, unknown>;
    assert.equal(spec.dataSource, undefined);
    assert.equal(spec.volumeName, undefined);
  });

  test('a snapshotted claim pulls in its VolumeSnapshot, which pulls in its content', () => {
    assert.ok(pvcAdditionalItems(pvc()).includes('volumesnapshots.snapshot.storage.k8s.io|shop|velero-data-abcde'));
    assert.deepEqual(volumeSnapshotAdditionalItems(vs), [
      'volumesnapshotcontents.snapshot.storage.k8s.io||snapcontent-1',
    ]);
  });
});
