import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resetMetadataAndStatus, resetMetadataAndStatusShallow } from '../../../src/restore/actions/generic-clean.ts';
import type { KubeObject } from '../../../src/kube/object.ts';
import { cloneJson } from '../../../src/util/json.ts';

const backedUp = (): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: {
    name: 'cm',
    namespace: 'ns',
    uid: 'u-1',
    resourceVersion: '42',
    creationTimestamp: '2026-01-01T00:00:00Z',
    labels: { app: 'a' },
    managedFields: [{ manager: 'm', operation: 'Update' }],
    ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'u-2' }],
  },
  data: { key: 'value' },
  status: { phase: 'x' },
});

test('the shallow reset gives the same object, key order included, as the deep one', () => {
  const deep = resetMetadataAndStatus(backedUp());
  const shallow = resetMetadataAndStatusShallow(backedUp());
  assert.equal(JSON.stringify(shallow.object), JSON.stringify(deep.object));
  assert.deepEqual(shallow.status, deep.status);
});

test('the shallow reset leaves the original object as it was when the copy is prepared further', () => {
  const original = backedUp();
  const before = cloneJson(original);
  const { object } = resetMetadataAndStatusShallow(original);
  object.metadata.namespace = 'target';
  object.metadata.labels = { ...object.metadata.labels, 'velero.io/restore-name': 'r' };
  assert.deepEqual(original, before);
});
