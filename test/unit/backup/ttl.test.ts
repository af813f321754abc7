import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { effectiveTtl, expirationOf } from '../../../src/backup/ttl.ts';

describe('backup TTL (reference §1.1, §3.10)', () => {
  test('an unset or zero TTL, in any spelling, means the server default', () => {
    for (const ttl of [undefined, '', '0', '0s', '0h0m0s', '0m'])
      assert.equal(effectiveTtl(ttl, '720h'), '720h', String(ttl));
  });

  test('any other TTL is kept, and an invalid one is left for validation to name', () => {
    assert.equal(effectiveTtl('72h0m0s', '720h'), '72h0m0s');
    assert.equal(effectiveTtl('1s', '720h'), '1s');
    assert.equal(effectiveTtl('three days', '720h'), 'three days');
  });

  test('the expiration of a velero-CLI backup (ttl 0s) is start + 720h', () => {
    const start = new Date('2026-01-01T00:00:00Z');
    assert.equal(expirationOf(start, '0s', '720h').toISOString(), '2026-01-31T00:00:00.000Z');
    assert.equal(expirationOf(start, '1h30m', '720h').toISOString(), '2026-01-01T01:30:00.000Z');
  });
});
