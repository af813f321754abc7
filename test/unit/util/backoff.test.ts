import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelay, FailureBackoff, RETRY_BACKOFF, type BackoffPolicy } from '../../../src/util/backoff.ts';

const policy: BackoffPolicy = { baseMs: 1000, capMs: 300_000, jitter: 0.5 };
const top = (): number => 0.999999;
const bottom = (): number => 0;

test('the delay doubles from the base with each failure in a row, up to the cap', () => {
  const full = [1, 2, 3, 4, 5, 9, 10].map((n) => backoffDelay(n, policy, top));
  assert.deepEqual(full, [1000, 2000, 4000, 8000, 16_000, 256_000, 300_000]);
  assert.equal(backoffDelay(1000, policy, top), 300_000, 'a long outage stays at the cap, finite');
});

test('jitter takes up to its share off the delay, never all of it', () => {
  assert.equal(backoffDelay(3, policy, bottom), 2000, 'half of 4 s at the lowest draw');
  assert.equal(
    backoffDelay(3, policy, () => 0.5),
    3000,
  );
  assert.equal(backoffDelay(20, policy, bottom), 150_000, 'half the cap at the lowest draw');
  assert.equal(
    backoffDelay(3, { ...policy, jitter: 0 }, () => 0.3),
    4000,
    'no jitter: exact',
  );
});

test('two objects failing together do not retry in lock-step', () => {
  const draws = [0.1, 0.9];
  const random = (): number => draws.shift() ?? 0;
  assert.notEqual(backoffDelay(4, policy, random), backoffDelay(4, policy, random));
});

test('the default retries start near a second and stop growing at five minutes', () => {
  assert.ok(backoffDelay(1, RETRY_BACKOFF, top) <= 1000 && backoffDelay(1, RETRY_BACKOFF, bottom) >= 500);
  assert.equal(backoffDelay(50, RETRY_BACKOFF, top), 300_000);
});

test('failures are counted per key, and a success starts the key again at the base delay', () => {
  const b = new FailureBackoff<string>(policy, top);
  assert.deepEqual(b.failed('a'), { failures: 1, delayMs: 1000 });
  assert.deepEqual(b.failed('a'), { failures: 2, delayMs: 2000 });
  assert.deepEqual(b.failed('a'), { failures: 3, delayMs: 4000 });
  assert.deepEqual(b.failed('b'), { failures: 1, delayMs: 1000 }, 'another object is not slowed down');
  b.reset('a');
  assert.equal(b.count('a'), 0);
  assert.deepEqual(b.failed('a'), { failures: 1, delayMs: 1000 });
});
