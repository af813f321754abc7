import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Backup } from '../../../src/api/index.ts';
import {
  formatRetentionPlan,
  parseRetention,
  periodKey,
  planRetention,
  type RetentionPlan,
} from '../../../src/schedule/retention.ts';

function backup(name: string, start: string, phase = 'Completed'): Backup {
  return {
    apiVersion: 'velero.io/v1',
    kind: 'Backup',
    metadata: { name, creationTimestamp: start },
    spec: {},
    status: { phase: phase as never, startTimestamp: start },
  };
}

function plan(backups: Backup[], retain: string, timeZone = 'UTC'): RetentionPlan {
  return planRetention(backups, parseRetention(retain), { timeZone });
}

const kept = (p: RetentionPlan): string[] =>
  p.entries
    .filter((e) => e.action === 'keep')
    .map((e) => e.name)
    .sort();
const deleted = (p: RetentionPlan): string[] =>
  p.entries
    .filter((e) => e.action === 'delete')
    .map((e) => e.name)
    .sort();

describe('retention annotation', () => {
  test('parses every period, in any order, with spaces', () => {
    assert.deepEqual(parseRetention(' monthly=12, hourly=24,daily=7 ,weekly=4,yearly=3'), [
      { period: 'hourly', count: 24 },
      { period: 'daily', count: 7 },
      { period: 'weekly', count: 4 },
      { period: 'monthly', count: 12 },
      { period: 'yearly', count: 3 },
    ]);
  });

  test('refuses what does not parse, naming the annotation and the part', () => {
    const cases: [string, RegExp][] = [
      ['', /names no rule/],
      ['daily', /"daily" is not period=count/],
      ['daily=7,daily=3', /daily is given twice/],
      ['fortnightly=2', /"fortnightly" is not a period/],
      ['daily=0', /daily=0: the count must be a whole number/],
      ['daily=-1', /whole number/],
      ['daily=1.5', /whole number/],
      ['daily=seven', /whole number/],
    ];
    for (const [text, why] of cases) {
      assert.throws(
        () => parseRetention(text),
        (err: Error) => err.message.includes(`annotation skiff.io/retain "${text}"`) && why.test(err.message),
        text,
      );
    }
  });
});

describe('retention planner', () => {
  test('daily keeps the newest Completed backup of each of the N most recent days', () => {
    const p = plan(
      [
        backup('d3-late', '2025-01-03T22:00:00Z'),
        backup('d3-early', '2025-01-03T01:00:00Z'),
        backup('d2', '2025-01-02T01:00:00Z'),
        backup('d1', '2025-01-01T01:00:00Z'),
      ],
      'daily=2',
    );
    assert.deepEqual(kept(p), ['d2', 'd3-late']);
    assert.deepEqual(deleted(p), ['d1', 'd3-early']);
    const reason = p.entries.find((e) => e.name === 'd3-late')?.reason;
    assert.equal(reason, 'newest Completed backup of daily 2025-01-03');
    assert.match(p.entries.find((e) => e.name === 'd1')?.reason ?? '', /not the newest Completed backup.*daily=2/);
  });

  test('empty periods do not count: a schedule that stopped succeeding keeps its last good backups', () => {
    // Backups on Jan 1, 2 and 3, then nothing for months (or only failures).
    const p = plan(
      [
        backup('f1', '2025-04-01T01:00:00Z', 'Failed'),
        backup('d3', '2025-01-03T01:00:00Z'),
        backup('d2', '2025-01-02T01:00:00Z'),
        backup('d1', '2025-01-01T01:00:00Z'),
      ],
      'daily=2',
    );
    assert.deepEqual(kept(p), ['d2', 'd3', 'f1']);
    assert.deepEqual(deleted(p), ['d1']);
    // Gaps between days are skipped over, not counted.
    const gap = plan([backup('jan10', '2025-01-10T01:00:00Z'), backup('jan01', '2025-01-01T01:00:00Z')], 'daily=2');
    assert.deepEqual(kept(gap), ['jan01', 'jan10']);
  });

  test('month ends: the last backup of January and of February are different months', () => {
    const p = plan(
      [
        backup('mar01', '2025-03-01T00:30:00Z'),
        backup('feb28-late', '2025-02-28T23:59:59Z'),
        backup('feb28', '2025-02-28T12:00:00Z'),
        backup('feb01', '2025-02-01T00:00:00Z'),
        backup('jan31', '2025-01-31T23:30:00Z'),
        backup('dec31', '2024-12-31T23:59:00Z'),
      ],
      'monthly=3',
    );
    assert.deepEqual(kept(p), ['feb28-late', 'jan31', 'mar01']);
    assert.deepEqual(deleted(p), ['dec31', 'feb01', 'feb28']);
    // Leap year: Feb 29 belongs to February.
    assert.equal(periodKey('monthly', new Date('2024-02-29T23:00:00Z'), 'UTC'), '2024-02');
  });

  test('periods follow the schedule time zone: 23:30Z on Jan 31 is already February in Berlin', () => {
    const backups = [backup('b2', '2025-01-31T23:30:00Z'), backup('b1', '2025-01-31T10:00:00Z')];
    assert.deepEqual(kept(plan(backups, 'monthly=1', 'UTC')), ['b2']);
    const berlin = plan(backups, 'monthly=2', 'Europe/Berlin');
    assert.deepEqual(berlin.outcomes[0]?.kept, [
      { period: '2025-02', backup: 'b2' },
      { period: '2025-01', backup: 'b1' },
    ]);
  });

  test('DST in Europe/Berlin: a 23-hour day and a 25-hour day are one day each', () => {
    // 2025-03-30 has 23 hours (02:00 → 03:00); 00:30 local is 23:30Z the day before.
    const spring = plan(
      [
        backup('mar30-late', '2025-03-30T21:30:00Z'), // 23:30 CEST
        backup('mar30-early', '2025-03-29T23:30:00Z'), // 00:30 CET on Mar 30
        backup('mar29', '2025-03-29T22:30:00Z'), // 23:30 CET on Mar 29
      ],
      'daily=2',
      'Europe/Berlin',
    );
    assert.deepEqual(spring.outcomes[0]?.kept, [
      { period: '2025-03-30', backup: 'mar30-late' },
      { period: '2025-03-29', backup: 'mar29' },
    ]);
    // 2025-10-26 has 25 hours; both 00:30 and 23:30 local are that day.
    const autumn = plan(
      [backup('oct26-late', '2025-10-26T22:30:00Z'), backup('oct26-early', '2025-10-25T22:30:00Z')],
      'daily=1',
      'Europe/Berlin',
    );
    assert.deepEqual(kept(autumn), ['oct26-late']);
  });

  test('DST in Europe/Berlin: the repeated 02:00 hour when DST ends is two hourly periods', () => {
    const p = plan(
      [
        backup('second-0230', '2025-10-26T01:30:00Z'), // 02:30 CET
        backup('first-0230', '2025-10-26T00:30:00Z'), // 02:30 CEST
        backup('first-0210', '2025-10-26T00:10:00Z'), // 02:10 CEST
      ],
      'hourly=3',
      'Europe/Berlin',
    );
    assert.deepEqual(p.outcomes[0]?.kept, [
      { period: '2025-10-26T02+01:00', backup: 'second-0230' },
      { period: '2025-10-26T02+02:00', backup: 'first-0230' },
    ]);
    assert.deepEqual(deleted(p), ['first-0210']);
  });

  test('weeks start on Monday (ISO 8601), including the week that spans New Year', () => {
    assert.equal(periodKey('weekly', new Date('2024-12-30T12:00:00Z'), 'UTC'), '2025-W01');
    assert.equal(periodKey('weekly', new Date('2025-01-05T23:59:00Z'), 'UTC'), '2025-W01');
    assert.equal(periodKey('weekly', new Date('2025-01-06T00:00:00Z'), 'UTC'), '2025-W02');
    assert.equal(periodKey('weekly', new Date('2021-01-03T12:00:00Z'), 'UTC'), '2020-W53');
    const p = plan(
      [
        backup('mon', '2025-01-06T01:00:00Z'),
        backup('sun', '2025-01-05T01:00:00Z'),
        backup('tue-prev-year', '2024-12-31T01:00:00Z'),
      ],
      'weekly=2',
    );
    assert.deepEqual(kept(p), ['mon', 'sun']);
  });

  test('rules are unioned: grandfather-father-son', () => {
    const backups: Backup[] = [];
    // One backup a day at 01:00Z for 70 days from Jan 1 2025.
    for (let i = 69; i >= 0; i--) {
      const d = new Date(Date.UTC(2025, 0, 1 + i, 1));
      backups.push(backup(`b-${d.toISOString().slice(0, 10)}`, d.toISOString()));
    }
    const p = plan(backups, 'daily=3,weekly=2,monthly=3');
    // Daily: Mar 11, 10, 9. Weekly: newest of ISO weeks 11 (Mar 10-16) and 10 (Mar 3-9): Mar 11, Mar 9.
    // Monthly: Mar 11, Feb 28, Jan 31.
    assert.deepEqual(kept(p), ['b-2025-01-31', 'b-2025-02-28', 'b-2025-03-09', 'b-2025-03-10', 'b-2025-03-11']);
    assert.equal(deleted(p).length, 65);
    assert.equal(
      p.entries.find((e) => e.name === 'b-2025-03-11')?.reason,
      'newest Completed backup of daily 2025-03-11, weekly 2025-W11, monthly 2025-03',
    );
  });

  test('the newest Completed backup is always kept; unsuccessful ones go once a newer Completed exists', () => {
    const p = plan(
      [
        backup('pf-new', '2025-01-05T01:00:00Z', 'PartiallyFailed'),
        backup('ok', '2025-01-04T01:00:00Z'),
        backup('pf-old', '2025-01-03T01:00:00Z', 'PartiallyFailed'),
        backup('failed-old', '2025-01-02T01:00:00Z', 'Failed'),
        backup('invalid-old', '2025-01-01T01:00:00Z', 'FailedValidation'),
      ],
      'hourly=1',
    );
    assert.deepEqual(kept(p), ['ok', 'pf-new']);
    assert.deepEqual(deleted(p), ['failed-old', 'invalid-old', 'pf-old']);
    assert.match(p.entries.find((e) => e.name === 'pf-new')?.reason ?? '', /no newer Completed backup/);
  });

  test('backups that are not finished are never deleted', () => {
    const running = backup('running', '2024-01-01T00:00:00Z', 'InProgress');
    const fresh: Backup = { apiVersion: 'velero.io/v1', kind: 'Backup', metadata: { name: 'fresh' }, spec: {} };
    const deleting = { ...backup('deleting', '2024-01-02T00:00:00Z', 'Deleting') };
    const p = plan([running, fresh, deleting, backup('ok', '2025-01-01T00:00:00Z')], 'daily=1');
    assert.deepEqual(deleted(p), []);
    assert.match(p.entries.find((e) => e.name === 'running')?.reason ?? '', /InProgress: only finished backups/);
  });

  test('no backups: nothing to do, and the text says so', () => {
    const p = plan([], 'daily=7,monthly=12');
    assert.deepEqual(p.entries, []);
    assert.equal(
      formatRetentionPlan(p),
      [
        'Retention (skiff.io/retain, periods in UTC):',
        '  daily=7: keeps 0 of 7 (no Completed backups yet)',
        '  monthly=12: keeps 0 of 12 (no Completed backups yet)',
        '  Deletes: none',
        '',
      ].join('\n'),
    );
  });

  test('the printed plan lists what each rule keeps and what goes', () => {
    const p = plan(
      [
        backup('b3', '2025-01-03T01:00:00Z'),
        backup('b2', '2025-01-02T01:00:00Z'),
        backup('b1', '2025-01-01T01:00:00Z'),
      ],
      'daily=2',
    );
    assert.equal(
      formatRetentionPlan(p),
      [
        'Retention (skiff.io/retain, periods in UTC):',
        '  daily=2: keeps 2 of 2',
        '    2025-01-03: b3',
        '    2025-01-02: b2',
        '  Deletes:',
        '    b1 (not the newest Completed backup of any period kept by daily=2)',
        '',
      ].join('\n'),
    );
  });
});
