import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CliContext } from '../../../src/cli/context.ts';
import { FlagError } from '../../../src/cli/errors.ts';
import { serverOptions } from '../../../src/cli/server/server.ts';

const ctx = new CliContext({ namespace: 'velero' });

describe('skiff server flags for garbage collection and controllers', () => {
  test('--garbage-collection-frequency and --disable-controllers reach the server options', () => {
    const opts = serverOptions(ctx, { garbageCollectionFrequency: '10m', disableControllers: 'gc, restore' });
    assert.equal(opts.garbageCollectionFrequency, '10m0s');
    assert.deepEqual(opts.disableControllers, ['gc', 'restore']);
  });

  test('a bad frequency and an unknown controller are both named', () => {
    assert.throws(
      () => serverOptions(ctx, { garbageCollectionFrequency: 'hourly', disableControllers: 'gc,gardener' }),
      (err: unknown) =>
        err instanceof FlagError &&
        err.problems.length === 2 &&
        /--garbage-collection-frequency: invalid duration "hourly"/.test(err.problems[0] ?? '') &&
        /"gardener" is not a controller/.test(err.problems[1] ?? ''),
    );
  });

  test('a Velero controller whose work runs inside backup or restore is refused alone, naming its host', () => {
    assert.throws(
      () =>
        serverOptions(ctx, {
          disableControllers: 'backup-operations,backup-finalizer,restore-operations,restore-finalizer',
        }),
      (err: unknown) =>
        err instanceof FlagError &&
        err.problems.length === 4 &&
        /"backup-operations" is not a separate controller in Skiff: its work runs inside the "backup" controller, so it can be disabled only together with it/.test(
          err.problems[0] ?? '',
        ) &&
        /"backup-finalizer" .*inside the "backup" controller/.test(err.problems[1] ?? '') &&
        /"restore-operations" .*inside the "restore" controller/.test(err.problems[2] ?? '') &&
        /"restore-finalizer" .*inside the "restore" controller.*--disable-controllers restore,restore-finalizer/.test(
          err.problems[3] ?? '',
        ),
    );
  });

  test('with the controller that does its work, such a name is accepted: that work then stops', () => {
    const opts = serverOptions(ctx, { disableControllers: 'backup,backup-finalizer,restore-finalizer,restore' });
    assert.deepEqual(opts.disableControllers, ['backup', 'backup-finalizer', 'restore-finalizer', 'restore']);
  });

  test('every other Velero name is a Skiff controller and is accepted', () => {
    const names = [
      'backup-queue',
      'backup',
      'backup-deletion',
      'backup-sync',
      'download-request',
      'gc',
      'backup-repo',
      'restore',
      'schedule',
      'server-status-request',
    ];
    assert.deepEqual(serverOptions(ctx, { disableControllers: names.join(',') }).disableControllers, names);
  });
});

describe('skiff server flags for concurrency', () => {
  test('--concurrent-backups and --item-block-worker-count reach the server options', () => {
    const opts = serverOptions(ctx, { concurrentBackups: '3', itemBlockWorkerCount: '2' });
    assert.equal(opts.concurrentBackups, 3);
    assert.equal(opts.itemBlockWorkerCount, 2);
    const defaults = serverOptions(ctx, {});
    assert.equal(defaults.concurrentBackups, undefined, 'the server then runs one backup at a time');
    assert.equal(defaults.itemBlockWorkerCount, undefined);
  });

  test('--client-page-size 0 means unpaged lists, as in Velero; a non-number is refused', () => {
    assert.equal(serverOptions(ctx, { clientPageSize: '0' }).clientPageSize, 0);
    assert.equal(serverOptions(ctx, { clientPageSize: '2000' }).clientPageSize, 2000);
    assert.throws(
      () => serverOptions(ctx, { clientPageSize: '-1' }),
      (err: unknown) => err instanceof FlagError && /--client-page-size: "-1"/.test(err.problems[0] ?? ''),
    );
  });

  test('zero and non-numbers are refused, naming each flag', () => {
    assert.throws(
      () => serverOptions(ctx, { concurrentBackups: '0', itemBlockWorkerCount: 'many' }),
      (err: unknown) =>
        err instanceof FlagError &&
        err.problems.length === 2 &&
        /--concurrent-backups must be at least 1/.test(err.problems[0] ?? '') &&
        /--item-block-worker-count: "many" is not a non-negative integer/.test(err.problems[1] ?? ''),
    );
  });
});
