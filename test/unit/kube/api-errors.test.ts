import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apiErrorOf, retryDelay, shouldResend, shouldRetry } from '../../../src/kube/client.ts';
import { KubeConnectionError, isAlreadyExists, isNotFound } from '../../../src/kube/errors.ts';

const POST = { method: 'POST', path: '/api/v1/namespaces/a/configmaps' } as const;
const GET = { method: 'GET', path: '/api/v1/namespaces/a/configmaps/x' } as const;

test("a Status answer gives the error its reason and message, and an object's 404 names it", () => {
  const exists = apiErrorOf(
    409,
    'Conflict',
    JSON.stringify({ kind: 'Status', reason: 'AlreadyExists', message: 'configmaps "x" already exists' }),
    POST,
  );
  assert.ok(isAlreadyExists(exists));
  assert.equal(exists.apiMessage, 'configmaps "x" already exists');
  const missing = apiErrorOf(404, 'Not Found', JSON.stringify({ reason: 'NotFound', details: { name: 'x' } }), GET);
  assert.ok(isNotFound(missing));
  assert.equal(missing.typeNotServed, false);
});

test('a 404 that is not a Status naming an object means the type is not served', () => {
  // The API server ends the text with a newline, which a message quoting it must not carry.
  const err = apiErrorOf(404, 'Not Found', '404 page not found\n', GET);
  assert.equal(err.typeNotServed, true);
  assert.equal(err.reason, 'Not Found');
  assert.equal(err.apiMessage, '404 page not found');
});

test('only transient failures of idempotent requests are retried, at most four times', () => {
  const busy = apiErrorOf(503, 'Service Unavailable', '', GET);
  assert.equal(shouldRetry(busy, GET, 0), true);
  assert.equal(shouldRetry(busy, GET, 4), false);
  // A create is not sent twice: the first may have been carried out.
  assert.equal(shouldRetry(apiErrorOf(503, 'Service Unavailable', '', POST), POST, 0), false);
  assert.equal(shouldRetry(apiErrorOf(400, 'Bad Request', '', GET), GET, 0), false);
});

test("the server's Retry-After is honoured up to 10 s; without it the delay doubles from 200 ms", () => {
  assert.equal(retryDelay('3', 0), 3000);
  assert.equal(retryDelay('120', 0), 10_000);
  assert.equal(retryDelay(null, 0), 200);
  assert.equal(retryDelay(null, 2), 800);
  assert.equal(retryDelay('soon', 1), 400);
});

test('a GET whose connection dropped is sent again; a write, a refused connection or the fifth try is not', () => {
  const dropped = (code: string) =>
    new KubeConnectionError('https://k', Object.assign(new Error('other side closed'), { code }));
  for (const code of ['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']) assert.equal(shouldResend(dropped(code), GET, 0), true);
  assert.equal(shouldResend(dropped('ECONNRESET'), GET, 4), false);
  assert.equal(shouldResend(dropped('ECONNRESET'), POST, 0), false);
  assert.equal(shouldResend(dropped('ECONNREFUSED'), GET, 0), false);
  assert.equal(shouldResend(new Error('something else'), GET, 0), false);
});
