import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SelectionItem } from '../../../src/selection/item.ts';
import {
  decideRestoreItem,
  mapNamespace,
  namespacesToRestore,
  resolveRestoreSelection,
  shouldRestoreStatus,
  skippedOutright,
  validateRestoreSelection,
  type RestoreSelectionSpec,
} from '../../../src/selection/restore-selection.ts';
import { clusterItem, nsItem, resolve } from './fixtures.ts';

function reasonOf(
  spec: RestoreSelectionSpec,
  item: SelectionItem,
  origin: 'archived' | 'additional' = 'archived',
): string | null {
  const d = decideRestoreItem(resolveRestoreSelection(spec, resolve), item, { origin });
  return d.included ? null : d.reason;
}

test('namespace mapping restores into the new namespace and leaves unmapped ones as they were', () => {
  const spec = { namespaceMapping: { prod: 'staging' } };
  assert.equal(mapNamespace(spec, 'prod'), 'staging');
  assert.equal(mapNamespace(spec, 'other'), 'other');
  assert.equal(mapNamespace({}, 'prod'), 'prod');
});

test('filters use the source namespace, not the mapped one', () => {
  const spec = { includedNamespaces: ['prod'], namespaceMapping: { prod: 'staging' } };
  assert.equal(reasonOf(spec, nsItem('pods', 'prod')), null);
  assert.equal(reasonOf(spec, nsItem('pods', 'staging')), 'namespace staging is not in spec.includedNamespaces');
});

test('an excluded namespace glob wins over the includes', () => {
  assert.match(
    reasonOf({ includedNamespaces: ['*'], excludedNamespaces: ['kube-*'] }, nsItem('pods', 'kube-system')) ?? '',
    /excluded by spec.excludedNamespaces \(kube-\*\)/,
  );
});

const clusterCases: [string, RestoreSelectionSpec, boolean][] = [
  ['unset, every namespace restores cluster-scoped items', {}, true],
  ['unset, some namespaces skips them', { includedNamespaces: ['a'] }, false],
  ['unset, an excluded namespace skips them', { excludedNamespaces: ['b'] }, false],
  ['true, some namespaces restores them', { includedNamespaces: ['a'], includeClusterResources: true }, true],
  ['false skips them', { includeClusterResources: false }, false],
];
for (const [name, spec, included] of clusterCases) {
  test(`includeClusterResources ${name}`, () => {
    assert.equal(reasonOf(spec, clusterItem('storageclasses.storage.k8s.io')) === null, included);
  });
}

test('a related cluster-scoped additional item is restored unless includeClusterResources is false', () => {
  const pv = clusterItem('persistentvolumes', 'pv-1');
  assert.equal(reasonOf({ includedNamespaces: ['a'] }, pv, 'additional'), null);
  assert.match(
    reasonOf({ includeClusterResources: false }, pv, 'additional') ?? '',
    /includeClusterResources is false/,
  );
});

test('additional items skip label selectors but not the namespace filter', () => {
  const spec = { includedNamespaces: ['a'], labelSelector: { matchLabels: { app: 'web' } } };
  assert.equal(reasonOf(spec, nsItem('secrets', 'a', 's', {}), 'additional'), null);
  assert.match(reasonOf(spec, nsItem('secrets', 'b', 's', {}), 'additional') ?? '', /namespace b/);
  assert.equal(reasonOf(spec, nsItem('secrets', 'a', 's', {})), 'labels do not match spec.labelSelector');
});

test('non-restorable resources are never restored, even with an empty filter', () => {
  for (const gr of [
    'nodes',
    'events',
    'events.events.k8s.io',
    'backups.velero.io',
    'volumeattachments.storage.k8s.io',
  ]) {
    assert.match(reasonOf({}, clusterItem(gr)) ?? '', /never restored|excluded/, gr);
  }
});

test('must-have types bypass resource, namespace and label filters', () => {
  const spec = { includedNamespaces: ['a'], includedResources: ['pods'], labelSelector: { matchLabels: { x: 'y' } } };
  assert.equal(reasonOf(spec, nsItem('datauploads.velero.io', 'velero')), null);
  assert.equal(reasonOf(spec, clusterItem('volumesnapshotcontents.snapshot.storage.k8s.io')), null);
});

test('namespace objects are left to the ensure-namespace step', () => {
  assert.match(reasonOf({}, clusterItem('namespaces', 'a')) ?? '', /ensure-namespace/);
});

test('status is restored per restoreStatus, and the annotation wins', () => {
  const sel = resolveRestoreSelection({ restoreStatus: { includedResources: ['deploy'] } }, resolve);
  assert.equal(shouldRestoreStatus(sel, nsItem('deployments.apps', 'a')), true);
  assert.equal(shouldRestoreStatus(sel, nsItem('pods', 'a')), false);
  const off = { ...nsItem('deployments.apps', 'a'), annotations: { 'velero.io/restore-status': 'false' } };
  assert.equal(shouldRestoreStatus(sel, off), false);
  const unset = resolveRestoreSelection({}, resolve);
  assert.equal(shouldRestoreStatus(unset, nsItem('pods', 'a')), false);
  const on = { ...nsItem('pods', 'a'), annotations: { 'velero.io/restore-status': 'true' } };
  assert.equal(shouldRestoreStatus(unset, on), true);
});

test('finished pods, completed jobs and mirror pods are skipped outright', () => {
  assert.match(skippedOutright({ groupResource: 'pods', status: { phase: 'Succeeded' } }) ?? '', /Succeeded/);
  assert.match(
    skippedOutright({ groupResource: 'pods', annotations: { 'kubernetes.io/config.mirror': 'abc' } }) ?? '',
    /mirror/,
  );
  assert.match(
    skippedOutright({ groupResource: 'jobs.batch', status: { completionTime: '2026-01-01T00:00:00Z' } }) ?? '',
    /completed/,
  );
  assert.equal(skippedOutright({ groupResource: 'pods', status: { phase: 'Running' } }), null);
});

test('namespace globs are expanded against the namespaces in the backup', () => {
  const sel = resolveRestoreSelection({ includedNamespaces: ['app-*'] }, resolve);
  assert.deepEqual(namespacesToRestore(sel, ['db', 'app-b', 'app-a']), ['app-a', 'app-b']);
});

const validationCases: [string, RestoreSelectionSpec, RegExp[]][] = [
  ['a valid spec', { includedNamespaces: ['a'], includedResources: ['pods'] }, []],
  [
    'a non-restorable resource in the includes',
    { includedResources: ['nodes'] },
    [/^nodes are non-restorable resources$/],
  ],
  [
    '* in excluded namespaces',
    { excludedNamespaces: ['*'] },
    [/^Invalid included\/excluded namespace lists: excludes list cannot contain '\*'/],
  ],
  [
    'labelSelector with orLabelSelectors',
    { labelSelector: {}, orLabelSelectors: [{}] },
    [/in restore spec, only one can be specified/],
  ],
  ['* with other resources', { includedResources: ['*', 'pods'] }, [/^Invalid included\/excluded resource lists/]],
];
for (const [name, spec, expected] of validationCases) {
  test(`restore validation: ${name}`, () => {
    const errs = validateRestoreSelection(spec);
    assert.equal(errs.length, expected.length, errs.join(' | '));
    expected.forEach((re, i) => assert.match(errs[i] ?? '', re));
  });
}
