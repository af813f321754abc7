import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { planBackup, type BackupPlanInput } from '../../../src/backup/plan/backup-plan.ts';
import { backupResourceOrder } from '../../../src/backup/plan/resource-order.ts';
import { resolve, TYPES } from './fixtures.ts';

const namespaces = [
  { name: 'shop' },
  { name: 'blog' },
  { name: 'kube-system' },
  { name: 'secret-lab', labels: { 'velero.io/exclude-from-backup': 'true' } },
  { name: 'gone', phase: 'Terminating' },
];
const input = (spec: BackupPlanInput['spec']): BackupPlanInput => ({ spec, resourceTypes: TYPES, resolve, namespaces });

describe('backup planning', () => {
  test('core types come first with pods, PVCs and PVs leading; extensions deployments are dropped for apps', () => {
    const order = backupResourceOrder(TYPES).map((t) => (t.group ? `${t.resource}.${t.group}` : t.resource));
    assert.deepEqual(order.slice(0, 3), ['pods', 'persistentvolumeclaims', 'persistentvolumes']);
    assert.ok(order.includes('deployments.apps'));
    assert.ok(!order.includes('deployments.extensions'));
  });

  test('a whole-cluster backup lists every type once, cluster-wide', () => {
    // No namespace carries the exclude label here: one that does makes the backup no longer
    // "every namespace" (Velero appends it to excludedNamespaces, reference §3.1 step 4).
    const plan = planBackup({ ...input({}), namespaces: namespaces.filter((n) => !n.labels) });
    assert.deepEqual(plan.validationErrors, []);
    assert.ok(plan.allNamespaces);
    for (const step of plan.steps) assert.deepEqual(step.namespaces, [undefined]);
    assert.ok(plan.steps.some((s) => s.groupResource === 'nodes'));
  });

  test('a namespace backup lists namespaced types per namespace and leaves unrelated cluster-scoped types out', () => {
    const plan = planBackup(input({ includedNamespaces: ['shop', 'blog'] }));
    const cm = plan.steps.find((s) => s.groupResource === 'configmaps');
    assert.deepEqual(cm?.namespaces, ['blog', 'shop']);
    assert.ok(!plan.steps.some((s) => s.groupResource === 'nodes'));
    assert.match(
      plan.skippedTypes.find((s) => s.groupResource === 'nodes')?.reason ?? '',
      /only backed up when related/,
    );
    assert.ok(
      plan.steps.some((s) => s.groupResource === 'namespaces'),
      'Namespace objects are always considered',
    );
  });

  test('a backup naming most of many namespaces lists each namespaced type once, keeping only those namespaces', () => {
    const many = Array.from({ length: 80 }, (_, i) => ({ name: `team-${String(i).padStart(2, '0')}` }));
    const plan = (included: number) =>
      planBackup({ ...input({ includedNamespaces: many.slice(0, included).map((n) => n.name) }), namespaces: many });
    const wide = plan(50).steps.find((s) => s.groupResource === 'configmaps');
    assert.deepEqual(wide?.namespaces, [undefined]);
    assert.deepEqual(
      wide?.onlyNamespaces,
      many.slice(0, 50).map((n) => n.name),
    );
    // Fewer than half of the cluster's namespaces, or few namespaces: one list per namespace.
    const narrow = planBackup({
      ...input({ includedNamespaces: many.slice(0, 50).map((n) => n.name) }),
      namespaces: [...many, ...many.map((n) => ({ name: `${n.name}-b` }))],
    }).steps.find((s) => s.groupResource === 'configmaps');
    assert.equal(narrow?.namespaces.length, 50);
    assert.equal(narrow?.onlyNamespaces, undefined);
    assert.equal(plan(49).steps.find((s) => s.groupResource === 'configmaps')?.namespaces.length, 49);
    // Cluster-scoped types are listed cluster-wide either way, with nothing to keep out.
    assert.equal(plan(50).steps.find((s) => s.groupResource === 'namespaces')?.onlyNamespaces, undefined);
  });

  test('namespaces labelled velero.io/exclude-from-backup and terminating namespaces are not backed up', () => {
    const plan = planBackup(input({}));
    assert.ok(!plan.namespaces.includes('secret-lab'));
    assert.ok(!plan.namespaces.includes('gone'));
  });

  test('an included namespace that does not exist is an error, an unmatched glob a warning', () => {
    const plan = planBackup(input({ includedNamespaces: ['ghost', 'zz*'] }));
    assert.match(plan.errors.join(), /namespace ghost .* does not exist/);
    assert.match(plan.warnings.join(), /zz\* matched no namespace/);
  });

  test('an unknown resource name in an include list is a validation error naming it', () => {
    const plan = planBackup(input({ includedResources: ['configmaps', 'gizmos'] }));
    assert.deepEqual(plan.validationErrors, [
      'resource "gizmos" in spec.includedResources is not served by this cluster',
    ]);
  });

  test('OR selectors become one list per selector; labelSelector with orLabelSelectors is invalid', () => {
    const plan = planBackup(
      input({ orLabelSelectors: [{ matchLabels: { app: 'a' } }, { matchLabels: { app: 'b' } }] }),
    );
    assert.deepEqual(plan.steps.find((s) => s.groupResource === 'configmaps')?.labelSelectors, ['app=a', 'app=b']);
    assert.deepEqual(plan.steps.find((s) => s.groupResource === 'namespaces')?.labelSelectors, [undefined]);
    const bad = planBackup(
      input({ labelSelector: { matchLabels: { a: 'b' } }, orLabelSelectors: [{ matchLabels: { c: 'd' } }] }),
    );
    assert.ok(bad.validationErrors.length > 0);
  });

  test('naming the CRD type in a filter turns off automatic CRDs', () => {
    assert.equal(planBackup(input({})).crdTypeExplicit, false);
    assert.equal(
      planBackup(input({ excludedResources: ['customresourcedefinitions.apiextensions.k8s.io'] })).crdTypeExplicit,
      true,
    );
  });
});

describe('spec.orderedResources keys that order nothing', () => {
  test('a key that is not a served plural resource name is a warning naming it, with the key Velero expects', () => {
    const plan = planBackup(
      input({
        includedNamespaces: ['shop'],
        excludedResources: ['secrets'],
        orderedResources: {
          pods: 'shop/web-1',
          deployments: 'shop/web',
          'deployments.apps': 'shop/web',
          deployment: 'shop/web',
          gizmos: 'shop/g',
          secrets: 'shop/token',
        },
      }),
    );
    const ordered = plan.warnings.filter((w) => w.startsWith('spec.orderedResources'));
    assert.deepEqual(ordered, [
      'spec.orderedResources key "deployments.apps" is not the plural name of a resource this cluster serves: keys are ' +
        'plural resource names without a group (use "deployments"); nothing is ordered for it',
      'spec.orderedResources key "deployment" is not the plural name of a resource this cluster serves: keys are ' +
        'plural resource names without a group (use "deployments"); nothing is ordered for it',
      'spec.orderedResources key "gizmos" is not the plural name of a resource this cluster serves: keys are ' +
        'plural resource names without a group (e.g. "deployments"); nothing is ordered for it',
      'spec.orderedResources key "secrets": the backup does not list secrets ' +
        '(resource secrets is excluded by spec.excludedResources (secrets)); nothing is ordered for it',
    ]);
    // Velero's key form still orders.
    assert.deepEqual([...plan.orderedResources.keys()].sort(), [
      'deployment',
      'deployments',
      'deployments.apps',
      'gizmos',
      'pods',
      'secrets',
    ]);
  });
});
