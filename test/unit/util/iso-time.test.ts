import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IsoTimeFormatter } from '../../../src/util/iso-time.ts';

test('each timestamp reads as toISOString gives it, across seconds, days and back in time', () => {
  const f = new IsoTimeFormatter();
  const start = Date.UTC(2026, 11, 31, 23, 59, 58, 990);
  for (const ms of [start, start + 5, start + 10, start + 1009, start + 1010, start + 2500, start - 86_400_000, 0, 7]) {
    assert.equal(f.format(ms), new Date(ms).toISOString());
  }
});
