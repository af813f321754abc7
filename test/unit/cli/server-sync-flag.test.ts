import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CliContext } from '../../../src/cli/context.ts';
import { serverOptions } from '../../../src/cli/server/server.ts';

const ctx = new CliContext({ namespace: 'velero' });

describe('skiff server --backup-sync-period', () => {
  test('is passed to the server as given, 0 included (0 turns backup sync off)', () => {
    assert.equal(serverOptions(ctx, { backupSyncPeriod: '5m' }).backupSyncPeriod, '5m');
    assert.equal(serverOptions(ctx, { backupSyncPeriod: '0' }).backupSyncPeriod, '0');
    assert.equal(serverOptions(ctx, {}).backupSyncPeriod, undefined);
  });

  test('refuses a value that is not a duration, naming the flag', () => {
    assert.throws(
      () => serverOptions(ctx, { backupSyncPeriod: 'hourly' }),
      /--backup-sync-period: invalid duration "hourly"/,
    );
  });
});
