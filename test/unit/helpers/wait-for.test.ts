import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor, WaitImpossible } from '../../helpers/cluster.ts';

test('waitFor: a check that says the wait is impossible fails it at once, naming what was awaited', async () => {
  let calls = 0;
  await assert.rejects(
    waitFor(
      'the upload to be part-way',
      () => {
        calls += 1;
        return Promise.reject(new WaitImpossible('finished before it could be canceled'));
      },
      60_000,
    ),
    { message: 'waiting for the upload to be part-way: finished before it could be canceled' },
  );
  assert.equal(calls, 1, 'no second poll: it did not wait for the deadline');
});

test('waitFor: any other error is retried, and the last one is named at the deadline', async () => {
  let calls = 0;
  await assert.rejects(
    waitFor(
      'a ConfigMap',
      () => {
        calls += 1;
        return Promise.reject(new Error('404 NotFound'));
      },
      300,
    ),
    { message: 'timed out after 300 ms waiting for a ConfigMap: 404 NotFound' },
  );
  assert.ok(calls >= 2, `retried (${calls} calls)`);
});
