import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildSnapshotLocation } from '../../../src/cli/snapshot-location/snapshot-location-options.ts';
import { snapshotLocationPatch } from '../../../src/cli/snapshot-location/set.ts';

describe('snapshot-location flags', () => {
  test('create builds a VolumeSnapshotLocation with provider, config, credential and labels', () => {
    const { location, problems } = buildSnapshotLocation('ebs', 'velero', {
      provider: 'aws',
      config: ['region=us-east-1,profile=x'],
      credential: 'aws-creds=cloud',
      labels: ['team=a'],
    });
    assert.deepEqual(problems, []);
    assert.deepEqual(location, {
      apiVersion: 'velero.io/v1',
      kind: 'VolumeSnapshotLocation',
      metadata: { name: 'ebs', namespace: 'velero', labels: { team: 'a' } },
      spec: {
        provider: 'aws',
        config: { region: 'us-east-1', profile: 'x' },
        credential: { name: 'aws-creds', key: 'cloud' },
      },
    });
  });

  test('every bad flag is reported at once', () => {
    const { problems } = buildSnapshotLocation('ebs', 'velero', { config: ['region'], credential: 'nokey' });
    assert.equal(problems.length, 3);
    assert.match(problems.join('\n'), /--provider is required/);
    assert.match(problems.join('\n'), /--config: "region" is not key=value/);
    assert.match(problems.join('\n'), /--credential/);
  });

  test('set changes only what its flags name, and refuses to do nothing', () => {
    assert.deepEqual(snapshotLocationPatch({ credential: 's=k' }).patch, { credential: { name: 's', key: 'k' } });
    assert.deepEqual(snapshotLocationPatch({ config: ['region=eu-west-1'] }).patch, {
      config: { region: 'eu-west-1' },
    });
    assert.match(snapshotLocationPatch({}).problems[0] ?? '', /nothing to change/);
  });
});
