import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planOrphanCleanup } from '../../../src/controllers/interrupted-backups.ts';
import { afterCleanupFailure, planRestoreCleanup } from '../../../src/controllers/restore-finalizer.ts';
import type { KubeObject } from '../../../src/kube/object.ts';

function restore(status: Record<string, unknown> | undefined, backupName = 'b1'): KubeObject {
  return {
    apiVersion: 'velero.io/v1',
    kind: 'Restore',
    metadata: { name: 'r1', namespace: 'velero' },
    spec: { backupName },
    ...(status ? { status } : {}),
  };
}

test('a restore that never started has nothing to clean: its finalizer goes at once', () => {
  for (const status of [undefined, { phase: 'New' }, { phase: 'FailedValidation', validationErrors: ['x'] }]) {
    const plan = planRestoreCleanup(restore(status));
    assert.equal(plan.action, 'release', JSON.stringify(status));
    assert.match(plan.action === 'release' ? plan.reason : '', /never started/);
  }
});

test('a restore that ran may have written files: they are cleaned first', () => {
  for (const phase of ['InProgress', 'Completed', 'PartiallyFailed', 'Failed']) {
    assert.deepEqual(planRestoreCleanup(restore({ phase, startTimestamp: '2026-01-01T00:00:00Z' })), {
      action: 'clean',
      backupName: 'b1',
    });
  }
  assert.equal(planRestoreCleanup(restore({ phase: 'Completed' }, '')).action, 'release', 'no backup, no files');
});

test('a failing cleanup is retried a bounded number of times, then given up', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6].map((n) => afterCleanupFailure(n)),
    ['retry', 'retry', 'retry', 'retry', 'give-up', 'give-up'],
  );
  assert.equal(afterCleanupFailure(1, 1), 'give-up');
});

const META = 'p/backups/b1/velero-backup.json';
const companions = ['p/backups/b1/b1-itemoperations.json.gz', 'p/backups/b1/b1-volumeinfo.json.gz'];

test("an interrupted backup's companion files are removed, and only those listed", () => {
  assert.deepEqual(planOrphanCleanup(companions, META, 'ReadWrite'), { action: 'remove', keys: companions });
  assert.deepEqual(planOrphanCleanup(companions, META, undefined), { action: 'remove', keys: companions });
});

test('a finished upload, a ReadOnly location or an empty directory keeps everything', () => {
  assert.equal(planOrphanCleanup([...companions, META], META, 'ReadWrite').action, 'keep');
  assert.equal(planOrphanCleanup(companions, META, 'ReadOnly').action, 'keep');
  assert.equal(planOrphanCleanup([], META, 'ReadWrite').action, 'keep');
});
