import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBackup, parseRestore } from '../../../src/api/index.ts';
import { describeBackup } from '../../../src/cli/backup/describe-format.ts';
import { displayPhase } from '../../../src/cli/backup/get.ts';
import { displayRestorePhase } from '../../../src/cli/restore/get.ts';

const backup = (status: Record<string, unknown>) =>
  parseBackup({
    apiVersion: 'velero.io/v1',
    kind: 'Backup',
    metadata: { name: 'b', namespace: 'velero' },
    spec: {},
    status,
  });
const restore = (status: Record<string, unknown>) =>
  parseRestore({
    apiVersion: 'velero.io/v1',
    kind: 'Restore',
    metadata: { name: 'r', namespace: 'velero' },
    spec: { backupName: 'b' },
    status,
  });

test('a queued backup shows its queue position in get and describe', () => {
  assert.equal(displayPhase(backup({ phase: 'Queued', queuePosition: 2 })), 'Queued (2)');
  assert.equal(displayPhase(backup({ phase: 'InProgress' })), 'InProgress');
  const text = describeBackup(backup({ phase: 'Queued', queuePosition: 2 }));
  assert.match(text, /^Phase: {2}Queued \(2\)$/m);
  assert.match(text, /^Queue position: {2}2 \(waits for a free slot of --concurrent-backups/m);
  assert.doesNotMatch(describeBackup(backup({ phase: 'Completed' })), /Queue position/);
});

test('a restore waiting for its namespaces shows its position next to New', () => {
  assert.equal(displayRestorePhase(restore({ queuePosition: 1 })), 'New (queued: 1)');
  assert.equal(displayRestorePhase(restore({ phase: 'InProgress' })), 'InProgress');
});
