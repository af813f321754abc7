import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Backup, BackupStorageLocation } from '../../../src/api/index.ts';
import { BACKUP_TABLE } from '../../../src/cli/backup/get.ts';
import { LOCATION_TABLE } from '../../../src/cli/backup-location/get.ts';
import { formatGetTable } from '../../../src/cli/get-command.ts';
import { goDuration } from '../../../src/cli/flags.ts';
import {
  formatObjects,
  formatRelative,
  formatTable,
  formatTimestamp,
  humanDuration,
  parseOutputFormat,
} from '../../../src/cli/output.ts';

const now = new Date('2025-03-01T12:00:00Z');

function aBackup(name: string, extra: Partial<Backup> = {}): Backup {
  return {
    apiVersion: 'velero.io/v1',
    kind: 'Backup',
    metadata: { name, namespace: 'velero', creationTimestamp: '2025-03-01T11:00:00Z' },
    spec: {},
    ...extra,
  };
}

describe('tables', () => {
  test('columns are padded to the widest cell and separated by three spaces, without trailing blanks', () => {
    assert.equal(formatTable(['A', 'LONG HEADER', 'C'], [['xxxx', 'y', '']]), 'A      LONG HEADER   C\nxxxx   y\n');
  });

  test('backup get shows Velero’s columns; an unset phase reads New and no selector reads <none>', () => {
    const completed = aBackup('web', {
      spec: { storageLocation: 'default', labelSelector: { matchLabels: { app: 'web' } } },
      status: { phase: 'Completed', errors: 0, warnings: 2, expiration: '2025-03-31T12:00:00Z' },
    });
    const fresh = aBackup('new-one', {
      spec: { orLabelSelectors: [{ matchLabels: { a: 'b' } }, { matchLabels: { c: 'd' } }] },
    });
    const lines = formatGetTable(BACKUP_TABLE, [completed, fresh], now).split('\n');
    assert.match(lines[0]!, /^NAME +STATUS +ERRORS +WARNINGS +CREATED +EXPIRES +STORAGE LOCATION +SELECTOR$/);
    assert.match(lines[1]!, /^web +Completed +0 +2 +2025-03-01 11:00:00 \+0000 UTC +30d +default +app=web$/);
    assert.match(lines[2]!, /^new-one +New +0 +0 +2025-03-01 11:00:00 \+0000 UTC +n\/a +a=b or c=d$/);
  });

  test('a backup being deleted shows Deleting', () => {
    const b = aBackup('gone', { status: { phase: 'Completed' } });
    b.metadata.deletionTimestamp = '2025-03-01T11:59:00Z';
    assert.match(formatGetTable(BACKUP_TABLE, [b], now), /gone +Deleting/);
  });

  test('backup-location get shows bucket/prefix, Unknown before validation, and the default flag', () => {
    const bsl = (
      name: string,
      spec: Partial<BackupStorageLocation['spec']>,
      status?: BackupStorageLocation['status'],
    ): BackupStorageLocation => ({
      apiVersion: 'velero.io/v1',
      kind: 'BackupStorageLocation',
      metadata: { name },
      spec: { provider: 'aws', objectStorage: { bucket: 'b' }, ...spec },
      ...(status ? { status } : {}),
    });
    const text = formatGetTable(
      LOCATION_TABLE,
      [
        bsl(
          'default',
          { objectStorage: { bucket: 'b', prefix: 'team' }, default: true },
          { phase: 'Available', lastValidationTime: '2025-03-01T11:59:00Z' },
        ),
        bsl('ro', { accessMode: 'ReadOnly' }),
      ],
      new Date(),
    );
    const lines = text.split('\n');
    assert.match(lines[0]!, /^NAME +PROVIDER +BUCKET\/PREFIX +PHASE +LAST VALIDATED +ACCESS MODE +DEFAULT$/);
    assert.match(lines[1]!, /^default +aws +b\/team +Available +2025-03-01 11:59:00 \+0000 UTC +ReadWrite +true$/);
    assert.match(lines[2]!, /^ro +aws +b +Unknown +Unknown +ReadOnly$/);
  });
});

describe('times', () => {
  test('human durations follow kubectl’s rounding', () => {
    const s = 1000;
    const m = 60 * s;
    const h = 60 * m;
    const d = 24 * h;
    assert.equal(humanDuration(45 * s), '45s');
    assert.equal(humanDuration(119 * s), '119s');
    assert.equal(humanDuration(3 * m + 20 * s), '3m20s');
    assert.equal(humanDuration(5 * m), '5m');
    assert.equal(humanDuration(90 * m), '90m');
    assert.equal(humanDuration(5 * h + 30 * m), '5h30m');
    assert.equal(humanDuration(30 * h), '30h');
    assert.equal(humanDuration(3 * d + 4 * h), '3d4h');
    assert.equal(humanDuration(30 * d), '30d');
    assert.equal(humanDuration(800 * d), '2y70d');
  });

  test('relative times say "ago" once passed and n/a when unset', () => {
    assert.equal(formatRelative('2025-03-02T12:00:00Z', now), '24h');
    assert.equal(formatRelative('2025-03-01T09:00:00Z', now), '3h ago');
    assert.equal(formatRelative(undefined, now), 'n/a');
  });

  test('timestamps print in Go’s default layout, in UTC', () => {
    assert.equal(formatTimestamp('2025-03-01T11:00:00Z'), '2025-03-01 11:00:00 +0000 UTC');
    assert.equal(formatTimestamp(undefined), '<n/a>');
  });

  test('durations are written as Go prints them', () => {
    assert.equal(goDuration(720 * 3_600_000), '720h0m0s');
    assert.equal(goDuration(5 * 60_000), '5m0s');
    assert.equal(goDuration(1500), '1.5s');
    assert.equal(goDuration(0), '0s');
  });
});

describe('json and yaml', () => {
  test('one object prints as itself, several as a v1 List', () => {
    const one = JSON.parse(formatObjects([aBackup('a')], 'json')) as { kind: string };
    assert.equal(one.kind, 'Backup');
    const list = formatObjects([aBackup('a'), aBackup('b')], 'yaml');
    assert.match(list, /^apiVersion: v1\nkind: List\nitems:\n/);
  });

  test('-o accepts only the formats the command supports', () => {
    assert.equal(parseOutputFormat('yaml'), 'yaml');
    assert.equal(parseOutputFormat(undefined), undefined);
    assert.throws(
      () => parseOutputFormat('table', ['json', 'yaml']),
      /invalid output format "table": use one of json, yaml/,
    );
  });
});

test('--show-labels and -L add label columns after the noun’s own, as kubectl and Velero print them', () => {
  const backup = (name: string, labels?: Record<string, string>): Backup => ({
    apiVersion: 'velero.io/v1',
    kind: 'Backup',
    metadata: { name, ...(labels ? { labels } : {}) },
    spec: {},
    status: { phase: 'Completed' },
  });
  const text = formatGetTable(
    BACKUP_TABLE,
    [backup('a', { 'velero.io/schedule-name': 'nightly', team: 'web' }), backup('b')],
    new Date(),
    { keys: ['velero.io/schedule-name', 'team'], showLabels: true },
  );
  const [head, a, b] = text.split('\n').map((l) => l.split(/ {2,}/));
  assert.deepEqual(head?.slice(-3), ['SCHEDULE-NAME', 'TEAM', 'LABELS']);
  assert.deepEqual(a?.slice(-3), ['nightly', 'web', 'team=web,velero.io/schedule-name=nightly']);
  assert.equal(b?.at(-1), '<none>');
});
