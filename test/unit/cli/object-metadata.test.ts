import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newObjectMetadata } from '../../../src/cli/flags.ts';

describe('newObjectMetadata', () => {
  test('no --labels or --annotations: the object carries no empty maps', () => {
    assert.deepEqual(newObjectMetadata('nightly', 'velero', {}, {}), { name: 'nightly', namespace: 'velero' });
  });

  test('given labels and annotations are kept as given', () => {
    assert.deepEqual(newObjectMetadata('nightly', 'velero', { team: 'web' }, { note: 'x' }), {
      name: 'nightly',
      namespace: 'velero',
      labels: { team: 'web' },
      annotations: { note: 'x' },
    });
  });
});
