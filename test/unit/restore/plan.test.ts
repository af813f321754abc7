import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatRestorePlan } from '../../../src/restore/plan/format-plan.ts';
import { parseRestorePriorities } from '../../../src/restore/plan/priorities.ts';
import type { CreateOperation } from '../../../src/restore/plan/types.ts';
import { planTotals } from '../../../src/restore/plan/types.ts';
import { allOps, item, obj, opFor, planFor, testDiscovery } from '../../helpers/restore-fixtures.ts';

const crd = obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'widgets.example.com', undefined, {
  spec: {
    group: 'example.com',
    names: { plural: 'widgets', kind: 'Widget' },
    scope: 'Namespaced',
    versions: [{ name: 'v1', served: true, storage: true }],
  },
});
const widget = obj('example.com/v1', 'Widget', 'w1', 'app', { spec: { size: 3 } });
const ns = obj('v1', 'Namespace', 'app', undefined, {
  metadata: { labels: { team: 'a' } },
  status: { phase: 'Active' },
});
const cm = obj('v1', 'ConfigMap', 'cfg', 'app', { data: { greeting: 'hello' } });
const deploy = obj('apps/v1', 'Deployment', 'web', 'app', { spec: { replicas: 1 }, status: { readyReplicas: 1 } });
const svc = obj('v1', 'Service', 'web', 'app', {
  spec: { clusterIP: '10.0.0.5', clusterIPs: ['10.0.0.5'], ports: [{ port: 80 }] },
});
const pv = obj('v1', 'PersistentVolume', 'pv1', undefined, {
  spec: {
    persistentVolumeReclaimPolicy: 'Retain',
    claimRef: { namespace: 'app', name: 'data', uid: 'old', resourceVersion: '1' },
  },
});
const pvc = obj('v1', 'PersistentVolumeClaim', 'data', 'app', {
  metadata: { annotations: { 'pv.kubernetes.io/bind-completed': 'yes' } },
  spec: { volumeName: 'pv1' },
  status: { phase: 'Bound' },
});
const finishedPod = obj('v1', 'Pod', 'done', 'app', { status: { phase: 'Succeeded' } });

const backup = [
  item('customresourcedefinitions.apiextensions.k8s.io', crd),
  item('widgets.example.com', widget),
  item('namespaces', ns),
  item('configmaps', cm),
  item('deployments.apps', deploy),
  item('services', svc),
  item('persistentvolumes', pv),
  item('persistentvolumeclaims', pvc),
  item('pods', finishedPod),
];

describe('restore planner: ordering', () => {
  test('CRDs first, then namespaces, then the high priorities one type per tier, then the rest together', async () => {
    const plan = await planFor({ items: backup });
    assert.deepEqual(
      plan.tiers.map((t) => t.resources.join('+')),
      [
        'customresourcedefinitions.apiextensions.k8s.io',
        'namespaces',
        'persistentvolumes',
        'persistentvolumeclaims',
        'configmaps',
        'pods',
        'services',
        'deployments.apps+widgets.example.com',
      ],
    );
    assert.equal(plan.tiers[0]?.wait, 'established');
    assert.equal(plan.tiers[1]?.wait, 'active');
  });

  test('a --restore-resource-priorities list overrides the defaults, low priorities come last', async () => {
    const plan = await planFor({
      items: backup,
      input: { priorities: parseRestorePriorities('services,configmaps,-,deployments.apps') },
    });
    assert.deepEqual(
      plan.tiers.map((t) => t.resources.join('+')),
      [
        'customresourcedefinitions.apiextensions.k8s.io',
        'namespaces',
        'services',
        'configmaps',
        'persistentvolumeclaims+persistentvolumes+pods+widgets.example.com',
        'deployments.apps',
      ],
    );
  });

  test('a custom resource is planned against the CRD the backup brings', async () => {
    const op = opFor(await planFor({ items: backup }), 'Widget', 'w1');
    assert.equal(op.kind, 'create');
    assert.deepEqual(op.target.type, { group: 'example.com', version: 'v1', resource: 'widgets' });
  });

  test('a type the target does not serve and no CRD defines fails the item, not the restore', async () => {
    const gadget = obj('other.io/v1', 'Gadget', 'g', 'app');
    const plan = await planFor({ items: [item('gadgets.other.io', gadget)] });
    const op = opFor(plan, 'Gadget', 'g');
    assert.equal(op.kind, 'fail');
    assert.match(op.kind === 'fail' ? op.error : '', /does not serve gadgets\.other\.io/);
  });
});

describe('restore planner: filters', () => {
  test('finished pods are skipped outright; namespaces are ensured, not restored as items', async () => {
    const plan = await planFor({ items: backup });
    const pod = opFor(plan, 'Pod', 'done');
    assert.equal(pod.kind === 'skip' && pod.reason, 'skipped-outright');
    const nsOp = opFor(plan, 'Namespace', 'app');
    assert.equal(nsOp.kind, 'create');
    assert.deepEqual(nsOp.object.metadata, { name: 'app', labels: { team: 'a' } });
  });

  test('includedNamespaces leaves cluster-scoped items out, except the PV a bound PVC pulls in', async () => {
    const other = obj('v1', 'ConfigMap', 'x', 'other');
    const plan = await planFor({
      items: [...backup, item('configmaps', other)],
      spec: { includedNamespaces: ['app'] },
    });
    assert.equal(opFor(plan, 'ConfigMap', 'x').kind, 'skip');
    assert.equal(opFor(plan, 'CustomResourceDefinition', 'widgets.example.com').kind, 'skip');
    assert.equal(opFor(plan, 'PersistentVolume', 'pv1').kind, 'create');
  });

  test('includeClusterResources=false keeps even the PV out', async () => {
    const plan = await planFor({ items: backup, spec: { includeClusterResources: false } });
    const op = opFor(plan, 'PersistentVolume', 'pv1');
    assert.equal(op.kind === 'skip' && op.reason, 'excluded');
  });

  test('resource excludes and label selectors', async () => {
    const plan = await planFor({
      items: backup,
      spec: { excludedResources: ['configmaps'], labelSelector: { matchLabels: { app: 'x' } } },
    });
    const cmOp = opFor(plan, 'ConfigMap', 'cfg');
    assert.equal(
      cmOp.kind === 'skip' && cmOp.detail,
      'resource configmaps is excluded by spec.excludedResources (configmaps)',
    );
    const dep = opFor(plan, 'Deployment', 'web');
    assert.equal(dep.kind === 'skip' && dep.reason, 'excluded');
  });

  test('non-restorable resources are never restored', async () => {
    const node = obj('v1', 'Node', 'n1');
    const op = opFor(await planFor({ items: [item('nodes', node)] }), 'Node', 'n1');
    assert.equal(op.kind === 'skip' && op.reason, 'non-restorable');
  });
});

describe('restore planner: objects to create', () => {
  test('the created object is cleaned and carries the restore labels; status only when restoreStatus says so', async () => {
    const plan = await planFor({ items: backup, spec: { restoreStatus: { includedResources: ['deployments'] } } });
    const op = opFor(plan, 'Deployment', 'web') as CreateOperation;
    assert.deepEqual(op.object, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'web',
        namespace: 'app',
        labels: { 'velero.io/backup-name': 'b1', 'velero.io/restore-name': 'r1' },
      },
      spec: { replicas: 1 },
    });
    assert.deepEqual(op.status, { readyReplicas: 1 });
    assert.equal((opFor(plan, 'ConfigMap', 'cfg') as CreateOperation).status, undefined);
  });

  test('long backup and restore names are normalised like GetValidName', async () => {
    const long = 'b'.repeat(70);
    const plan = await planFor({ items: [item('configmaps', cm)], spec: { backupName: long } });
    const label = (opFor(plan, 'ConfigMap', 'cfg') as CreateOperation).object.metadata.labels?.[
      'velero.io/backup-name'
    ];
    assert.equal(label?.length, 63);
    assert.ok(label?.startsWith('b'.repeat(57)));
  });

  test('namespace mapping moves namespaced objects and the PV claimRef; cluster objects are not duplicated', async () => {
    const plan = await planFor({ items: backup, spec: { namespaceMapping: { app: 'app-copy' } } });
    const cmOp = opFor(plan, 'ConfigMap', 'cfg') as CreateOperation;
    assert.equal(cmOp.object.metadata.namespace, 'app-copy');
    assert.equal(cmOp.target.sourceNamespace, 'app');
    const pvOp = opFor(plan, 'PersistentVolume', 'pv1') as CreateOperation;
    assert.deepEqual((pvOp.object.spec as { claimRef: unknown }).claimRef, { namespace: 'app-copy', name: 'data' });
    assert.equal(allOps(plan).filter((o) => o.target.kind === 'PersistentVolume').length, 1);
    const nsOp = opFor(plan, 'Namespace', 'app-copy') as CreateOperation;
    assert.equal(nsOp.object.metadata.name, 'app-copy');
  });

  test('an existing Active namespace is skipped, a Terminating one is awaited then created', async () => {
    const active = await planFor({
      items: [item('configmaps', cm)],
      live: [obj('v1', 'Namespace', 'app', undefined, { status: { phase: 'Active' } })],
    });
    assert.equal(opFor(active, 'Namespace', 'app').kind, 'skip');
    const terminating = await planFor({
      items: [item('configmaps', cm)],
      live: [obj('v1', 'Namespace', 'app', undefined, { status: { phase: 'Terminating' } })],
    });
    const op = opFor(terminating, 'Namespace', 'app');
    assert.equal(op.kind === 'create' && op.awaitTermination, true);
  });
});

describe('restore planner: existing objects', () => {
  const liveCm = (data: Record<string, string>, labels: Record<string, string> = {}) =>
    obj('v1', 'ConfigMap', 'cfg', 'app', {
      metadata: { uid: 'new-uid', resourceVersion: '999', labels, managedFields: [{ manager: 'x' }] },
      data,
    });

  test('a live object equal after cleaning is skipped as identical', async () => {
    const plan = await planFor({
      items: [item('configmaps', cm)],
      live: [liveCm({ greeting: 'hello' }, { 'velero.io/restore-name': 'old' })],
    });
    const op = opFor(plan, 'ConfigMap', 'cfg');
    assert.equal(op.kind === 'skip' && op.reason, 'identical');
  });

  test('policy none: a different live object is a conflict with a field diff', async () => {
    const plan = await planFor({ items: [item('configmaps', cm)], live: [liveCm({ greeting: 'bye' })] });
    const op = opFor(plan, 'ConfigMap', 'cfg');
    assert.equal(op.kind, 'conflict');
    assert.deepEqual(op.kind === 'conflict' && op.changes, [
      { op: 'replace', path: '/data/greeting', live: 'bye', desired: 'hello' },
    ]);
  });

  test('policy update: a merge patch with the changes and the restore labels', async () => {
    const plan = await planFor({
      items: [item('configmaps', cm)],
      spec: { existingResourcePolicy: 'update' },
      live: [liveCm({ greeting: 'bye', extra: 'x' })],
    });
    const op = opFor(plan, 'ConfigMap', 'cfg');
    assert.equal(op.kind, 'update');
    assert.deepEqual(op.kind === 'update' && op.patch, {
      metadata: { labels: { 'velero.io/backup-name': 'b1', 'velero.io/restore-name': 'r1' } },
      data: { greeting: 'hello', extra: null },
    });
  });

  test('policy update on an identical object only patches the restore labels when they differ', async () => {
    const plan = await planFor({
      items: [item('configmaps', cm)],
      spec: { existingResourcePolicy: 'update' },
      live: [liveCm({ greeting: 'hello' })],
    });
    const op = opFor(plan, 'ConfigMap', 'cfg');
    assert.equal(op.kind === 'update' && op.labelsOnly, true);
  });

  test('a restored Service with a new clusterIP is still identical on a second run', async () => {
    const live = obj('v1', 'Service', 'web', 'app', {
      metadata: { labels: { 'velero.io/backup-name': 'b1', 'velero.io/restore-name': 'r1' } },
      spec: { clusterIP: '10.9.9.9', clusterIPs: ['10.9.9.9'], ports: [{ port: 80 }] },
    });
    const op = opFor(await planFor({ items: [item('services', svc)], live: [live] }), 'Service', 'web');
    assert.equal(op.kind === 'skip' && op.reason, 'identical');
  });

  test('an invalid existingResourcePolicy is a validation error', async () => {
    await assert.rejects(planFor({ items: [], spec: { existingResourcePolicy: 'replace' } }), /existingResourcePolicy/);
  });
});

describe('restore plan printer', () => {
  test('prints tiers, operations with diffs, and totals', async () => {
    const plan = await planFor({
      items: [item('configmaps', cm), item('pods', finishedPod), item('namespaces', ns)],
      live: [obj('v1', 'ConfigMap', 'cfg', 'app', { data: { greeting: 'bye' } })],
      input: { discovery: testDiscovery() },
    });
    const text = formatRestorePlan(plan);
    assert.match(text, /^Restore plan for r1 from backup b1 \(existing resource policy: none\)/);
    // The live ConfigMap's namespace is live too.
    assert.match(
      text,
      /Tier 1: namespaces \(then wait until Active\)\n {2}skip {5}Namespace app \(exists: namespace exists\)/,
    );
    assert.match(text, /conflict ConfigMap app\/cfg .*\n {13}~ \/data\/greeting: "bye" -> "hello"/);
    assert.match(text, /skip {5}Pod app\/done \(skipped-outright: pod is in phase Succeeded\)/);
    assert.match(text, /Totals: 0 to create, 0 to update, 2 skipped, 1 in conflict, 0 failing \(3 items\)/);
    assert.deepEqual(planTotals(plan).items, 3);
  });
});
