import assert from 'node:assert/strict';
import { test } from 'node:test';
import { featuresInArgs, flagInArgs } from '../../../src/cli/server-features.ts';

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

test('a flag of the server Deployment is read in each form a command line gives it; the last one wins', () => {
  const flag = '--default-volumes-to-fs-backup';
  assert.equal(flagInArgs(['server', `${flag}=false`], flag), 'false');
  assert.equal(flagInArgs(['server', flag, '--log-level=debug'], flag), 'true');
  assert.equal(flagInArgs(['server', flag], flag), 'true');
  assert.equal(flagInArgs(['server', flag, 'false'], flag), 'false');
  assert.equal(flagInArgs(['server', `${flag}=true`, `${flag}=false`], flag), 'false');
  assert.equal(flagInArgs(['server', '--default-volumes-to-fs-backup-x=true'], flag), undefined);
});
