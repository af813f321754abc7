import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import { CliContext } from '../../../src/cli/context.ts';
import { describeOptions } from '../../../src/cli/describe-options.ts';
import { FlagError } from '../../../src/cli/errors.ts';
import { parseTimeoutFlag } from '../../../src/cli/flags.ts';
import { buildProgram } from '../../../src/cli/program.ts';

const refused =
  (...patterns: RegExp[]) =>
  (err: unknown): boolean =>
    err instanceof FlagError &&
    err.problems.length === patterns.length &&
    patterns.every((re, i) => re.test(err.problems[i] ?? ''));

beforeEach(() => {
  mock.method(CliContext.prototype, 'cluster', () => {
    throw new Error('the command reached the cluster');
  });
});
afterEach(() => mock.restoreAll());

/** Runs a skiff command line that must be refused before it opens the cluster. */
async function refusedCommand(args: string[], ...patterns: RegExp[]): Promise<void> {
  await assert.rejects(buildProgram().exitOverride().parseAsync(args, { from: 'user' }), refused(...patterns));
}

describe('--timeout of the commands that wait for a DownloadRequest', () => {
  test('takes a Go duration as Velero does, and a plain number as seconds as Skiff did', () => {
    assert.equal(parseTimeoutFlag('2m'), 120_000);
    assert.equal(parseTimeoutFlag('1m30s'), 90_000);
    assert.equal(parseTimeoutFlag('90'), 90_000);
    assert.equal(parseTimeoutFlag(undefined), undefined);
  });

  test('a non-duration and zero are refused, naming the flag', () => {
    assert.throws(() => parseTimeoutFlag('abc'), refused(/^--timeout: invalid duration "abc".*or a number of seconds/));
    assert.throws(() => parseTimeoutFlag('0'), refused(/^--timeout: "0" is not more than zero/));
    assert.throws(() => parseTimeoutFlag('0s'), refused(/^--timeout: "0s" is not more than zero/));
    assert.throws(() => parseTimeoutFlag('-5'), refused(/^--timeout: invalid duration "-5"/));
  });

  for (const command of [
    ['backup', 'describe', 'b1', '--details'],
    ['restore', 'describe', 'r1', '--details'],
    ['backup', 'logs', 'b1'],
    ['restore', 'logs', 'r1'],
    ['backup', 'download', 'b1'],
  ]) {
    test(`skiff ${command.slice(0, 2).join(' ')} refuses --timeout abc and 0 before it asks the cluster`, async () => {
      await refusedCommand([...command, '--timeout', 'abc'], /^--timeout: invalid duration "abc"/);
      await refusedCommand([...command, '--timeout', '0'], /^--timeout: "0" is not more than zero/);
    });
  }
});

describe('describe --details, --timeout and -o', () => {
  test('--details waits 1m for each file unless --timeout says otherwise', () => {
    assert.deepEqual(describeOptions({ details: true }), { details: { timeoutMs: 60_000, tls: {} } });
    assert.deepEqual(describeOptions({ details: true, timeout: '2m' }), { details: { timeoutMs: 120_000, tls: {} } });
    assert.deepEqual(describeOptions({ details: true, timeout: '30' }), { details: { timeoutMs: 30_000, tls: {} } });
    assert.deepEqual(describeOptions({ details: true, insecureSkipTlsVerify: true }), {
      details: { timeoutMs: 60_000, tls: { insecureSkipTlsVerify: true } },
    });
    assert.deepEqual(describeOptions({}), {});
    assert.deepEqual(describeOptions({ output: 'yaml' }), { output: 'yaml' });
  });

  test('--timeout without --details is refused: nothing is downloaded for it to bound', () => {
    assert.throws(() => describeOptions({ timeout: '2m' }), refused(/^--timeout applies only with --details/));
  });

  test('--cacert and --insecure-skip-tls-verify need --details, a CA file that is there, and not each other', () => {
    assert.throws(
      () => describeOptions({ insecureSkipTlsVerify: true }),
      refused(/^--insecure-skip-tls-verify applies only with --details/),
    );
    assert.throws(
      () => describeOptions({ details: true, cacert: '/no/such/ca.pem', insecureSkipTlsVerify: true }),
      refused(/^--cacert and --insecure-skip-tls-verify: give one/, /^--cacert: no file at \/no\/such\/ca\.pem/),
    );
  });

  test('--details and --timeout with -o json|yaml are refused, naming each', () => {
    assert.throws(
      () => describeOptions({ output: 'json', details: true, timeout: '2m' }),
      refused(/^--details does nothing with -o json/, /^--timeout does nothing with -o json/),
    );
    assert.throws(
      () => describeOptions({ output: 'yaml', details: true }),
      refused(/^--details does nothing with -o yaml/),
    );
  });

  test('skiff backup describe and restore describe refuse the combinations before they ask the cluster', async () => {
    for (const noun of ['backup', 'restore']) {
      await refusedCommand([noun, 'describe', 'x', '--timeout', '2m'], /^--timeout applies only with --details/);
      await refusedCommand([noun, 'describe', 'x', '--details', '-o', 'json'], /^--details does nothing with -o json/);
      await refusedCommand([noun, 'describe', 'x', '--details', '--timeout', 'abc'], /^--timeout: invalid duration/);
      await refusedCommand([noun, 'logs', 'x', '--cacert', '/no/such/ca.pem'], /^--cacert: no file at/);
    }
  });
});
