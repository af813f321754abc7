import assert from 'node:assert/strict';
import { test } from 'node:test';
import { includesResource, resolveResourceFilter } from '../../../src/selection/resource-filter.ts';
import { resolve } from './fixtures.ts';

test('plural, singular, kind, short and group-qualified names all resolve to resource.group', () => {
  const f = resolveResourceFilter(['pods', 'secret', 'Deployment', 'cm', 'deploy.apps'], [], resolve);
  assert.deepEqual(f.includes, ['pods', 'secrets', 'deployments.apps', 'configmaps']);
  assert.deepEqual(f.unresolved, []);
});

test('an unknown name is kept as given, not an error, so it cannot widen the filter to everything', () => {
  const f = resolveResourceFilter(['widgets.example.com'], [], resolve);
  assert.deepEqual(f.includes, ['widgets.example.com']);
  assert.deepEqual(f.unresolved, ['widgets.example.com']);
  assert.equal(includesResource(f, 'pods'), false);
  assert.equal(includesResource(f, 'widgets.example.com'), true);
});

test('an empty include list or * includes every type; excludes win', () => {
  assert.equal(includesResource(resolveResourceFilter([], [], resolve), 'anything.io'), true);
  const f = resolveResourceFilter(['*'], ['secrets'], resolve);
  assert.equal(includesResource(f, 'pods'), true);
  assert.equal(includesResource(f, 'secrets'), false);
});

test('unresolved globs still match group-resources', () => {
  const f = resolveResourceFilter(['*.apps'], [], resolve);
  assert.equal(includesResource(f, 'deployments.apps'), true);
  assert.equal(includesResource(f, 'pods'), false);
});

test('a scoped list drops names of the other scope', () => {
  const f = resolveResourceFilter(['pods', 'pv'], [], resolve, 'cluster');
  assert.deepEqual(f.includes, ['persistentvolumes']);
  assert.deepEqual(f.wrongScope, ['pods']);
});
