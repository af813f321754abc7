import assert from 'node:assert/strict';
import { test } from 'node:test';
import { featuresInArgs } from '../../../src/cli/server-features.ts';

test('the features of a server Deployment are read from either form of --features', () => {
  assert.deepEqual(featuresInArgs(['server', '--features=EnableAPIGroupVersions,EnableCSI']), [
    'EnableAPIGroupVersions',
    'EnableCSI',
  ]);
  assert.deepEqual(featuresInArgs(['server', '--features', 'EnableAPIGroupVersions', '--log-level=debug']), [
    'EnableAPIGroupVersions',
  ]);
  assert.deepEqual(featuresInArgs(['server', '--metrics-address=0.0.0.0:8085']), []);
});
