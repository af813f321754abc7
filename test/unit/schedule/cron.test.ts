import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseCronSchedule } from '../../../src/schedule/cron.ts';

/** The next `n` runs after `from`, as ISO strings without seconds. */
function runs(expr: string, from: string, n = 4): string[] {
  const cron = parseCronSchedule(expr);
  const out: string[] = [];
  let t = new Date(from);
  for (let i = 0; i < n; i++) {
    const next = cron.next(t);
    assert.ok(next, `${expr} has a run after ${t.toISOString()}`);
    out.push(next.toISOString().slice(0, 16));
    t = next;
  }
  return out;
}

function rejects(expr: string, pattern: RegExp): void {
  assert.throws(
    () => parseCronSchedule(expr),
    (err: Error) => {
      assert.match(err.message, /spec\.schedule/);
      assert.match(err.message, pattern);
      return true;
    },
  );
}

describe('schedule expressions, read as Velero (robfig/cron standard) reads them', () => {
  test('five fields in UTC, the next run strictly after the given time', () => {
    assert.deepEqual(runs('0 1 * * *', '2025-01-01T01:00:00Z', 2), ['2025-01-02T01:00', '2025-01-03T01:00']);
    assert.deepEqual(runs('*/15 * * * *', '2025-01-01T00:07:00Z', 3), [
      '2025-01-01T00:15',
      '2025-01-01T00:30',
      '2025-01-01T00:45',
    ]);
  });

  test('day-of-month and day-of-week are ORed when both are restricted', () => {
    // The 1st of each month, and every Monday.
    assert.deepEqual(runs('0 0 1 * 1', '2025-01-25T00:00:00Z', 4), [
      '2025-01-27T00:00',
      '2025-02-01T00:00',
      '2025-02-03T00:00',
      '2025-02-10T00:00',
    ]);
    // A stepped field is restricted too (robfig clears the star bit for steps > 1): odd days or Mondays.
    assert.deepEqual(runs('0 0 */2 * 1', '2025-01-01T00:00:00Z', 4), [
      '2025-01-03T00:00',
      '2025-01-05T00:00',
      '2025-01-06T00:00',
      '2025-01-07T00:00',
    ]);
  });

  test('and ANDed when either is * or ?', () => {
    assert.deepEqual(runs('0 0 * * MON', '2025-01-01T00:00:00Z', 2), ['2025-01-06T00:00', '2025-01-13T00:00']);
    assert.deepEqual(runs('0 0 ? * 1', '2025-01-01T00:00:00Z', 2), ['2025-01-06T00:00', '2025-01-13T00:00']);
    assert.deepEqual(runs('0 0 1 * ?', '2025-01-25T00:00:00Z', 2), ['2025-02-01T00:00', '2025-03-01T00:00']);
  });

  test('descriptors', () => {
    assert.deepEqual(runs('@daily', '2025-01-01T10:00:00Z', 1), ['2025-01-02T00:00']);
    assert.deepEqual(runs('@midnight', '2025-01-01T10:00:00Z', 1), ['2025-01-02T00:00']);
    assert.deepEqual(runs('@hourly', '2025-01-01T10:10:00Z', 1), ['2025-01-01T11:00']);
    assert.deepEqual(runs('@weekly', '2025-01-01T10:00:00Z', 1), ['2025-01-05T00:00']);
    assert.deepEqual(runs('@monthly', '2025-01-31T10:00:00Z', 1), ['2025-02-01T00:00']);
    assert.deepEqual(runs('@yearly', '2025-06-01T00:00:00Z', 1), ['2026-01-01T00:00']);
    assert.deepEqual(runs('@annually', '2025-06-01T00:00:00Z', 1), ['2026-01-01T00:00']);
  });

  test('@every is an interval from the reference time, whole seconds', () => {
    assert.deepEqual(runs('@every 6h', '2025-01-01T00:07:00Z', 2), ['2025-01-01T06:07', '2025-01-01T12:07']);
    assert.deepEqual(runs('@every 1h30m', '2025-01-01T00:00:00Z', 2), ['2025-01-01T01:30', '2025-01-01T03:00']);
    const cron = parseCronSchedule('@every 1m');
    assert.equal(cron.next(new Date('2025-01-01T00:00:00.750Z'))?.toISOString(), '2025-01-01T00:01:00.000Z');
  });

  test('CRON_TZ= and TZ= read the fields in that zone, across DST changes', () => {
    const berlin = parseCronSchedule('CRON_TZ=Europe/Berlin 0 3 * * *');
    assert.equal(berlin.timeZone, 'Europe/Berlin');
    // 03:00 Berlin is 02:00Z in winter and 01:00Z in summer (DST began 2025-03-30).
    assert.deepEqual(runs('CRON_TZ=Europe/Berlin 0 3 * * *', '2025-03-29T00:00:00Z', 3), [
      '2025-03-29T02:00',
      '2025-03-30T01:00',
      '2025-03-31T01:00',
    ]);
    assert.deepEqual(runs('TZ=America/New_York 30 9 * * 1-5', '2025-01-03T00:00:00Z', 2), [
      '2025-01-03T14:30',
      '2025-01-06T14:30',
    ]);
    assert.equal(parseCronSchedule('0 3 * * *').timeZone, 'UTC');
  });

  test('a fixed time inside the spring-forward gap runs once, at the first time after it', () => {
    // 02:30 does not exist in Berlin on 2025-03-30; croner runs at 03:00 local (01:00Z).
    assert.deepEqual(runs('CRON_TZ=Europe/Berlin 30 2 * * *', '2025-03-29T12:00:00Z', 2), [
      '2025-03-30T01:00',
      '2025-03-31T00:30',
    ]);
  });

  test('a fixed time in the hour repeated when DST ends runs once, at its first occurrence', () => {
    // 02:30 happens twice in Berlin on 2025-10-26 (CEST, then CET).
    assert.deepEqual(runs('CRON_TZ=Europe/Berlin 30 2 * * *', '2025-10-25T12:00:00Z', 2), [
      '2025-10-26T00:30',
      '2025-10-27T01:30',
    ]);
  });

  test('bad expressions are refused, naming spec.schedule and the problem', () => {
    rejects('', /empty/);
    rejects('   ', /empty/);
    rejects('0 0 * *', /expected 5 fields.*found 4/);
    rejects('0 0 * * * *', /expected 5 fields.*found 6/);
    rejects('61 0 * * *', /minute/);
    rejects('0 25 * * *', /hour/);
    rejects('0 0 L * *', /day-of-month.*"L" is not supported/);
    rejects('0 0 * * 5#2', /day-of-week/);
    rejects('0 0 * * 7', /days are 0-6/);
    rejects('0 0 * FOO *', /month.*"FOO"/);
    rejects('0 0 31 2 *', /never matches/);
    rejects('@fortnightly', /unknown descriptor/);
    rejects('@every', /@every interval/);
    rejects('@every 6 hours', /@every interval/);
    rejects('@every 0s', /must be positive/);
    rejects('CRON_TZ=Mars/Olympus 0 0 * * *', /"Mars\/Olympus" is not a time zone/);
    rejects('TZ=UTC', /nothing follows the TZ= prefix/);
  });
});
