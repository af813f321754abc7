import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Backup, Schedule } from '../../../src/api/index.ts';
import { buildRestoreRequest } from '../../../src/cli/restore/create-options.ts';
import { buildSchedule } from '../../../src/cli/schedule/create-options.ts';
import { describeSchedule } from '../../../src/cli/schedule/describe-format.ts';
import { scheduleRow } from '../../../src/cli/schedule/get.ts';
import { selectionProblems } from '../../../src/cli/schedule/pause.ts';

describe('schedule create flags → Schedule', () => {
  test('the template is built by the backup create code; labels go on the schedule and the template', () => {
    const { schedule, problems } = buildSchedule('nightly', 'velero', {
      schedule: '0 1 * * *',
      includeNamespaces: ['web,db'],
      selector: 'app=web',
      ttl: '72h',
      labels: ['team=a'],
      annotations: ['note=x'],
      retain: 'monthly=12, daily=7',
      paused: true,
      skipImmediately: 'true',
      useOwnerReferencesInBackup: true,
    });
    assert.deepEqual(problems, []);
    assert.deepEqual(schedule, {
      apiVersion: 'velero.io/v1',
      kind: 'Schedule',
      metadata: {
        name: 'nightly',
        namespace: 'velero',
        labels: { team: 'a' },
        annotations: { note: 'x', 'skiff.io/retain': 'daily=7,monthly=12' },
      },
      spec: {
        schedule: '0 1 * * *',
        template: {
          includedNamespaces: ['web', 'db'],
          labelSelector: { matchLabels: { app: 'web' } },
          ttl: '72h0m0s',
          metadata: { labels: { team: 'a' } },
        },
        useOwnerReferencesInBackup: true,
        paused: true,
        skipImmediately: true,
      },
    });
  });

  test('a zero --ttl leaves the template ttl unset: the server default applies', () => {
    const { schedule } = buildSchedule('s', 'velero', { schedule: '@daily', ttl: '0s' });
    assert.equal(schedule.spec.template.ttl, undefined);
  });

  test('every problem at once: missing or bad --schedule, bad --retain, bad backup flags', () => {
    assert.deepEqual(buildSchedule('s', 'velero', {}).problems, [
      '--schedule is required, e.g. --schedule "0 1 * * *" or --schedule "@every 6h"',
    ]);
    const { problems } = buildSchedule('', 'velero', {
      schedule: '0 0 * *',
      retain: 'daily=0',
      ttl: 'forever',
      skipImmediately: 'maybe',
    });
    assert.equal(problems.length, 5, problems.join('\n'));
    assert.match(problems[0] ?? '', /schedule name is required/);
    assert.ok(problems.some((p) => /^--ttl: /.test(p)));
    assert.ok(problems.some((p) => /^--schedule: invalid spec\.schedule "0 0 \* \*"/.test(p)));
    assert.ok(problems.some((p) => /^--retain: invalid annotation skiff\.io\/retain "daily=0"/.test(p)));
    assert.ok(problems.some((p) => /^--skip-immediately: "maybe" is not a boolean/.test(p)));
  });

  test('pause, unpause and delete need names, --all or a selector, and only one of them', () => {
    assert.deepEqual(selectionProblems([], false, undefined), ['name the schedules, or use --all or -l/--selector']);
    assert.deepEqual(selectionProblems(['a'], true, undefined), [
      'use only one of: schedule names, --all, -l/--selector',
    ]);
    assert.deepEqual(selectionProblems([], false, 'team=a'), []);
  });
});

describe('schedule get and describe', () => {
  const schedule: Schedule = {
    apiVersion: 'velero.io/v1',
    kind: 'Schedule',
    metadata: {
      name: 'nightly',
      namespace: 'velero',
      creationTimestamp: '2025-01-01T00:00:00Z',
      annotations: { 'skiff.io/retain': 'daily=2' },
    },
    spec: { schedule: 'CRON_TZ=Europe/Berlin 0 3 * * *', template: { includedNamespaces: ['web'], ttl: '720h0m0s' } },
    status: { phase: 'Enabled', lastBackup: '2025-01-03T02:00:00Z' },
  };
  const backup = (name: string, start: string): Backup => ({
    apiVersion: 'velero.io/v1',
    kind: 'Backup',
    metadata: { name },
    spec: {},
    status: { phase: 'Completed', startTimestamp: start },
  });

  test('get shows Velero columns', () => {
    assert.deepEqual(scheduleRow(schedule, new Date('2025-01-03T05:00:00Z')), [
      'nightly',
      'Enabled',
      '2025-01-01 00:00:00 +0000 UTC',
      'CRON_TZ=Europe/Berlin 0 3 * * *',
      '720h0m0s',
      '3h ago',
      '<none>',
      'false',
    ]);
  });

  test('describe shows the next run and what each retention rule keeps', () => {
    const text = describeSchedule(
      schedule,
      [
        backup('nightly-20250103020000', '2025-01-03T02:00:00Z'),
        backup('nightly-20250102020000', '2025-01-02T02:00:00Z'),
        backup('nightly-20250101020000', '2025-01-01T02:00:00Z'),
      ],
      new Date('2025-01-03T05:00:00Z'),
    );
    assert.match(text, /Schedule: {3}CRON_TZ=Europe\/Berlin 0 3 \* \* \* \(time zone Europe\/Berlin\)/);
    assert.match(text, /Next run: {3}2025-01-04 02:00:00 \+0000 UTC \(21h\)/);
    assert.match(
      text,
      /daily=2: keeps 2 of 2\n {4}2025-01-03: nightly-20250103020000\n {4}2025-01-02: nightly-20250102020000/,
    );
    assert.match(text, /Deletes:\n {4}nightly-20250101020000 \(not the newest/);
  });

  test('describe names the problem of a schedule that failed validation', () => {
    const bad = { ...schedule, spec: { ...schedule.spec, schedule: '0 0 31 2 *' }, status: {} };
    const text = describeSchedule(bad, [], new Date('2025-01-03T05:00:00Z'));
    assert.match(text, /Validation errors:\n {2}invalid spec\.schedule "0 0 31 2 \*": it never matches a date/);
    assert.match(text, /Next run: {3}<none>/);
  });
});

describe('restore create --allow-partially-failed', () => {
  test('is refused without --from-schedule', () => {
    const { problems } = buildRestoreRequest({ fromBackup: 'b1', allowPartiallyFailed: true });
    assert.deepEqual(problems, [
      '--allow-partially-failed only works with --from-schedule: it lets the newest PartiallyFailed backup of the schedule be chosen (with --from-backup, name that backup directly)',
    ]);
  });

  test('is accepted with --from-schedule', () => {
    const { problems, request } = buildRestoreRequest({ fromSchedule: 'nightly', allowPartiallyFailed: true });
    assert.deepEqual(problems, []);
    assert.equal(request.spec.scheduleName, 'nightly');
  });
});
