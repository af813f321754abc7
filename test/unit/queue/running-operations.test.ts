import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RunningOperations } from '../../../src/controllers/running-operations.ts';
import { coalesced } from '../../../src/util/async.ts';

/** A promise and the function that settles it. */
const unexpected = (err: unknown): never => {
  throw new Error(`unexpected error: ${String(err)}`);
};

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('RunningOperations', () => {
  test('a run counts from its start to the end of its background remainder, then listeners hear of it', async () => {
    const runs = new RunningOperations();
    let ended = 0;
    runs.onEnded(() => ended++);
    const gate = deferred();
    await runs.run('b1', () => Promise.resolve(() => gate.promise), unexpected);
    assert.equal(runs.has('b1'), true, 'the remainder still runs');
    await runs.run('b1', () => Promise.reject(new Error('a second run of the same name must not start')), unexpected);
    gate.resolve();
    await runs.drain();
    assert.equal(runs.has('b1'), false);
    assert.equal(ended, 1);
  });

  test('a failed start is thrown and frees the name; a failed remainder goes to onError', async () => {
    const runs = new RunningOperations();
    await assert.rejects(
      runs.run('r1', () => Promise.reject(new Error('conflict')), unexpected),
      /conflict/,
    );
    assert.equal(runs.size, 0);
    const errors: unknown[] = [];
    await runs.run(
      'r1',
      () => Promise.resolve(() => Promise.reject(new Error('upload failed'))),
      (e) => errors.push(e),
    );
    await runs.drain();
    assert.match(String(errors[0]), /upload failed/);
    assert.equal(runs.size, 0);
  });
});

describe('coalesced', () => {
  test('calls during a run fold into one more run after it', async () => {
    const gate = deferred();
    let runs = 0;
    const look = coalesced(async () => {
      runs++;
      if (runs === 1) await gate.promise;
    });
    const first = look();
    const during = [look(), look(), look()];
    assert.equal(runs, 1);
    gate.resolve();
    await Promise.all([first, ...during]);
    assert.equal(runs, 2, 'one run for the burst, after the first');
    await look();
    assert.equal(runs, 3);
  });
});
