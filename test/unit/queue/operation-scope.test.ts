import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { backupScope, backupScopeNeedsNamespaces, restoreScope } from '../../../src/queue/operation-scope.ts';
import type { NamespaceScope } from '../../../src/queue/queue-decision.ts';

const names = (scope: NamespaceScope): string[] | '*' => (scope.all ? '*' : [...scope.namespaces].sort());

describe('backupScope', () => {
  test('named namespaces, minus the excluded ones', () => {
    assert.deepEqual(names(backupScope({ includedNamespaces: ['a', 'b', 'c'], excludedNamespaces: ['b'] })), [
      'a',
      'c',
    ]);
  });

  test('no includes, "*", or a malformed list is every namespace', () => {
    assert.equal(names(backupScope({})), '*');
    assert.equal(names(backupScope({ includedNamespaces: ['*'], excludedNamespaces: ['kube-system'] })), '*');
    assert.equal(names(backupScope({ includedNamespaces: 'a' })), '*');
    assert.equal(names(backupScope(undefined)), '*');
  });

  test('asking for cluster-scoped resources overlaps everything', () => {
    assert.equal(names(backupScope({ includedNamespaces: ['a'], includeClusterResources: true })), '*');
    assert.equal(names(backupScope({ includedNamespaces: ['a'], includedClusterScopedResources: ['nodes'] })), '*');
    // "auto" (unset) takes only the cluster objects related to the namespace's items.
    assert.deepEqual(names(backupScope({ includedNamespaces: ['a'], includeClusterResources: null })), ['a']);
  });

  test('globs expand against the cluster namespaces, and are every namespace without them', () => {
    const spec = { includedNamespaces: ['app-*', 'db'], excludedNamespaces: ['app-old'] };
    assert.equal(backupScopeNeedsNamespaces(spec), true);
    assert.equal(backupScopeNeedsNamespaces({ includedNamespaces: ['a', '*'] }), false);
    assert.deepEqual(names(backupScope(spec, ['app-1', 'app-old', 'other'])), ['app-1', 'db']);
    assert.equal(names(backupScope(spec)), '*');
  });
});

describe('restoreScope', () => {
  test('the restore includes, mapped to their target namespaces', () => {
    const spec = { includedNamespaces: ['a', 'b'], namespaceMapping: { a: 'a-copy' } };
    assert.deepEqual(names(restoreScope(spec, { includedNamespaces: ['a', 'b', 'c'] })), ['a-copy', 'b']);
  });

  test('no includes: the namespaces of the backup, minus the excludes, mapped', () => {
    const spec = { excludedNamespaces: ['b'], namespaceMapping: { a: 'x' } };
    assert.deepEqual(names(restoreScope(spec, { includedNamespaces: ['a', 'b'] })), ['x']);
  });

  test('from a backup of every namespace or an unknown backup, every namespace', () => {
    assert.equal(names(restoreScope({}, {})), '*');
    assert.equal(names(restoreScope({}, undefined)), '*');
    assert.equal(names(restoreScope({ includedNamespaces: ['a-*'] }, undefined)), '*');
  });

  test('globs expand against the backup namespaces', () => {
    assert.deepEqual(
      names(restoreScope({ includedNamespaces: ['app-*'] }, { includedNamespaces: ['app-1', 'app-2', 'db'] })),
      ['app-1', 'app-2'],
    );
  });

  test('includeClusterResources: true overlaps everything', () => {
    assert.equal(names(restoreScope({ includedNamespaces: ['a'], includeClusterResources: true }, {})), '*');
  });
});
