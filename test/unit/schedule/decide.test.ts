import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Backup, Schedule } from '../../../src/api/index.ts';
import { WakeBook } from '../../../src/controllers/schedule-controller.ts';
import { backupForSchedule, decideSchedule, type ScheduleInput } from '../../../src/schedule/decide.ts';

function schedule(
  spec: Partial<Schedule['spec']> = {},
  extra: Partial<Schedule['metadata']> = {},
  status = {},
): Schedule {
  return {
    apiVersion: 'velero.io/v1',
    kind: 'Schedule',
    metadata: {
      name: 'nightly',
      namespace: 'velero',
      uid: 'uid-1',
      creationTimestamp: '2025-01-01T00:00:00Z',
      ...extra,
    },
    spec: { schedule: '0 1 * * *', template: { includedNamespaces: ['web'] }, ...spec },
    status,
  };
}

function backup(name: string, phase: string | undefined): Backup {
  return {
    apiVersion: 'velero.io/v1',
    kind: 'Backup',
    metadata: { name },
    spec: {},
    ...(phase === undefined ? {} : { status: { phase: phase as never } }),
  };
}

function decide(s: Schedule, now: string, more: Partial<ScheduleInput> = {}) {
  return decideSchedule({ schedule: s, backups: [], now: new Date(now), skipImmediatelyDefault: false, ...more });
}

describe('schedule decisions on a fake clock (reference §5.1)', () => {
  test('not due before the first run after creation; due strictly after it', () => {
    const s = schedule();
    const early = decide(s, '2025-01-01T00:59:00Z');
    assert.equal(early.phase, 'Enabled');
    assert.equal(early.action.kind, 'wait');
    // Looks again a second after the run is due, not later than a minute.
    assert.equal(early.requeueAfterMs, 60_000);
    assert.equal(decide(s, '2025-01-01T00:59:30Z').requeueAfterMs, 31_000);
    assert.equal(decide(s, '2025-01-01T01:00:00Z').action.kind, 'wait');
    const due = decide(s, '2025-01-01T01:00:01Z');
    assert.equal(due.action.kind, 'create');
  });

  test('a template asking for volume group snapshots is FailedValidation on the Schedule, not on each backup', () => {
    const s = schedule({ template: { includedNamespaces: ['web'], volumeGroupSnapshotLabelKey: 'app.io/group' } });
    const d = decide(s, '2025-01-01T01:00:05Z');
    assert.equal(d.phase, 'FailedValidation');
    assert.equal(d.action.kind, 'invalid');
    assert.equal(d.validationErrors.length, 1);
    assert.match(d.validationErrors[0] ?? '', /^spec\.template: spec\.volumeGroupSnapshotLabelKey "app\.io\/group"/);
  });

  test('the backup is named <schedule>-<YYYYMMDDhhmmss> in UTC, labelled, annotated and owned as Velero does', () => {
    const s = schedule(
      { useOwnerReferencesInBackup: true, template: { includedNamespaces: ['web'], ttl: '0s' } },
      { labels: { team: 'a' }, annotations: { note: 'x', 'skiff.io/retain': 'daily=7' } },
    );
    const d = decide(s, '2025-01-01T01:00:05Z');
    assert.equal(d.action.kind, 'create');
    if (d.action.kind !== 'create') return;
    const b = d.action.backup;
    assert.equal(b.metadata.name, 'nightly-20250101010005');
    assert.equal(b.metadata.namespace, 'velero');
    // No template labels: the schedule's own labels, plus the schedule-name label.
    assert.deepEqual(b.metadata.labels, { team: 'a', 'velero.io/schedule-name': 'nightly' });
    assert.deepEqual(b.metadata.annotations, { note: 'x', 'skiff.io/retain': 'daily=7' });
    assert.deepEqual(b.metadata.ownerReferences, [
      { apiVersion: 'velero.io/v1', kind: 'Schedule', name: 'nightly', uid: 'uid-1', controller: true },
    ]);
    // The template as written: a zero TTL is the backup controller's to read as the server default.
    assert.deepEqual(b.spec, { includedNamespaces: ['web'], ttl: '0s' });
  });

  test('template labels, when the template has a labels map, replace the schedule labels', () => {
    const s = schedule({ template: { metadata: { labels: { app: 'web' } } } }, { labels: { team: 'a' } });
    const b = backupForSchedule(s, new Date('2025-01-01T01:00:00Z'));
    assert.deepEqual(b.metadata.labels, { app: 'web', 'velero.io/schedule-name': 'nightly' });
    assert.equal(b.metadata.ownerReferences, undefined);
    const empty = backupForSchedule(
      schedule({ template: { metadata: { labels: {} } } }, { labels: { team: 'a' } }),
      new Date(0),
    );
    assert.deepEqual(empty.metadata.labels, { 'velero.io/schedule-name': 'nightly' });
  });

  test('after a backup the next run counts from lastBackup', () => {
    const s = schedule({}, {}, { lastBackup: '2025-01-02T01:00:03Z' });
    assert.equal(decide(s, '2025-01-03T00:30:00Z').action.kind, 'wait');
    assert.equal(decide(s, '2025-01-03T01:00:01Z').action.kind, 'create');
  });

  test('runs missed while the server was down are taken once, not once per missed slot', () => {
    const s = schedule({ schedule: '@every 1h' }, {}, { lastBackup: '2025-01-01T00:00:00Z' });
    // Ten hours later: one backup now, and the next an hour after it.
    const d = decide(s, '2025-01-01T10:00:00Z');
    assert.equal(d.action.kind, 'create');
    const after = schedule({ schedule: '@every 1h' }, {}, { lastBackup: '2025-01-01T10:00:00Z' });
    assert.equal(decide(after, '2025-01-01T10:00:30Z').action.kind, 'wait');
    assert.equal(decide(after, '2025-01-01T11:00:01Z').action.kind, 'create');
  });

  test('a due run is skipped while a backup of the schedule is New or InProgress, not while Queued', () => {
    const s = schedule({}, {}, { lastBackup: '2025-01-01T01:00:00Z' });
    const now = '2025-01-02T01:00:05Z';
    for (const phase of [undefined, 'New', 'InProgress']) {
      const d = decide(s, now, { backups: [backup('b1', phase), backup('b0', 'Completed')] });
      assert.equal(d.action.kind, 'skip-running', `phase ${String(phase)}`);
      if (d.action.kind === 'skip-running') assert.deepEqual(d.action.running, ['b1']);
      assert.ok((d.requeueAfterMs ?? 0) <= 10_000);
    }
    for (const phase of ['Queued', 'Completed', 'Failed', 'PartiallyFailed']) {
      assert.equal(decide(s, now, { backups: [backup('b1', phase)] }).action.kind, 'create', `phase ${phase}`);
    }
  });

  test('skipImmediately skips the due run once: lastSkipped=now, then the next tick', () => {
    // Unpaused long after its last backup: due at once, unless skipImmediately.
    const s = schedule({ skipImmediately: true }, {}, { lastBackup: '2025-01-01T01:00:00Z' });
    const d = decide(s, '2025-02-01T12:00:00Z');
    assert.equal(d.skipped, true);
    assert.equal(d.action.kind, 'wait');
    if (d.action.kind === 'wait') assert.equal(d.action.next.toISOString(), '2025-02-02T01:00:00.000Z');
    // The reset flag and the recorded lastSkipped keep the next pass waiting for that tick.
    const after = schedule(
      { skipImmediately: false },
      {},
      {
        lastBackup: '2025-01-01T01:00:00Z',
        lastSkipped: '2025-02-01T12:00:00Z',
      },
    );
    const later = decide(after, '2025-02-01T12:01:00Z');
    assert.equal(later.skipped, false);
    assert.equal(later.action.kind, 'wait');
    assert.equal(decide(after, '2025-02-02T01:00:01Z').action.kind, 'create');
  });

  test('the server default applies when spec.skipImmediately is unset, not when it is false', () => {
    const unset = schedule({}, {}, { lastBackup: '2025-01-01T01:00:00Z' });
    assert.equal(decide(unset, '2025-02-01T12:00:00Z', { skipImmediatelyDefault: true }).skipped, true);
    const off = schedule({ skipImmediately: false }, {}, { lastBackup: '2025-01-01T01:00:00Z' });
    const d = decide(off, '2025-02-01T12:00:00Z', { skipImmediatelyDefault: true });
    assert.equal(d.skipped, false);
    assert.equal(d.action.kind, 'create');
  });

  test('a paused schedule is ignored entirely', () => {
    const d = decide(schedule({ paused: true, schedule: 'not cron', skipImmediately: true }), '2030-01-01T00:00:00Z');
    assert.equal(d.action.kind, 'paused');
    assert.equal(d.phase, undefined);
    assert.equal(d.skipped, false);
  });

  test('an invalid cron, template or retention annotation gives FailedValidation naming each', () => {
    const d = decide(
      schedule(
        { schedule: '0 0 * *', template: { includedResources: ['pods'], includedNamespaceScopedResources: ['pods'] } },
        { annotations: { 'skiff.io/retain': 'daily=seven' } },
      ),
      '2025-01-01T01:00:05Z',
    );
    assert.equal(d.phase, 'FailedValidation');
    assert.equal(d.action.kind, 'invalid');
    assert.equal(d.validationErrors.length, 3);
    assert.match(d.validationErrors[0] ?? '', /spec\.schedule "0 0 \* \*".*5 fields/);
    assert.match(d.validationErrors[1] ?? '', /^spec\.template: /);
    assert.match(d.validationErrors[2] ?? '', /annotation skiff\.io\/retain "daily=seven"/);
  });

  test('a name too long for its backups names is refused', () => {
    const d = decide(schedule({}, { name: 'n'.repeat(239) }), '2025-01-01T01:00:05Z');
    assert.deepEqual(d.validationErrors, [
      `metadata.name: "${'n'.repeat(239)}" is 239 characters; backups are named <schedule>-<YYYYMMDDhhmmss>, so at most 238 fit`,
    ]);
    assert.equal(decide(schedule({}, { name: 'n'.repeat(238) }), '2025-01-01T01:00:05Z').phase, 'Enabled');
  });

  test('a valid retention annotation is parsed for the controller', () => {
    const d = decide(
      schedule({}, { annotations: { 'skiff.io/retain': 'daily=7, monthly=12' } }),
      '2025-01-01T00:30:00Z',
    );
    assert.equal(d.phase, 'Enabled');
    assert.deepEqual(d.retention, [
      { period: 'daily', count: 7 },
      { period: 'monthly', count: 12 },
    ]);
  });
});

describe('schedule controller wake-ups', () => {
  test('one pending wake-up per schedule: later or equal requests ride on it, earlier ones replace it', () => {
    const book = new WakeBook();
    assert.deepEqual(book.request('s', 0, 60_000), { requeueAfterMs: 60_000 });
    // A resync 20s later wants the same moment: already covered.
    assert.equal(book.request('s', 20_000, 40_000), undefined);
    assert.equal(book.request('s', 20_000, 50_000), undefined);
    // A running backup wants a look in 10s: sooner, so granted.
    assert.deepEqual(book.request('s', 20_000, 10_000), { requeueAfterMs: 10_000 });
    // When that wake-up arrives the next request is granted again.
    assert.deepEqual(book.request('s', 30_000, 60_000), { requeueAfterMs: 60_000 });
    // The stale 60s timer firing later asks for nothing new.
    assert.equal(book.request('s', 60_000, 30_000), undefined);
    assert.deepEqual(book.request('other', 60_000, 5_000), { requeueAfterMs: 5_000 });
    assert.equal(book.request('s', 0, undefined), undefined);
  });
});
