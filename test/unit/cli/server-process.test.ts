import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
// @ts-expect-error: plain JavaScript run before the TypeScript is loaded; no declarations
import * as serverProcess from '../../../bin/server-process.mjs';
import { buildProgram } from '../../../src/cli/program.ts';

const { GLOBAL_OPTIONS_WITH_VALUE, missingServerFlags, serverFlagsApplied, subcommand, nodeFlagsFor } =
  serverProcess as Record<string, unknown>;
const flagsFor = nodeFlagsFor as (subcommand: string | undefined) => string[] | undefined;
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

  test('re-executes only when a server flag is not already set, adding only the missing ones', () => {
    assert.equal(applied([], undefined), false);
    assert.equal(applied(['--max-semi-space-size=4', '--heap-growing-percent=30'], undefined), true);
    assert.equal(applied(['--heap-growing-percent=50'], '--max-semi-space-size=32 --enable-source-maps'), true);
    assert.equal(applied(['--enable-source-maps'], ''), false);
    assert.deepEqual(
      (missingServerFlags as (a: string[], o: string) => string[])([], '--max-semi-space-size=32'),
      ['--heap-growing-percent=30'],
      "the user's own young-generation size wins",
    );
  });

  test('starts the node agent with the server’s flags and --lite-mode, and short commands with none', () => {
    assert.deepEqual(flagsFor('server'), ['--max-semi-space-size=4', '--heap-growing-percent=30']);
    assert.deepEqual(flagsFor('node-agent'), ['--max-semi-space-size=4', '--heap-growing-percent=30', '--lite-mode']);
    assert.equal(flagsFor('backup'), undefined);
    assert.equal(flagsFor(undefined), undefined);
    assert.deepEqual(
      (missingServerFlags as (a: string[], o: string, f: string[]) => string[])(
        ['--heap-growing-percent=30'],
        '',
        flagsFor('node-agent') ?? [],
      ),
      ['--max-semi-space-size=4', '--lite-mode'],
    );
  });
});
