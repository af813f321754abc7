import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Backup } from '../../../src/api/index.ts';
import { syncedPodVolumeBackup, SYNCED_ANNOTATION } from '../../../src/controllers/backup-sync-pod-volumes.ts';

const backup = { metadata: { name: 'b1', namespace: 'velero', uid: 'new-uid' } } as Backup;

test('a stored PodVolumeBackup comes back in this namespace and location, owned by the new Backup, status kept (§5.4 step 4)', () => {
  const stored = {
    apiVersion: 'velero.io/v1',
    kind: 'PodVolumeBackup',
    metadata: {
      name: 'b1-abcde',
      namespace: 'old-ns',
      uid: 'old-pvb-uid',
      resourceVersion: '7',
      creationTimestamp: '2026-01-01T00:00:00Z',
      labels: { 'velero.io/backup-name': 'b1', 'velero.io/backup-uid': 'old-uid', 'velero.io/pvc-uid': 'p1' },
      annotations: { 'velero.io/pvc-name': 'data', 'skiff.io/dir-times-snapshot': 'k-times' },
      ownerReferences: [{ apiVersion: 'velero.io/v1', kind: 'Backup', name: 'b1', uid: 'old-uid', controller: true }],
    },
    spec: { node: 'n1', volume: 'data', backupStorageLocation: 'old', uploaderType: 'kopia' },
    status: { phase: 'Completed', snapshotID: 'k1' },
  };
  const made = syncedPodVolumeBackup(stored, { backup, namespace: 'skiff', location: 'primary' });
  assert.ok(typeof made !== 'string');
  assert.deepEqual(made.object, {
    apiVersion: 'velero.io/v1',
    kind: 'PodVolumeBackup',
    metadata: {
      name: 'b1-abcde',
      namespace: 'skiff',
      labels: { 'velero.io/backup-name': 'b1', 'velero.io/backup-uid': 'new-uid', 'velero.io/pvc-uid': 'p1' },
      annotations: {
        'velero.io/pvc-name': 'data',
        'skiff.io/dir-times-snapshot': 'k-times',
        [SYNCED_ANNOTATION]: 'primary',
      },
      ownerReferences: [{ apiVersion: 'velero.io/v1', kind: 'Backup', name: 'b1', uid: 'new-uid', controller: true }],
    },
    spec: { node: 'n1', volume: 'data', backupStorageLocation: 'primary', uploaderType: 'kopia' },
  });
  assert.deepEqual(made.status, { phase: 'Completed', snapshotID: 'k1' });
});

test('a stored record that is not an object or has no name is refused with the reason', () => {
  const target = { backup, namespace: 'skiff', location: 'primary' };
  assert.equal(syncedPodVolumeBackup('x', target), 'it is not an object');
  assert.equal(syncedPodVolumeBackup({ metadata: {} }, target), 'it has no metadata.name');
});
