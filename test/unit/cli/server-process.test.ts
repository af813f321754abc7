import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
// @ts-expect-error: plain JavaScript run before the TypeScript is loaded; no declarations
import { GLOBAL_OPTIONS_WITH_VALUE, serverFlagsApplied, subcommand } from '../../../bin/server-process.mjs';
import { buildProgram } from '../../../src/cli/program.ts';

const sub = subcommand as (args: string[]) => string | undefined;
const applied = serverFlagsApplied as (execArgv: string[], nodeOptions: string | undefined) => boolean;

describe('how bin/skiff.mjs starts the server process', () => {
  test('finds the subcommand past global options and their values', () => {
    assert.equal(sub(['server']), 'server');
    assert.equal(sub(['-n', 'velero', 'server', '--metrics-address', '']), 'server');
    assert.equal(sub(['--kubeconfig', '/k', '--namespace=x', 'server']), 'server');
    assert.equal(sub(['-n', 'server', 'backup', 'get']), 'backup', 'a namespace called "server" is a value');
    assert.equal(sub(['backup', 'create', 'server']), 'backup', 'a backup called "server" is an argument');
    assert.equal(sub(['--help']), undefined);
  });

  test('knows every global option that takes a value', () => {
    const withValue = buildProgram()
      .options.filter((o) => o.required || o.optional)
      .flatMap((o) => [o.short, o.long].filter((f): f is string => f !== undefined));
    assert.deepEqual([...withValue].sort(), [...(GLOBAL_OPTIONS_WITH_VALUE as string[])].sort());
  });

  test('re-executes only when the young-generation cap is not already set', () => {
    assert.equal(applied([], undefined), false);
    assert.equal(applied(['--max-semi-space-size=8'], undefined), true);
    assert.equal(applied([], '--max-semi-space-size=32 --enable-source-maps'), true, "the user's own value wins");
    assert.equal(applied(['--enable-source-maps'], ''), false);
  });
});
