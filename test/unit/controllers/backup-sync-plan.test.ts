import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  formatSyncPlan,
  importStoredBackup,
  planBackupSync,
  syncDue,
  type ImportContext,
} from '../../../src/controllers/backup-sync-plan.ts';

describe('planBackupSync', () => {
  test('creates what the store has and the cluster lacks, whatever location the cluster copy names', () => {
    const plan = planBackupSync({
      location: 'default',
      readOnly: false,
      storeBackups: ['b3', 'b1', 'b2'],
      clusterBackups: [{ name: 'b2', phase: 'Completed', locationLabel: 'other' }],
    });
    assert.deepEqual(
      plan.create.map((c) => c.name),
      ['b1', 'b3'],
    );
    assert.deepEqual(plan.delete, []);
  });

  test('deletes Completed and PartiallyFailed objects of this location that left the store, nothing else', () => {
    const plan = planBackupSync({
      location: 'default',
      readOnly: false,
      storeBackups: ['kept'],
      clusterBackups: [
        { name: 'kept', phase: 'Completed', locationLabel: 'default' },
        { name: 'gone', phase: 'Completed', locationLabel: 'default' },
        { name: 'gone-partial', phase: 'PartiallyFailed', locationLabel: 'default' },
        { name: 'failed', phase: 'Failed', locationLabel: 'default' },
        { name: 'running', phase: 'InProgress', locationLabel: 'default' },
        { name: 'new', locationLabel: 'default' },
        { name: 'elsewhere', phase: 'Completed', locationLabel: 'other' },
        { name: 'unlabelled', phase: 'Completed' },
      ],
    });
    assert.deepEqual(plan.create, []);
    assert.deepEqual(
      plan.delete.map((d) => d.name),
      ['gone', 'gone-partial'],
    );
    assert.match(plan.delete[0]?.reason ?? '', /Completed and gone from location default/);
  });

  test('a ReadOnly location keeps objects whose backup left the store, and still creates', () => {
    const plan = planBackupSync({
      location: 'archive',
      readOnly: true,
      storeBackups: ['new-one'],
      clusterBackups: [{ name: 'gone', phase: 'Completed', locationLabel: 'archive' }],
    });
    assert.deepEqual(plan.delete, []);
    assert.deepEqual(
      plan.keep.map((k) => k.name),
      ['gone'],
    );
    assert.deepEqual(
      plan.create.map((c) => c.name),
      ['new-one'],
    );
    assert.equal(
      formatSyncPlan(plan),
      [
        'backup sync of location archive:',
        '  create new-one: in location archive, not in the cluster',
        '  keep gone: gone from location archive, kept because the location is ReadOnly',
      ].join('\n'),
    );
  });

  test('matches the location label by its normalised value (names longer than 63 characters)', () => {
    const long = `loc-${'x'.repeat(70)}`;
    const created = importStoredBackup(stored('b1'), ctx({ name: 'b1', location: long }));
    assert.ok(created.ok);
    const label = created.backup.metadata.labels?.['velero.io/storage-location'] ?? '';
    assert.equal(label.length, 63);
    const plan = planBackupSync({
      location: long,
      readOnly: false,
      storeBackups: [],
      clusterBackups: [{ name: 'b1', phase: 'Completed', locationLabel: label }],
    });
    assert.deepEqual(
      plan.delete.map((d) => d.name),
      ['b1'],
    );
  });
});

const NOW = new Date('2026-12-05T01:00:00Z');

function ctx(over: Partial<ImportContext> = {}): ImportContext {
  return { name: 'b1', location: 'default', namespace: 'velero', now: NOW, schedules: new Map(), ...over };
}

function stored(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'velero.io/v1',
    kind: 'Backup',
    metadata: {
      name,
      namespace: 'velero-old',
      uid: 'old-uid',
      resourceVersion: '12345',
      generation: 7,
      creationTimestamp: '2026-11-01T00:00:00Z',
      managedFields: [{ manager: 'velero-server' }],
      labels: { 'velero.io/storage-location': 'primary', team: 'a' },
      annotations: { 'velero.io/source-cluster-k8s-gitversion': 'v1.35.8' },
    },
    spec: { includedNamespaces: ['app'], storageLocation: 'primary', ttl: '720h0m0s' },
    status: {
      phase: 'Completed',
      startTimestamp: '2026-11-01T00:00:01Z',
      completionTimestamp: '2026-11-01T00:00:09Z',
      expiration: '2026-12-01T00:00:01Z',
      progress: { totalItems: 9, itemsBackedUp: 9 },
      formatVersion: '1.1.0',
    },
    ...extra,
  };
}

describe('importStoredBackup', () => {
  test('moves the backup into this namespace and location, drops server-set metadata, keeps status', () => {
    const r = importStoredBackup(stored('b1'), ctx());
    assert.ok(r.ok, r.ok ? '' : r.reason);
    const m = r.backup.metadata;
    assert.equal(m.namespace, 'velero');
    for (const k of ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields']) {
      assert.equal(m[k], undefined, k);
    }
    assert.deepEqual(m.labels, { 'velero.io/storage-location': 'default', team: 'a' });
    assert.deepEqual(m.annotations, { 'velero.io/source-cluster-k8s-gitversion': 'v1.35.8' });
    assert.equal(r.backup.spec.storageLocation, 'default');
    assert.deepEqual(r.backup.spec.includedNamespaces, ['app']);
    assert.deepEqual(r.backup.status, stored('b1').status);
  });

  test('keeps owner references to Schedules that exist with the same uid, drops the others', () => {
    const owners = [
      { apiVersion: 'velero.io/v1', kind: 'Schedule', name: 'nightly', uid: 'u1', controller: true },
      { apiVersion: 'velero.io/v1', kind: 'Schedule', name: 'weekly', uid: 'u2' },
      { apiVersion: 'velero.io/v1', kind: 'Schedule', name: 'gone', uid: 'u3' },
      { apiVersion: 'example.com/v1', kind: 'Thing', name: 't', uid: 'u4' },
    ];
    const s = stored('b1');
    (s.metadata as Record<string, unknown>).ownerReferences = owners;
    const r = importStoredBackup(
      s,
      ctx({
        schedules: new Map([
          ['nightly', 'u1'],
          ['weekly', 'other-uid'],
        ]),
      }),
    );
    assert.ok(r.ok);
    assert.deepEqual(
      r.backup.metadata.ownerReferences?.map((o) => o.name),
      ['nightly', 't'],
    );
    const s2 = stored('b1');
    (s2.metadata as Record<string, unknown>).ownerReferences = [owners[2]];
    const r2 = importStoredBackup(s2, ctx());
    assert.ok(r2.ok);
    assert.equal(r2.backup.metadata.ownerReferences, undefined);
  });

  test('refuses metadata that is not a Backup, or names another backup', () => {
    const notBackup = importStoredBackup({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b1' } }, ctx());
    assert.equal(notBackup.ok, false);
    assert.match(notBackup.ok ? '' : notBackup.reason, /not a valid Backup/);
    const badField = importStoredBackup(stored('b1', { spec: { includedNamespaces: 'app' } }), ctx());
    assert.equal(badField.ok, false);
    assert.match(badField.ok ? '' : badField.reason, /spec\.includedNamespaces/);
    const renamed = importStoredBackup(stored('other'), ctx());
    assert.equal(renamed.ok, false);
    assert.match(renamed.ok ? '' : renamed.reason, /names backup "other", not the directory's name "b1"/);
  });

  test('skips an unfinished backup until it expires, then imports it PartiallyFailed', () => {
    const finalizing = stored('b1', {
      status: { phase: 'Finalizing', expiration: '2026-12-31T00:00:00Z' },
    });
    const waiting = importStoredBackup(finalizing, ctx());
    assert.equal(waiting.ok, false);
    assert.match(waiting.ok ? '' : waiting.reason, /Finalizing/);
    const expired = importStoredBackup(
      stored('b1', { status: { phase: 'WaitingForPluginOperations', expiration: '2026-12-01T00:00:00Z' } }),
      ctx(),
    );
    assert.ok(expired.ok);
    assert.equal(expired.backup.status?.phase, 'PartiallyFailed');
    assert.match(expired.note ?? '', /imported as PartiallyFailed/);
  });

  test('never imports a backup that never ran (the backup controller would run it again)', () => {
    for (const phase of [undefined, 'New']) {
      const r = importStoredBackup(stored('b1', { status: phase ? { phase } : {} }), ctx());
      assert.equal(r.ok, false, String(phase));
    }
  });
});

describe('syncDue', () => {
  const base = { periodMs: 60_000, phase: 'Available', lastSyncedTime: '2026-12-05T00:59:30Z', now: NOW };

  test('syncs once at server start even if synced recently, then on the period', () => {
    assert.equal(syncDue({ ...base, syncedSinceStart: false }).due, true);
    const soon = syncDue({ ...base, syncedSinceStart: true });
    assert.deepEqual(soon, { due: false, inMs: 30_000, reason: 'synced recently' });
    assert.equal(syncDue({ ...base, syncedSinceStart: true, lastSyncedTime: '2026-12-05T00:59:00Z' }).due, true);
    assert.equal(syncDue({ ...base, syncedSinceStart: true, lastSyncedTime: undefined }).due, true);
  });

  test('never syncs with a period of 0 or a location that is not Available', () => {
    assert.deepEqual(syncDue({ ...base, periodMs: 0, syncedSinceStart: false }), {
      due: false,
      reason: 'sync is disabled (period 0)',
    });
    assert.equal(syncDue({ ...base, phase: 'Unavailable', syncedSinceStart: false }).due, false);
    assert.equal(syncDue({ ...base, phase: undefined, syncedSinceStart: false }).due, false);
  });
});
