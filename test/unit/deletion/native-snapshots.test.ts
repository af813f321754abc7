import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nativeSnapshotsLeftMessage } from '../../../src/deletion/native-snapshots.ts';

test('a deletion names each native snapshot it leaves in the provider', () => {
  const stored = [
    {
      spec: { backupName: 'b', location: 'aws-east', providerVolumeID: 'vol-0a1', volumeAZ: 'us-east-1a' },
      status: { providerSnapshotID: 'snap-0f2', phase: 'Completed' },
    },
    { spec: {}, status: {} },
  ];
  assert.equal(
    nativeSnapshotsLeftMessage('b', stored),
    "backup b was deleted without its 2 native volume snapshots, which Skiff cannot delete (it has no volume snapshotter): delete them with the provider's tools: snap-0f2 of volume vol-0a1 in location aws-east, (no snapshot ID)",
  );
});

test('no native snapshots, or no file, says nothing', () => {
  assert.equal(nativeSnapshotsLeftMessage('b', []), undefined);
  assert.equal(nativeSnapshotsLeftMessage('b', undefined), undefined);
});
