import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decideBackupItem,
  decideNamespaceObject,
  excludedByNamespace,
  excludedResourceType,
  listedItemDecider,
} from '../../../src/selection/backup-predicates.ts';
import {
  namespacesToBackUp,
  resolveBackupSelection,
  validateBackupSelection,
  withLabelExcludedNamespaces,
  type BackupSelectionSpec,
} from '../../../src/selection/backup-selection.ts';
import type { SelectionItem } from '../../../src/selection/item.ts';
import { clusterItem, nsItem, resolve } from './fixtures.ts';

function decide(
  spec: BackupSelectionSpec,
  item: SelectionItem,
  origin: 'listed' | 'additional' = 'listed',
  mustInclude = false,
) {
  return decideBackupItem(resolveBackupSelection(spec, resolve), item, { origin, mustInclude });
}

function reasonOf(
  spec: BackupSelectionSpec,
  item: SelectionItem,
  origin: 'listed' | 'additional' = 'listed',
): string | null {
  const d = decide(spec, item, origin);
  return d.included ? null : d.reason;
}

test('an excluded namespace wins over an included glob', () => {
  const spec = { includedNamespaces: ['app-*'], excludedNamespaces: ['app-secret'] };
  assert.equal(reasonOf(spec, nsItem('pods', 'app-web')), null);
  assert.equal(
    reasonOf(spec, nsItem('pods', 'app-secret')),
    'namespace app-secret is excluded by spec.excludedNamespaces (app-secret)',
  );
  assert.equal(reasonOf(spec, nsItem('pods', 'other')), 'namespace other is not in spec.includedNamespaces');
});

test('the namespace predicate names the excluding field', () => {
  const sel = resolveBackupSelection({ excludedNamespaces: ['kube-*'] }, resolve);
  assert.equal(
    excludedByNamespace(sel, nsItem('pods', 'kube-system')),
    'namespace kube-system is excluded by spec.excludedNamespaces (kube-*)',
  );
  assert.equal(excludedByNamespace(sel, clusterItem('persistentvolumes')), null);
});

test('an excluded resource wins over an included one, by any name form', () => {
  const spec = { includedResources: ['*'], excludedResources: ['secret'] };
  assert.match(reasonOf(spec, nsItem('secrets', 'a')) ?? '', /excluded by spec.excludedResources/);
  assert.equal(reasonOf(spec, nsItem('pods', 'a')), null);
});

// Listing of cluster-scoped types under each value of includeClusterResources (reference §3.2).
const clusterTypeCases: {
  name: string;
  spec: BackupSelectionSpec;
  clusterroles: boolean;
  namespaces: boolean;
}[] = [
  { name: 'unset, every namespace', spec: {}, clusterroles: true, namespaces: true },
  { name: 'unset, includedNamespaces=[*]', spec: { includedNamespaces: ['*'] }, clusterroles: true, namespaces: true },
  {
    name: 'unset, some namespaces',
    spec: { includedNamespaces: ['a'], includedResources: ['*'] },
    clusterroles: false,
    namespaces: true,
  },
  {
    name: 'unset, every namespace but one excluded',
    spec: { excludedNamespaces: ['b'], excludedResources: ['secrets'] },
    clusterroles: false,
    namespaces: true,
  },
  {
    name: 'true, some namespaces',
    spec: { includedNamespaces: ['a'], includeClusterResources: true },
    clusterroles: true,
    namespaces: true,
  },
  {
    name: 'true, type excluded',
    spec: { includeClusterResources: true, excludedResources: ['clusterroles'] },
    clusterroles: false,
    namespaces: true,
  },
  { name: 'false, every namespace', spec: { includeClusterResources: false }, clusterroles: false, namespaces: false },
];
for (const c of clusterTypeCases) {
  test(`includeClusterResources ${c.name}: clusterroles ${c.clusterroles ? 'listed' : 'not listed'}, namespaces ${c.namespaces ? 'listed' : 'not listed'}`, () => {
    const sel = resolveBackupSelection(c.spec, resolve);
    const cr = excludedResourceType(sel, {
      groupResource: 'clusterroles.rbac.authorization.k8s.io',
      namespaced: false,
    });
    const ns = excludedResourceType(sel, { groupResource: 'namespaces', namespaced: false });
    assert.equal(cr === null, c.clusterroles, cr ?? '');
    assert.equal(ns === null, c.namespaces, ns ?? '');
  });
}

// A PV returned by the PVC action (an additional item) under each value of includeClusterResources.
const relatedPvCases: [string, BackupSelectionSpec, boolean][] = [
  ['unset with a namespace filter takes the related PV', { includedNamespaces: ['a'] }, true],
  ['true takes the related PV', { includedNamespaces: ['a'], includeClusterResources: true }, true],
  ['false keeps the related PV out', { includedNamespaces: ['a'], includeClusterResources: false }, false],
  ['unset with includedResources not naming PVs keeps it out', { includedResources: ['pods', 'pvc'] }, false],
  ['an explicit exclude keeps it out', { includeClusterResources: true, excludedResources: ['pv'] }, false],
  ['scoped filters take it unless excluded', { includedNamespaceScopedResources: ['pvc'] }, true],
  ['scoped cluster exclude keeps it out', { excludedClusterScopedResources: ['persistentvolumes'] }, false],
];
for (const [name, spec, included] of relatedPvCases) {
  test(`a related cluster-scoped item: ${name}`, () => {
    assert.equal(decide(spec, clusterItem('persistentvolumes', 'pv-1'), 'additional').included, included);
  });
}

test('new-style filters: with nothing cluster-scoped named, a full backup lists every cluster-scoped type', () => {
  const sel = resolveBackupSelection({ includedNamespaceScopedResources: ['*'] }, resolve);
  assert.equal(excludedResourceType(sel, { groupResource: 'storageclasses.storage.k8s.io', namespaced: false }), null);
});

test('new-style filters: a partial namespace-scoped list lists only named cluster-scoped types and namespaces', () => {
  const sel = resolveBackupSelection(
    { includedNamespaceScopedResources: ['pods'], includedClusterScopedResources: ['sc'] },
    resolve,
  );
  assert.equal(excludedResourceType(sel, { groupResource: 'storageclasses.storage.k8s.io', namespaced: false }), null);
  assert.equal(excludedResourceType(sel, { groupResource: 'namespaces', namespaced: false }), null);
  assert.match(
    excludedResourceType(sel, { groupResource: 'clusterroles.rbac.authorization.k8s.io', namespaced: false }) ?? '',
    /not in spec.includedClusterScopedResources/,
  );
  assert.match(
    excludedResourceType(sel, { groupResource: 'secrets', namespaced: true }) ?? '',
    /not in spec.includedNamespaceScopedResources/,
  );
});

test('new-style filters: * in the excludes excludes every type of that scope', () => {
  const sel = resolveBackupSelection({ excludedClusterScopedResources: ['*'] }, resolve);
  assert.match(
    excludedResourceType(sel, { groupResource: 'namespaces', namespaced: false }) ?? '',
    /excludedClusterScopedResources/,
  );
  assert.equal(excludedResourceType(sel, { groupResource: 'pods', namespaced: true }), null);
});

test('pre-existing CSI snapshot objects are never collected, even when included', () => {
  const vs = nsItem('volumesnapshots.snapshot.storage.k8s.io', 'a');
  assert.match(
    reasonOf({ includedResources: ['volumesnapshots.snapshot.storage.k8s.io'] }, vs) ?? '',
    /always excluded/,
  );
  assert.match(reasonOf({}, clusterItem('volumesnapshotcontents.snapshot.storage.k8s.io')) ?? '', /always excluded/);
});

test('the exclude-from-backup label keeps an item out, first reason wins', () => {
  const item = nsItem('pods', 'kube-system', 'p', { 'velero.io/exclude-from-backup': 'true' });
  assert.equal(
    reasonOf({ excludedNamespaces: ['kube-system'] }, item, 'additional'),
    'label velero.io/exclude-from-backup=true is set',
  );
  assert.equal(reasonOf({}, nsItem('pods', 'a', 'p', { 'velero.io/exclude-from-backup': 'false' })), null);
});

test('must-include additional items bypass checks 1 to 4 but never the deletion check', () => {
  const excluded = nsItem('secrets', 'other', 's', { 'velero.io/exclude-from-backup': 'true' });
  assert.equal(decide({ includedNamespaces: ['a'] }, excluded, 'additional', true).included, true);
  const deleting = { ...nsItem('secrets', 'a'), deletionTimestamp: '2026-01-01T00:00:00Z' };
  assert.equal(decide({}, deleting, 'additional', true).included, false);
});

test('label selectors filter listed items but not additional items', () => {
  const spec = { labelSelector: { matchLabels: { app: 'web' } } };
  assert.equal(reasonOf(spec, nsItem('pods', 'a', 'p', { app: 'db' })), 'labels do not match spec.labelSelector');
  assert.equal(reasonOf(spec, nsItem('pods', 'a', 'p', { app: 'db' }), 'additional'), null);
  const or = { orLabelSelectors: [{ matchLabels: { app: 'web' } }, { matchLabels: { app: 'db' } }] };
  assert.equal(reasonOf(or, nsItem('pods', 'a', 'p', { app: 'db' })), null);
  assert.equal(reasonOf(or, nsItem('pods', 'a', 'p', { app: 'x' })), 'labels match none of spec.orLabelSelectors');
});

test('namespace objects: kept when included or holding items; with a selector on every namespace, only selected ones', () => {
  const plain = resolveBackupSelection({ includedNamespaces: ['a'] }, resolve);
  const ns = (name: string, labels: Record<string, string> = {}) => clusterItem('namespaces', name, labels);
  assert.equal(decideNamespaceObject(plain, ns('a'), new Set()).included, true);
  assert.equal(decideNamespaceObject(plain, ns('b'), new Set()).included, false);
  assert.equal(decideNamespaceObject(plain, ns('b'), new Set(['b'])).included, true);
  const selected = resolveBackupSelection({ labelSelector: { matchLabels: { team: 'x' } } }, resolve);
  assert.equal(decideNamespaceObject(selected, ns('c'), new Set()).included, false);
  assert.equal(decideNamespaceObject(selected, ns('c', { team: 'x' }), new Set()).included, true);
  assert.equal(decideNamespaceObject(selected, ns('d'), new Set(['d'])).included, true);
});

test('namespaces labelled exclude-from-backup join excludedNamespaces, sorted and unique', () => {
  const out = withLabelExcludedNamespaces(
    ['z', 'a'],
    [
      { name: 'b', labels: { 'velero.io/exclude-from-backup': 'true' } },
      { name: 'a', labels: { 'velero.io/exclude-from-backup': 'true' } },
      { name: 'c', labels: {} },
    ],
  );
  assert.deepEqual(out, ['a', 'b', 'z']);
});

test('namespacesToBackUp reports missing names and empty patterns', () => {
  const sel = resolveBackupSelection({ includedNamespaces: ['a', 'gone', 'x-*'] }, resolve);
  const r = namespacesToBackUp(sel, ['a', 'b']);
  assert.deepEqual(r, { all: false, namespaces: ['a'], missing: ['gone'], unmatchedPatterns: ['x-*'] });
  assert.equal(namespacesToBackUp(resolveBackupSelection({}, resolve), ['a']).all, true);
});

const validationCases: [string, BackupSelectionSpec, RegExp[]][] = [
  ['a valid spec', { includedNamespaces: ['a'], includedResources: ['pods'] }, []],
  [
    'old and new filters mixed',
    { includedResources: ['pods'], excludedClusterScopedResources: ['pv'] },
    [/They cannot be used together/],
  ],
  [
    'includeClusterResources with a scoped filter',
    { includeClusterResources: false, includedNamespaceScopedResources: ['pods'] },
    [/cannot be used together/],
  ],
  [
    'labelSelector with orLabelSelectors',
    { labelSelector: {}, orLabelSelectors: [] },
    [/^encountered labelSelector as well as orLabelSelectors in backup spec/],
  ],
  [
    '* with other includes',
    { includedResources: ['*', 'pods'] },
    [/^Invalid included\/excluded resource lists: includes list must either contain '\*' only/],
  ],
  ['* in old-style excludes', { excludedResources: ['*'] }, [/excludes list cannot contain '\*'/]],
  [
    'an item both included and excluded',
    { includedResources: ['pods'], excludedResources: ['pods'] },
    [/cannot contain an item in the includes list: pods/],
  ],
  [
    'scoped * exclude with includes',
    { includedClusterScopedResources: ['pv'], excludedClusterScopedResources: ['*'] },
    [/^Invalid cluster-scoped included\/excluded resource lists: when exclude is '\*', include cannot have value/],
  ],
  ['scoped * exclude alone is fine', { excludedNamespaceScopedResources: ['*'] }, []],
  // Empty includes are normalised to ["*"] first, so Velero also reports the overlap.
  [
    '* in excluded namespaces',
    { excludedNamespaces: ['*'] },
    [
      /^Invalid included\/excluded namespace lists: excludes list cannot contain '\*'/,
      /cannot contain an item in the includes list: \*/,
    ],
  ],
  ['unsupported namespace glob', { includedNamespaces: ['{a,b}'] }, [/unsupported characters/]],
  ['invalid namespace name', { includedNamespaces: ['Bad_NS'] }, [/invalid namespace "Bad_NS"/]],
  [
    'a malformed selector object',
    { labelSelector: { matchExpressions: [{ key: 'a', operator: 'Bogus' }] } },
    [/invalid label selector/],
  ],
];
for (const [name, spec, expected] of validationCases) {
  test(`validation: ${name}`, () => {
    const errs = validateBackupSelection(spec);
    assert.equal(errs.length, expected.length, errs.join(' | '));
    expected.forEach((re, i) => assert.match(errs[i] ?? '', re));
  });
}

test('the listed-item decider gives decideBackupItem’s answer and reason for every item', () => {
  const specs: BackupSelectionSpec[] = [
    {},
    { includedNamespaces: ['app-*'], excludedNamespaces: ['app-secret'] },
    { includedResources: ['pods', 'pv'], includeClusterResources: true },
    { excludedResources: ['secrets'], includeClusterResources: false },
    { includedNamespaces: ['app-web'], labelSelector: { matchLabels: { tier: 'web' } } },
    { orLabelSelectors: [{ matchLabels: { tier: 'db' } }, { matchLabels: { tier: 'web' } }] },
    { includedNamespaceScopedResources: ['pods'], includedClusterScopedResources: ['nodes'] },
    { excludedNamespaceScopedResources: ['configmaps'], excludedClusterScopedResources: ['*'] },
  ];
  const labelSets: Record<string, string>[] = [
    {},
    { tier: 'web' },
    { tier: 'db', 'velero.io/exclude-from-backup': 'true' },
  ];
  const items: SelectionItem[] = [];
  for (const labels of labelSets) {
    for (const ns of ['app-web', 'app-secret', 'other']) {
      for (const gr of ['pods', 'secrets', 'configmaps', 'deployments.apps']) {
        items.push({ ...nsItem(gr, ns), labels });
        items.push({ ...nsItem(gr, ns), labels, deletionTimestamp: '2026-01-01T00:00:00Z' });
      }
    }
    for (const gr of ['persistentvolumes', 'nodes', 'clusterroles.rbac.authorization.k8s.io']) {
      items.push({ ...clusterItem(gr), labels });
    }
  }
  for (const spec of specs) {
    const selection = resolveBackupSelection(spec, resolve);
    const decide = listedItemDecider(selection);
    // Twice over, so the second pass reads what the first one remembered.
    for (const item of [...items, ...items.reverse()]) {
      assert.deepEqual(
        decide(item),
        decideBackupItem(selection, item, { origin: 'listed' }),
        `${JSON.stringify(spec)} ${JSON.stringify(item)}`,
      );
    }
  }
});
