import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeExecFailure, execEnd } from '../../../src/kube/exec-status.ts';
import { formatMs } from '../../../src/kube/exec.ts';

describe('execEnd reads the final Status of an exec stream', () => {
  test('Success is a zero exit', () => {
    assert.deepEqual(execEnd({ metadata: {}, status: 'Success' }), { ok: true });
  });

  test('a kubelet NonZeroExitCode Status gives the code from details.causes', () => {
    // As the API server relays a kubelet's exit status (apimachinery remotecommand).
    const status = {
      metadata: {},
      status: 'Failure',
      message: 'command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    };
    const end = execEnd(status);
    assert.deepEqual(end, { ok: false as const, exitCode: 3, message: status.message });
    assert.ok(!end.ok);
    if (!end.ok) assert.match(describeExecFailure(end), /^exit code 3: command terminated/);
  });

  test("kwok's InternalError without a code is a failure with its message", () => {
    // As kwok answers `sh -c 'exit 3'` (testenv §4.5).
    const status = {
      metadata: {},
      status: 'Failure',
      message: 'Internal error occurred: error executing command in container: cmd wait: sh -c exit 3: exit status 3',
      reason: 'InternalError',
      details: { causes: [{ message: 'error executing command in container: cmd wait: sh -c exit 3: exit status 3' }] },
      code: 500,
    };
    const end = execEnd(status);
    assert.equal(end.ok, false);
    assert.ok(!end.ok && end.exitCode === undefined);
    assert.ok(!end.ok && end.message.includes('exit status 3'));
  });

  test('a Failure without a message falls back to its reason; no Status at all is a failure', () => {
    assert.deepEqual(execEnd({ status: 'Failure', reason: 'InternalError' }), {
      ok: false,
      message: 'InternalError',
    });
    assert.equal(execEnd(undefined).ok, false);
  });

  test('a cause that is not a number is not taken for an exit code', () => {
    const end = execEnd({
      status: 'Failure',
      message: 'x',
      details: { causes: [{ reason: 'ExitCode', message: 'n/a' }] },
    });
    assert.deepEqual(end, { ok: false, message: 'x' });
  });
});

test('formatMs prints time limits as Go durations', () => {
  assert.equal(formatMs(30_000), '30s');
  assert.equal(formatMs(90_000), '1m30s');
  assert.equal(formatMs(3_600_000), '1h0m0s');
  assert.equal(formatMs(1500), '1.5s');
  assert.equal(formatMs(250), '250ms');
});
