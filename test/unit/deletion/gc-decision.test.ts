import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Backup } from '../../../src/api/index.ts';
import { decideGc, gcFrequencyMs, gcPrecheck, type GcInputs } from '../../../src/deletion/gc-decision.ts';
import type { LocationState } from '../../../src/deletion/location-state.ts';

const NOW = new Date('2026-03-01T12:00:00Z');

function aBackup(status: Backup['status'], labels: Record<string, string> = {}): Backup {
  return {
    apiVersion: 'velero.io/v1',
    kind: 'Backup',
    metadata: { name: 'web', namespace: 'velero', uid: 'u1', labels },
    spec: { storageLocation: 'default' },
    status,
  };
}

const expired = { phase: 'Completed' as const, expiration: '2026-03-01T11:00:00Z' };
const usable: LocationState = { kind: 'found', name: 'default', readOnly: false, available: true, message: '' };

function inputs(over: Partial<GcInputs> = {}): GcInputs {
  return { backup: aBackup(expired), location: usable, restores: [], requestPhases: [], ...over };
}

describe('garbage collection decision (reference §5.2)', () => {
  test('a backup expiring later, or without an expiration, is kept without looking further', () => {
    assert.equal(gcPrecheck(aBackup({ phase: 'Completed', expiration: '2026-03-01T12:00:01Z' }), NOW)?.action, 'keep');
    assert.equal(gcPrecheck(aBackup({ phase: 'Completed' }), NOW)?.action, 'keep');
    assert.equal(gcPrecheck(aBackup(expired), NOW), undefined);
  });

  test('an expired backup that is still being written is left until it has finished', () => {
    const d = decideGc(inputs({ backup: aBackup({ ...expired, phase: 'InProgress' }) }), NOW);
    assert.equal(d.action, 'keep');
    assert.match(d.reason, /InProgress/);
  });

  test('an expired backup in a usable location is deleted through a request', () => {
    assert.deepEqual(decideGc(inputs(), NOW), { action: 'delete', reason: 'expired', clearLabel: false });
  });

  test('a missing or unreadable location labels the backup and deletes nothing', () => {
    const missing = decideGc(inputs({ location: { kind: 'missing', name: 'default' } }), NOW);
    assert.deepEqual([missing.action, 'label' in missing && missing.label], ['mark', 'BSLNotFound']);
    const unreadable = decideGc(inputs({ location: { kind: 'unreadable', name: 'default', error: 'boom' } }), NOW);
    assert.deepEqual([unreadable.action, 'label' in unreadable && unreadable.label], ['mark', 'BSLCannotGet']);
  });

  test('an unavailable location is retried later without a label, even if also ReadOnly', () => {
    const d = decideGc(
      inputs({ location: { ...usable, available: false, readOnly: true, message: 'no bucket' } }),
      NOW,
    );
    assert.equal(d.action, 'retry');
    assert.match(d.reason, /not Available: no bucket/);
  });

  test('a ReadOnly location labels BSLReadOnly and says why', () => {
    const d = decideGc(inputs({ location: { ...usable, readOnly: true } }), NOW);
    assert.equal(d.action, 'mark');
    assert.equal('label' in d && d.label, 'BSLReadOnly');
    assert.match(d.reason, /ReadOnly/);
  });

  test('a restore that is New or InProgress holds the deletion back; a finished one does not', () => {
    for (const phase of [undefined, '', 'New', 'InProgress']) {
      const d = decideGc(inputs({ restores: [{ name: 'r1', phase }] }), NOW);
      assert.equal(d.action, 'retry', `restore phase ${String(phase)}`);
      assert.match(d.reason, /r1/);
    }
    for (const phase of ['Completed', 'PartiallyFailed', 'Failed', 'FailedValidation']) {
      assert.equal(decideGc(inputs({ restores: [{ name: 'r1', phase }] }), NOW).action, 'delete');
    }
  });

  test('a pending request is not doubled; a processed one does not count', () => {
    for (const phase of [undefined, 'New', 'InProgress']) {
      assert.equal(decideGc(inputs({ requestPhases: [phase] }), NOW).action, 'pending');
    }
    assert.equal(decideGc(inputs({ requestPhases: ['Processed'] }), NOW).action, 'delete');
  });

  test('a former failure label is removed once the location is usable again', () => {
    const labelled = aBackup(expired, { 'velero.io/gc-failure': 'BSLReadOnly' });
    assert.deepEqual(decideGc(inputs({ backup: labelled }), NOW), {
      action: 'delete',
      reason: 'expired',
      clearLabel: true,
    });
  });

  test('a frequency of 0 means the default hour', () => {
    assert.equal(gcFrequencyMs(0), 3_600_000);
    assert.equal(gcFrequencyMs(5000), 5000);
  });
});
