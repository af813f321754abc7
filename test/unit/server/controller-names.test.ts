import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { backupController } from '../../../src/controllers/backup-controller.ts';
import { backupQueueController } from '../../../src/controllers/backup-queue-controller.ts';
import { backupSyncController } from '../../../src/controllers/backup-sync-controller.ts';
import { deleteBackupController } from '../../../src/controllers/delete-backup-controller.ts';
import { downloadRequestController } from '../../../src/controllers/download-request-controller.ts';
import { gcController } from '../../../src/controllers/gc-controller.ts';
import { restoreController } from '../../../src/controllers/restore-controller.ts';
import { RunningOperations } from '../../../src/controllers/running-operations.ts';
import { scheduleController } from '../../../src/controllers/schedule-controller.ts';
import { serverStatusController } from '../../../src/controllers/server-status-controller.ts';
import { DISABLEABLE_CONTROLLERS, disableControllersProblems } from '../../../src/server/controller-names.ts';
import { backupRepositoryController } from '../../../src/volumes/repository/controller.ts';

/**
 * The names of the controllers runAsLeader (src/server/server.ts) can disable. Building a
 * spec only reads the few deps given here; the controllers are never run.
 */
function serverControllerNames(): string[] {
  const deps = { namespace: 'velero', runs: new RunningOperations(), defaultSyncPeriod: '1m' } as never;
  return [
    backupQueueController(deps),
    backupController(deps),
    restoreController(deps),
    downloadRequestController(deps),
    deleteBackupController(deps),
    gcController(deps),
    serverStatusController(deps),
    scheduleController(deps),
    backupSyncController(deps),
    backupRepositoryController(deps),
  ].map((spec) => spec.name);
}

describe('--disable-controllers names', () => {
  test('every name it accepts on its own stops a controller of the server', () => {
    const running = serverControllerNames();
    for (const name of DISABLEABLE_CONTROLLERS) assert.ok(running.includes(name), `${name} matches no controller`);
  });

  test('the Velero controllers Skiff folds into backup and restore need their host in the list', () => {
    assert.deepEqual(disableControllersProblems(['backup', 'backup-operations', 'backup-finalizer']), []);
    assert.deepEqual(disableControllersProblems(['restore', 'restore-operations', 'restore-finalizer']), []);
    const alone = disableControllersProblems(['restore-finalizer', 'backup', 'gc']);
    assert.equal(alone.length, 1);
    assert.match(alone[0] ?? '', /"restore-finalizer" .* inside the "restore" controller/);
  });

  test('backup-storage-location always runs, as in Velero, so it is refused', () => {
    assert.match(disableControllersProblems(['backup-storage-location'])[0] ?? '', /is not a controller/);
  });
});
