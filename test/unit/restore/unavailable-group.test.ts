import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Discovery } from '../../../src/kube/discovery.ts';
import { TargetTypes } from '../../../src/restore/plan/target-types.ts';

test('an item of an API group whose APIService does not answer is refused naming the group, not as unserved', () => {
  const discovery = new Discovery([], new Map([['metrics.acme.io', 'v1beta1']]), [
    { group: 'metrics.acme.io', version: 'v1beta1' },
  ]);
  const lookup = new TargetTypes(discovery, []).forItem('metrics.acme.io', 'samples', 'metrics.acme.io/v1beta1');
  assert.ok('error' in lookup);
  assert.match(lookup.error, /API group metrics\.acme\.io\/v1beta1 of the target cluster is unavailable/);
  assert.match(lookup.error, /APIService v1beta1\.metrics\.acme\.io/);
});
