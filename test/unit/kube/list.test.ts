import assert from 'node:assert/strict';
import { test } from 'node:test';
import { continueToken, listPageRequest } from '../../../src/kube/list.ts';

const page = (head: string): Buffer => Buffer.from(`${head}"items":[{"metadata":{"name":"a","continue":"no"}}]}`);

test('continueToken reads the token from a LIST answer as the API server writes it', () => {
  const served = page(
    '{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"12","continue":"eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ==","remainingItemCount":9500},',
  );
  assert.equal(continueToken(served), 'eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ==');
});

test('continueToken finds none on a last page, whatever its items hold', () => {
  assert.equal(
    continueToken(page('{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"12"},')),
    undefined,
  );
  assert.equal(
    continueToken(page('{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"12","continue":""},')),
    undefined,
  );
});

test('continueToken leaves an answer of another shape to the page decoder', () => {
  // Items before the metadata, or a token with an escape: the decoded page says.
  assert.equal(continueToken(Buffer.from('{"items":[],"metadata":{"continue":"abc"}}')), undefined);
  assert.equal(continueToken(page('{"kind":"L","apiVersion":"v1","metadata":{"continue":"a\\u003db"},')), undefined);
});

test('a LIST asks for pages of 500 by default, of the size given, and for everything at once with 0', () => {
  const rt = { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true, verbs: [] };
  assert.equal(listPageRequest(rt, {}).query?.limit, 500);
  assert.equal(listPageRequest(rt, { pageSize: 2000 }).query?.limit, 2000);
  // The API server treats a missing limit as "no paging"; `limit=0` would mean the same, but is left out as client-go does.
  assert.equal(listPageRequest(rt, { pageSize: 0 }).query?.limit, undefined);
});
