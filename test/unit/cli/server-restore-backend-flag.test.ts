import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CliContext } from '../../../src/cli/context.ts';
import { FlagError } from '../../../src/cli/errors.ts';
import { serverOptions } from '../../../src/cli/server/server.ts';

const ctx = new CliContext({ namespace: 'velero' });

describe('skiff server --restore-backend-timeout', () => {
  test('reaches the server options as a Go duration', () => {
    assert.equal(serverOptions(ctx, { restoreBackendTimeout: '90s' }).restoreBackendTimeout, '1m30s');
    assert.equal(serverOptions(ctx, {}).restoreBackendTimeout, undefined, 'the restore then waits its default 1m');
  });

  test('a bad duration is named', () => {
    assert.throws(
      () => serverOptions(ctx, { restoreBackendTimeout: 'a while' }),
      (err: unknown) =>
        err instanceof FlagError && /--restore-backend-timeout: invalid duration "a while"/.test(err.problems[0] ?? ''),
    );
  });
});
