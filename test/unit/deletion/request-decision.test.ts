import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Backup, DeleteBackupRequest } from '../../../src/api/index.ts';
import { deleteBackupRequestFor, deleteRequestSelector } from '../../../src/deletion/delete-request.ts';
import type { LocationState } from '../../../src/deletion/location-state.ts';
import { decideRequest, refusal } from '../../../src/deletion/request-decision.ts';

const NOW = new Date('2026-03-02T12:00:00Z');
const HOUR = 3_600_000;

function aRequest(phase: string | undefined, ageMs: number, backupName = 'web'): DeleteBackupRequest {
  return {
    apiVersion: 'velero.io/v1',
    kind: 'DeleteBackupRequest',
    metadata: { name: 'web-abcde', creationTimestamp: new Date(NOW.getTime() - ageMs).toISOString() },
    spec: { backupName },
    ...(phase !== undefined ? { status: { phase: phase as 'New' } } : {}),
  };
}

function aBackup(phase: string | undefined): Backup {
  return {
    apiVersion: 'velero.io/v1',
    kind: 'Backup',
    metadata: { name: 'web', namespace: 'velero', uid: 'u1' },
    spec: { storageLocation: 'default' },
    ...(phase !== undefined ? { status: { phase: phase as 'New' } } : {}),
  };
}

const usable: LocationState = { kind: 'found', name: 'default', readOnly: false, available: true, message: '' };

describe('delete backup request housekeeping (reference §5.3)', () => {
  test('a Processed request is kept for 24h, then deleted', () => {
    const young = decideRequest(aRequest('Processed', 23 * HOUR), NOW, false);
    assert.deepEqual(young, { action: 'skip', reason: 'already Processed', recheckAfterMs: HOUR });
    assert.equal(decideRequest(aRequest('Processed', 24 * HOUR), NOW, false).action, 'expire');
  });

  test('an InProgress request left by a stopped server is carried out again, or deleted after 24h', () => {
    assert.equal(decideRequest(aRequest('InProgress', HOUR), NOW, false).action, 'process');
    assert.equal(decideRequest(aRequest('InProgress', 25 * HOUR), NOW, false).action, 'expire');
    assert.equal(decideRequest(aRequest('InProgress', 25 * HOUR), NOW, true).action, 'skip');
  });

  test('new requests are processed; one without a backup name is rejected with a reason', () => {
    assert.equal(decideRequest(aRequest(undefined, 0), NOW, false).action, 'process');
    assert.equal(decideRequest(aRequest('New', 0), NOW, false).action, 'process');
    assert.deepEqual(decideRequest(aRequest('New', 0, ''), NOW, false), {
      action: 'reject',
      errors: ['spec.backupName is required'],
    });
  });
});

describe('delete backup refusals (reference §5.3, §5.6)', () => {
  test('a finished backup in a usable location may be deleted', () => {
    for (const phase of ['Completed', 'PartiallyFailed', 'Failed', 'FailedValidation', 'Deleting']) {
      assert.equal(refusal('web', aBackup(phase), usable), null, phase);
    }
  });

  test('a backup that has not finished is refused, naming its phase', () => {
    for (const phase of [undefined, 'New', 'Queued', 'InProgress', 'WaitingForPluginOperations', 'Finalizing']) {
      assert.match(refusal('web', aBackup(phase), usable) ?? '', /still in progress \(phase \w+\)/);
    }
  });

  test('a missing backup, and a missing, ReadOnly or unavailable location, are refused with a reason', () => {
    assert.equal(refusal('web', undefined, undefined), 'backup web not found');
    const b = aBackup('Completed');
    assert.match(refusal('web', b, { kind: 'missing', name: 'default' }) ?? '', /location default not found/);
    assert.match(refusal('web', b, { ...usable, readOnly: true }) ?? '', /read-only mode/);
    assert.match(
      refusal('web', b, { ...usable, available: false, message: 'bucket gone' }) ?? '',
      /unavailable.*bucket gone/,
    );
  });
});

describe('the one DeleteBackupRequest builder', () => {
  test('names the request after the backup, labels it with name and uid, and selects by both', () => {
    const dbr = deleteBackupRequestFor(aBackup('Completed'));
    assert.equal(dbr.metadata.generateName, 'web-');
    assert.equal(dbr.metadata.namespace, 'velero');
    assert.deepEqual(dbr.metadata.labels, { 'velero.io/backup-name': 'web', 'velero.io/backup-uid': 'u1' });
    assert.equal(deleteRequestSelector('web', 'u1'), 'velero.io/backup-name=web,velero.io/backup-uid=u1');
  });

  test('a long backup name is normalised in the label (reference §0)', () => {
    const long = 'b'.repeat(70);
    const dbr = deleteBackupRequestFor({ ...aBackup('Completed'), metadata: { name: long, uid: 'u' } });
    assert.equal(dbr.metadata.labels?.['velero.io/backup-name']?.length, 63);
    assert.equal(dbr.spec.backupName, long);
  });
});
