import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { formatError, serializeError } from '../../../src/util/errors.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');

/** The restore finalizer's error of issue 12: a message that already quotes its cause. */
function wrappedTwice(): Error {
  const root = new Error('Backup store contains invalid top-level directories: junk');
  return new Error(`backup storage location "default" cannot be used: ${root.message}`, { cause: root });
}

test('a cause already quoted in the message is not repeated', () => {
  assert.equal(
    formatError(wrappedTwice()),
    'backup storage location "default" cannot be used: Backup store contains invalid top-level directories: junk',
  );
});

test('causes not in the message are appended, outermost first, on one line', () => {
  const err = new Error('restore r1 could not be cleaned up', {
    cause: new Error('listing restores/r1/\nfailed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:9') }),
  });
  assert.equal(
    formatError(err),
    'restore r1 could not be cleaned up: listing restores/r1/ failed: connect ECONNREFUSED 127.0.0.1:9',
  );
});

test('an AggregateError without a message of its own names its errors; a non-Error is printed as is', () => {
  const agg = new AggregateError([
    new Error('connect ECONNREFUSED ::1:9'),
    new Error('connect ECONNREFUSED 127.0.0.1:9'),
  ]);
  assert.equal(
    formatError(new Error('fetch failed', { cause: agg })),
    'fetch failed: connect ECONNREFUSED ::1:9; connect ECONNREFUSED 127.0.0.1:9',
  );
  assert.equal(formatError('plain text'), 'plain text');
  const circular = new Error('a');
  (circular as { cause?: unknown }).cause = circular;
  assert.equal(formatError(circular), 'a');
});

test('a logged error carries its stack only when asked for', () => {
  assert.equal(serializeError(wrappedTwice(), false).stack, undefined);
  assert.match(serializeError(wrappedTwice(), true).stack ?? '', /at wrappedTwice/);
});

/** Runs the server's logger in a child process (it writes to fd 2) and returns its lines. */
function logLines(level: string): Record<string, unknown>[] {
  const log = pathToFileURL(join(ROOT, 'src', 'util', 'log.ts')).href;
  const script = `
    import { createLogger } from ${JSON.stringify(log)};
    const root = new Error('Backup store contains invalid top-level directories: junk');
    const err = new Error('location "default" cannot be used: ' + root.message, { cause: root });
    createLogger('test', ${JSON.stringify(level)}).error({ err }, 'reconcile failed');`;
  const res = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  assert.equal(res.status, 0, res.stderr);
  const lines = res.stderr.split('\n').filter((l) => l !== '');
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('the server log writes an error once, on one line, with its causes and no stack at info level', () => {
  const lines = logLines('info');
  assert.equal(lines.length, 1);
  const err = lines[0]?.err as { message: string; stack?: string };
  assert.equal(
    err.message,
    'location "default" cannot be used: Backup store contains invalid top-level directories: junk',
  );
  assert.equal(err.stack, undefined);
});

test('at debug level the log line also carries the stack', () => {
  const err = logLines('debug')[0]?.err as { stack?: string };
  assert.match(err.stack ?? '', /^Error: location "default" cannot be used/);
});
