import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CONTENT_FINALIZER, temporaryContentState } from '../../../src/deletion/csi-snapshots.ts';
import type { KubeObject } from '../../../src/kube/object.ts';

const content = (status?: Record<string, unknown>, finalizers?: string[]): KubeObject => ({
  apiVersion: 'snapshot.storage.k8s.io/v1',
  kind: 'VolumeSnapshotContent',
  metadata: { name: 'snapcontent-1', ...(finalizers ? { finalizers } : {}) },
  spec: { deletionPolicy: 'Delete', driver: 'csi.example', source: { snapshotHandle: 'snap-1' } },
  ...(status ? { status } : {}),
});

test('a temporary content may go only with both the finalizer and the confirmed snapshot in its status', () => {
  // The finalizer alone: the sidecar would drop it without DeleteSnapshot.
  assert.deepEqual(temporaryContentState(content(undefined, [CONTENT_FINALIZER])), { kind: 'pending' });
  // The status alone: the API server would remove the content before any sidecar saw it deleted.
  assert.deepEqual(temporaryContentState(content({ snapshotHandle: 'snap-1', readyToUse: true })), { kind: 'pending' });
  assert.deepEqual(temporaryContentState(undefined), { kind: 'pending' });
  assert.deepEqual(
    temporaryContentState(content({ snapshotHandle: 'snap-1', readyToUse: true }, [CONTENT_FINALIZER])),
    {
      kind: 'confirmed',
    },
  );
});

test('a snapshot the driver no longer has is missing; other errors keep waiting', () => {
  const missing =
    'Failed to check and update snapshot content: failed to list snapshot for content x: "rpc error: code = NotFound desc = snapshot snap-1 not found"';
  assert.deepEqual(temporaryContentState(content({ error: { message: missing } })), {
    kind: 'missing',
    error: missing,
  });
  const down = 'rpc error: code = Unavailable desc = connection refused';
  assert.deepEqual(temporaryContentState(content({ error: { message: down } })), { kind: 'pending', error: down });
});
