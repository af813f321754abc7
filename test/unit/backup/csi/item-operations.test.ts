/** The backup's item operations of its DataUploads (reference §1.14) and the status counters (§1.1). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DataUpload } from '../../../../src/api/index.ts';
import { dataUploadOperation, itemOperationCounts } from '../../../../src/backup/csi/item-operations.ts';
import { itemOperationLines } from '../../../../src/cli/backup/describe-format.ts';

const backup = { name: 'nightly', uid: 'b-uid' };
const upload = (name: string, status: DataUpload['status']): DataUpload => ({
  apiVersion: 'velero.io/v2alpha1',
  kind: 'DataUpload',
  metadata: {
    name,
    namespace: 'velero',
    creationTimestamp: '2026-12-05T10:00:00Z',
    labels: { 'velero.io/pvc-uid': `pvc-uid-${name}` },
  },
  spec: { snapshotType: 'CSI', sourceNamespace: 'shop', sourcePVC: `data-${name}`, backupStorageLocation: 'default' },
  status,
});

test('a completed DataUpload is a Completed operation of the CSI PVC action, in bytes, naming the claim and itself', () => {
  const op = dataUploadOperation(
    upload('a', {
      phase: 'Completed',
      startTimestamp: '2026-12-05T10:00:05Z',
      completionTimestamp: '2026-12-05T10:01:00Z',
      progress: { totalBytes: 2048, bytesDone: 2048 },
    }),
    backup,
  );
  assert.deepEqual(op, {
    spec: {
      backupName: 'nightly',
      backupUID: 'b-uid',
      backupItemAction: 'velero.io/csi-pvc-backupper',
      resourceIdentifier: { Group: '', Resource: 'persistentvolumeclaims', Namespace: 'shop', Name: 'data-a' },
      operationID: 'du-b-uid.pvc-uid-a',
      postOperationItems: [{ Group: 'velero.io', Resource: 'datauploads', Namespace: 'velero', Name: 'a' }],
    },
    status: {
      phase: 'Completed',
      nTotal: 2048,
      nCompleted: 2048,
      operationUnits: 'Bytes',
      description: 'Completed',
      created: '2026-12-05T10:00:00Z',
      started: '2026-12-05T10:00:05Z',
      updated: '2026-12-05T10:01:00Z',
    },
  });
});

test('failed and canceled DataUploads are Failed operations with the reason; the counters and describe say so', () => {
  const ops = [
    dataUploadOperation(upload('a', { phase: 'Completed' }), backup),
    dataUploadOperation(upload('b', { phase: 'Failed', message: 'node agent restarted' }), backup),
    dataUploadOperation(upload('c', { phase: 'Canceled' }), backup),
  ];
  assert.deepEqual(
    ops.map((o) => [o.status.phase, o.status.error]),
    [
      ['Completed', undefined],
      ['Failed', 'DataUpload is failed: node agent restarted'],
      ['Failed', 'DataUpload is canceled'],
    ],
  );
  const counts = itemOperationCounts(ops);
  assert.deepEqual(counts, {
    backupItemOperationsAttempted: 3,
    backupItemOperationsCompleted: 1,
    backupItemOperationsFailed: 2,
  });
  assert.deepEqual(itemOperationLines(counts), [
    '',
    'Backup Item Operations:  1 of 3 completed successfully, 2 failed (specify --details for more information)',
  ]);
  assert.deepEqual(itemOperationCounts([]), {});
  assert.deepEqual(itemOperationLines({}), []);
});
