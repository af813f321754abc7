import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CliContext } from '../../../src/cli/context.ts';
import { FlagError } from '../../../src/cli/errors.ts';
import { parseLogLevel } from '../../../src/cli/flags.ts';
import { buildProgram } from '../../../src/cli/program.ts';
import { serverOptions } from '../../../src/cli/server/server.ts';

const namesFlag = (err: unknown): boolean =>
  err instanceof FlagError &&
  err.problems.length === 1 &&
  /^--log-level "loud" is not one of /.test(err.problems[0] ?? '');

describe('--log-level', () => {
  test("takes the logger's levels in any case, and Velero's warning and panic", () => {
    assert.equal(parseLogLevel('debug'), 'debug');
    assert.equal(parseLogLevel('Info'), 'info');
    assert.equal(parseLogLevel('warning'), 'warn');
    assert.equal(parseLogLevel('panic'), 'fatal', 'Velero has a level above fatal; here fatal is the highest');
    assert.equal(parseLogLevel(undefined), undefined);
    assert.throws(() => parseLogLevel('loud'), namesFlag);
  });

  test('skiff server passes the level on, and refuses an unknown one naming the flag', () => {
    const ctx = new CliContext({ namespace: 'velero' });
    assert.equal(serverOptions(ctx, { logLevel: 'warning' }).logLevel, 'warn');
    assert.throws(() => serverOptions(ctx, { logLevel: 'loud' }), namesFlag);
  });

  test('skiff node-agent refuses an unknown level naming the flag, before it starts', async () => {
    const program = buildProgram().exitOverride();
    await assert.rejects(
      program.parseAsync(['node-agent', '--node', 'n1', '--log-level', 'loud'], { from: 'user' }),
      namesFlag,
    );
  });
});
