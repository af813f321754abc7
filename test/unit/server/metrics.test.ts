import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { ServerMetrics } from '../../../src/server/metrics.ts';

/** The value of one sample line of the exposition text, e.g. `velero_backup_attempt_total{schedule="nightly"}`. */
function sample(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return undefined;
}

function finished(phase: string, durationSeconds: number, completedAt = new Date('2026-01-02T03:04:05Z')) {
  return { phase, durationSeconds, completedAt, items: 12, errors: 0, warnings: 2, tarballBytes: 4096 };
}

describe('ServerMetrics', () => {
  test('a manual backup that completes: attempt, success, duration, items, size and last success under schedule=""', async () => {
    const m = new ServerMetrics(new Registry());
    m.backupAttempted('');
    m.backupFinished('', finished('Completed', 42));
    const text = await m.scrape();
    assert.equal(sample(text, 'velero_backup_attempt_total{schedule=""}'), 1);
    assert.equal(sample(text, 'velero_backup_success_total{schedule=""}'), 1);
    assert.equal(sample(text, 'velero_backup_failure_total{schedule=""}'), 0);
    assert.equal(sample(text, 'velero_backup_duration_seconds_count{schedule=""}'), 1);
    assert.equal(sample(text, 'velero_backup_duration_seconds_sum{schedule=""}'), 42);
    assert.equal(sample(text, 'velero_backup_duration_seconds_bucket{le="60",schedule=""}'), 1);
    assert.equal(sample(text, 'velero_backup_items_total{schedule=""}'), 12);
    assert.equal(sample(text, 'velero_backup_items_errors{schedule=""}'), 0);
    assert.equal(sample(text, 'velero_backup_warning_total{schedule=""}'), 2);
    assert.equal(sample(text, 'velero_backup_tarball_size_bytes{schedule=""}'), 4096);
    assert.equal(sample(text, 'velero_backup_last_status{schedule=""}'), 1);
    assert.equal(
      sample(text, 'velero_backup_last_successful_timestamp{schedule=""}'),
      Date.parse('2026-01-02T03:04:05Z') / 1000,
    );
  });

  test("the duration histogram has Velero's buckets, from one minute to four hours", async () => {
    const m = new ServerMetrics(new Registry());
    m.backupFinished('nightly', finished('Completed', 700));
    const text = await m.scrape();
    const les = [...text.matchAll(/^velero_backup_duration_seconds_bucket\{le="([^"]+)",schedule="nightly"\} (\d+)/gm)];
    assert.deepEqual(
      les.map((l) => l[1]),
      ['60', '300', '600', '900', '1800', '3600', '7200', '10800', '14400', '+Inf'],
    );
    // 700 s falls in the 15-minute bucket and every larger one.
    assert.deepEqual(
      les.map((l) => Number(l[2])),
      [0, 0, 0, 1, 1, 1, 1, 1, 1, 1],
    );
  });

  test('partial failure and failure count apart, set last_status to 0 and leave the last success alone', async () => {
    const m = new ServerMetrics(new Registry());
    m.backupFinished('nightly', finished('Completed', 1, new Date('2026-01-01T00:00:00Z')));
    m.backupFinished('nightly', finished('PartiallyFailed', 1));
    m.backupFinished('nightly', finished('Failed', 1));
    const text = await m.scrape();
    assert.equal(sample(text, 'velero_backup_partial_failure_total{schedule="nightly"}'), 1);
    assert.equal(sample(text, 'velero_backup_failure_total{schedule="nightly"}'), 1);
    assert.equal(sample(text, 'velero_backup_success_total{schedule="nightly"}'), 1);
    assert.equal(sample(text, 'velero_backup_last_status{schedule="nightly"}'), 0);
    assert.equal(
      sample(text, 'velero_backup_last_successful_timestamp{schedule="nightly"}'),
      Date.parse('2026-01-01T00:00:00Z') / 1000,
    );
  });

  test('a validation failure is not an attempt', async () => {
    const m = new ServerMetrics(new Registry());
    m.backupFailedValidation('');
    m.restoreFailedValidation('');
    const text = await m.scrape();
    assert.equal(sample(text, 'velero_backup_validation_failure_total{schedule=""}'), 1);
    assert.equal(sample(text, 'velero_backup_attempt_total{schedule=""}'), 0);
    assert.equal(sample(text, 'velero_restore_validation_failed_total{schedule=""}'), 1);
    assert.equal(sample(text, 'velero_restore_attempt_total{schedule=""}'), 0);
  });

  test('restores count by phase under Velero names', async () => {
    const m = new ServerMetrics(new Registry());
    for (const phase of ['Completed', 'Completed', 'PartiallyFailed', 'Failed']) {
      m.restoreAttempted('daily');
      m.restoreFinished('daily', phase);
    }
    const text = await m.scrape();
    assert.equal(sample(text, 'velero_restore_attempt_total{schedule="daily"}'), 4);
    assert.equal(sample(text, 'velero_restore_success_total{schedule="daily"}'), 2);
    assert.equal(sample(text, 'velero_restore_partial_failure_total{schedule="daily"}'), 1);
    assert.equal(sample(text, 'velero_restore_failed_total{schedule="daily"}'), 1);
  });

  test('a registered schedule shows zeroed counters before its first backup; removing it drops its series', async () => {
    const m = new ServerMetrics(new Registry());
    m.scheduleRegistered('hourly');
    let text = await m.scrape();
    assert.equal(sample(text, 'velero_backup_attempt_total{schedule="hourly"}'), 0);
    assert.equal(sample(text, 'velero_backup_deletion_failure_total{schedule="hourly"}'), 0);
    assert.equal(sample(text, 'velero_restore_failed_total{schedule="hourly"}'), 0);
    m.backupAttempted('hourly');
    m.backupFinished('hourly', finished('Completed', 5));
    m.scheduleRemoved('hourly');
    text = await m.scrape();
    assert.doesNotMatch(text, /schedule="hourly"/);
    assert.match(text, /schedule=""/, 'the manual series stay');
  });

  test('deletions, location status and object totals', async () => {
    const m = new ServerMetrics(new Registry());
    m.backupDeletionAttempted('nightly');
    m.backupDeletionFinished('nightly', true);
    m.backupDeletionAttempted('');
    m.backupDeletionFinished('', false);
    m.locationValidated('default', true);
    m.locationValidated('offsite', false);
    m.objectsCounted({ backups: 7, restores: 3 });
    const text = await m.scrape();
    assert.equal(sample(text, 'velero_backup_deletion_attempt_total{schedule="nightly"}'), 1);
    assert.equal(sample(text, 'velero_backup_deletion_success_total{schedule="nightly"}'), 1);
    assert.equal(sample(text, 'velero_backup_deletion_failure_total{schedule=""}'), 1);
    assert.equal(sample(text, 'velero_backup_location_status_gauge{backup_location_name="default"}'), 1);
    assert.equal(sample(text, 'velero_backup_location_status_gauge{backup_location_name="offsite"}'), 0);
    m.locationRemoved('offsite');
    assert.doesNotMatch(await m.scrape(), /offsite/);
    assert.equal(sample(text, 'velero_backup_total'), 7);
    assert.equal(sample(text, 'velero_restore_total'), 3);
  });

  test('two servers in one process keep separate registries', async () => {
    const a = new ServerMetrics(new Registry());
    const b = new ServerMetrics(new Registry());
    a.backupAttempted('');
    assert.equal(sample(await a.scrape(), 'velero_backup_attempt_total{schedule=""}'), 1);
    assert.equal(sample(await b.scrape(), 'velero_backup_attempt_total{schedule=""}'), 0);
  });
});
