import assert from 'node:assert/strict';
import { validLabelValue } from '../../../../src/util/label-value.ts';
import { describe, test } from 'node:test';
import type { DataUpload } from '../../../../src/api/index.ts';
import {
  cloneSnapshotObjects,
  dataUploadObject,
  dataUploadOperationID,
  movedVolumeInfo,
  nextUploadStep,
  SNAPSHOT_MANAGED_BY_LABEL,
} from '../../../../src/volumes/data-mover/upload-objects.ts';

const backupUID = '11111111-2222-3333-4444-555555555555';
const pvcUID = '66666666-7777-8888-9999-000000000000';
const input = {
  backup: { name: 'nightly', uid: backupUID, namespace: 'velero' },
  pvc: { name: 'data-db-0', namespace: 'shop', uid: pvcUID },
  volumeSnapshot: 'velero-data-db-0-abcde',
  storageClass: 'fast',
  snapshotClass: 'fast-snap',
  driver: 'csi.example.com',
  location: 'default',
  datamover: '',
  operationTimeout: '10m',
  parallelFilesUpload: 4,
};

function du(status: DataUpload['status'], spec: Partial<DataUpload['spec']> = {}): DataUpload {
  const o = dataUploadObject(input);
  return { ...o, metadata: { ...o.metadata, name: 'nightly-x1' }, spec: { ...o.spec, ...spec }, status };
}

describe('DataUpload objects', () => {
  test('named, labelled, owned and filled as Velero does (§7.3 step 8)', () => {
    const o = dataUploadObject(input);
    assert.equal(o.metadata.generateName, 'nightly-');
    assert.equal(o.metadata.namespace, 'velero');
    const opID = dataUploadOperationID(backupUID, pvcUID);
    // `du-<backupUID>.<pvcUID>` is 76 characters: normalised to 63 (57 + 6 hex of the SHA-256), as Velero does.
    assert.equal(opID, validLabelValue(`du-${backupUID}.${pvcUID}`));
    assert.equal(opID.length, 63);
    assert.ok(opID.startsWith(`du-${backupUID}.`));
    assert.deepEqual(o.metadata.labels, {
      'velero.io/backup-name': 'nightly',
      'velero.io/backup-uid': backupUID,
      'velero.io/pvc-uid': pvcUID,
      'velero.io/async-operation-id': opID,
    });
    assert.equal(o.metadata.labels?.['velero.io/async-operation-id']?.length, 63);
    assert.equal(o.metadata.ownerReferences?.[0]?.kind, 'Backup');
    assert.deepEqual(o.spec, {
      snapshotType: 'CSI',
      csiSnapshot: {
        volumeSnapshot: 'velero-data-db-0-abcde',
        storageClass: 'fast',
        snapshotClass: 'fast-snap',
        driver: 'csi.example.com',
      },
      sourcePVC: 'data-db-0',
      datamover: '',
      backupStorageLocation: 'default',
      sourceNamespace: 'shop',
      operationTimeout: '10m',
      dataMoverConfig: { ParallelFilesUpload: '4' },
    });
  });

  test('phase transitions: who claims, who uploads, cancel', () => {
    assert.equal(nextUploadStep(du(undefined), 'n1', false), 'claim');
    assert.equal(nextUploadStep(du({ phase: 'New' }), 'n1', false), 'claim');
    assert.equal(nextUploadStep(du({ phase: 'Accepted', acceptedByNode: 'n2' }), 'n1', false), 'none');
    assert.equal(nextUploadStep(du({ phase: 'Prepared', node: 'n2' }), 'n1', false), 'none');
    assert.equal(nextUploadStep(du({ phase: 'Prepared', node: 'n1' }), 'n1', false), 'upload');
    assert.equal(nextUploadStep(du({ phase: 'Prepared', node: 'n1' }), 'n1', true), 'none');
    assert.equal(nextUploadStep(du({ phase: 'InProgress', node: 'n1' }, { cancel: true }), 'n1', true), 'cancel');
    for (const phase of ['Completed', 'Failed', 'Canceled'])
      assert.equal(nextUploadStep(du({ phase: phase as 'Completed' }, { cancel: true }), 'n1', false), 'none');
  });

  test('the clone keeps the storage snapshot (Retain) and the managing node, bound to a VolumeSnapshot in the server namespace', () => {
    const { vs, vsc } = cloneSnapshotObjects(
      { name: 'nightly-x1', namespace: 'velero', uid: 'abcdef12-3456' },
      {
        vs: {
          apiVersion: 'v1',
          kind: 'VolumeSnapshot',
          metadata: { name: 'velero-data-db-0-abcde', namespace: 'shop' },
        },
        vsc: {
          metadata: { name: 'snapcontent-1', labels: { [SNAPSHOT_MANAGED_BY_LABEL]: 'node-2' } },
          spec: { driver: 'csi.example.com', volumeSnapshotClassName: 'fast-snap' },
          status: { snapshotHandle: 'snap-123' },
        } as never,
      },
    );
    assert.equal(vs.metadata.namespace, 'velero');
    assert.equal(vs.metadata.name, 'nightly-x1');
    assert.deepEqual(vs.spec, { source: { volumeSnapshotContentName: vsc.metadata.name } });
    const spec = vsc.spec as {
      deletionPolicy: string;
      source: unknown;
      volumeSnapshotRef: { namespace: string; name: string };
    };
    assert.equal(spec.deletionPolicy, 'Retain');
    assert.deepEqual(spec.source, { snapshotHandle: 'snap-123' });
    assert.deepEqual([spec.volumeSnapshotRef.namespace, spec.volumeSnapshotRef.name], ['velero', 'nightly-x1']);
    assert.equal(vsc.metadata.labels?.[SNAPSHOT_MANAGED_BY_LABEL], 'node-2');
    assert.throws(
      () =>
        cloneSnapshotObjects(
          { name: 'a', namespace: 'v', uid: 'u' },
          { vs, vsc: { apiVersion: 'v1', kind: 'VolumeSnapshotContent', metadata: { name: 'c' } } },
        ),
      /has no snapshot handle/,
    );
  });

  test('volume info of moved data (§1.14)', () => {
    const info = movedVolumeInfo(
      du({ phase: 'Completed', snapshotID: 'k1', progress: { totalBytes: 42 }, incrementalBytes: 40 }),
      { pvName: 'pv-1', pvInfo: { reclaimPolicy: 'Delete', labels: {} }, snapshotHandle: 'snap-123', vscName: 'c1' },
    );
    assert.equal(info.backupMethod, 'CSISnapshot');
    assert.equal(info.snapshotDataMoved, true);
    assert.equal(info.result, 'succeeded');
    assert.deepEqual(info.snapshotDataMovementInfo, {
      dataMover: 'velero',
      uploaderType: 'kopia',
      retainedSnapshot: 'velero-data-db-0-abcde',
      snapshotHandle: 'k1',
      size: 42,
      incrementalSize: 40,
      phase: 'Completed',
      operationID: validLabelValue(`du-${backupUID}.${pvcUID}`),
      storageLocation: 'default',
    });
  });
});
