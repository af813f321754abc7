import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../../../src/kube/object.ts';
import {
  canonicalJson,
  isLocationApproved,
  locationApprovalStatus,
  locationSpecHash,
} from '../../../src/tenant/location-approval.ts';

const location = (spec: object): KubeObject => ({
  apiVersion: 'tenant.skiff.dev/v1alpha1',
  kind: 'TenantStorageLocation',
  metadata: { name: 'own', namespace: 'team-a' },
  spec,
});
const approval = (namespace: string, name: string, specHash: string): KubeObject => ({
  apiVersion: 'tenant.skiff.dev/v1alpha1',
  kind: 'StorageApproval',
  metadata: { name: 'x' },
  spec: { location: { namespace, name }, specHash },
});

test('the spec hash ignores key order and changes with any value', () => {
  assert.equal(
    canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: 'x' } }),
    '{"a":{"c":"x","d":[2,{"e":0,"f":1}]},"b":1}',
  );
  const a = locationSpecHash({ provider: 'aws', objectStorage: { bucket: 'b', prefix: 'p' } });
  assert.equal(a, locationSpecHash({ objectStorage: { prefix: 'p', bucket: 'b' }, provider: 'aws' }));
  assert.notEqual(a, locationSpecHash({ provider: 'aws', objectStorage: { bucket: 'b', prefix: 'q' } }));
  assert.match(a, /^[0-9a-f]{64}$/);
});

test('approved only by an approval naming this location and its current hash', () => {
  const loc = location({ provider: 'aws', objectStorage: { bucket: 'b' } });
  const hash = locationSpecHash(loc.spec);
  assert.ok(isLocationApproved(loc, [approval('team-a', 'own', hash)]));
  assert.ok(!isLocationApproved(loc, [approval('team-b', 'own', hash)]));
  assert.ok(!isLocationApproved(loc, [approval('team-a', 'other', hash)]));
  assert.ok(!isLocationApproved(loc, [approval('team-a', 'own', 'f'.repeat(64))]));
  const edited = location({ provider: 'aws', objectStorage: { bucket: 'c' } });
  assert.equal(locationApprovalStatus(edited, [approval('team-a', 'own', hash)]).phase, 'Pending');
  assert.equal(locationApprovalStatus(loc, [approval('team-a', 'own', hash)]).phase, 'Approved');
});
