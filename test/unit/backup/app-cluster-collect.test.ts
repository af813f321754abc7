import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultBackupActions } from '../../../src/backup/actions/registry.ts';
import { collectBackupItems, type CollectedEvent } from '../../../src/backup/collect/collect-items.ts';
import type { ItemSource } from '../../../src/backup/collect/item-source.ts';
import { summarizeDryRun } from '../../../src/backup/dry-run.ts';
import { planBackup } from '../../../src/backup/plan/backup-plan.ts';
import type { BackupSpec } from '../../../src/api/index.ts';
import { KubeApiError } from '../../../src/kube/errors.ts';
import type { KubeObject, ObjectHead, ResourceType } from '../../../src/kube/index.ts';
import { matches, parseLabelSelector } from '../../../src/selection/index.ts';
import { obj, rt } from './fixtures.ts';

const TYPES: ResourceType[] = [
  rt('', 'configmaps', 'ConfigMap'),
  rt('', 'namespaces', 'Namespace', false),
  rt('', 'nodes', 'Node', false),
  rt('apps', 'deployments', 'Deployment'),
  rt('apiextensions.k8s.io', 'customresourcedefinitions', 'CustomResourceDefinition', false),
  rt('apiregistration.k8s.io', 'apiservices', 'APIService', false),
  rt('scheduling.k8s.io', 'priorityclasses', 'PriorityClass', false),
  rt('acme.io', 'widgets', 'Widget'),
];
const T = (resource: string): ResourceType => {
  const t = TYPES.find((x) => x.resource === resource);
  if (!t) throw new Error(resource);
  return t;
};
const typeOf = (group: string, resource: string): ResourceType | undefined =>
  TYPES.find((t) => t.group === group && t.resource === resource);
const resolve = (name: string): ResourceType | undefined => TYPES.find((t) => t.resource === name.split('.')[0]);

const PART_OF = { 'app.kubernetes.io/part-of': 'acme' };
const world: KubeObject[] = [
  obj(T('namespaces'), 'shop'),
  obj(T('namespaces'), 'blog'),
  obj(T('configmaps'), 'settings', 'shop', { metadata: { labels: PART_OF } }),
  obj(T('configmaps'), 'theme', 'blog'),
  obj(T('deployments'), 'web', 'shop', { spec: { template: { spec: { priorityClassName: 'acme-high' } } } }),
  obj(T('widgets'), 'w1', 'shop'),
  obj(T('customresourcedefinitions'), 'widgets.acme.io', undefined, { spec: { group: 'acme.io' } }),
  obj(T('customresourcedefinitions'), 'gadgets.acme.io', undefined, { spec: { group: 'acme.io' } }),
  obj(T('customresourcedefinitions'), 'things.other.io', undefined, { spec: { group: 'other.io' } }),
  obj(T('apiservices'), 'v1.metrics.acme.io', undefined, { spec: { service: { namespace: 'shop', name: 'api' } } }),
  obj(T('priorityclasses'), 'acme-high'),
  obj(T('nodes'), 'labelled-node', undefined, { metadata: { labels: PART_OF } }),
  obj(T('nodes'), 'excluded-node', undefined, {
    metadata: { labels: { ...PART_OF, 'velero.io/exclude-from-backup': 'true' } },
  }),
];

/** An ItemSource over plain objects, with the API server's label selector syntax. */
function source(objects: KubeObject[]): ItemSource & { lists: string[] } {
  const lists: string[] = [];
  return {
    lists,
    async *list(type, opts) {
      lists.push(`${type.resource}${opts.labelSelector ? `?${opts.labelSelector}` : ''}`);
      const selector = opts.labelSelector ? parseLabelSelector(opts.labelSelector) : undefined;
      await Promise.resolve();
      yield objects
        .filter((o) => o.kind === type.kind && (!opts.namespace || o.metadata.namespace === opts.namespace))
        .filter((o) => !selector || matches(selector, o.metadata.labels))
        .map((o) => structuredClone(o));
    },
    find: (ref, name, namespace) =>
      Promise.resolve(
        objects.find(
          (o) =>
            o.kind === typeOf(ref.group, ref.resource)?.kind &&
            o.metadata.name === name &&
            o.metadata.namespace === namespace,
        ),
      ),
  };
}

async function collect(
  spec: BackupSpec,
  includeAppClusterResources = false,
  wrap: (src: ItemSource) => ItemSource = (src) => src,
): Promise<{ events: CollectedEvent[]; lists: string[] }> {
  const plan = planBackup({
    spec,
    resourceTypes: TYPES,
    resolve,
    namespaces: [{ name: 'shop' }, { name: 'blog' }],
    includeAppClusterResources,
  });
  const src = source(world);
  const events: CollectedEvent[] = [];
  for await (const ev of collectBackupItems(plan, {
    backupName: 'b',
    source: wrap(src),
    actions: defaultBackupActions(),
    typeOf,
  }))
    events.push(ev);
  return { events, lists: src.lists };
}

const ref = (e: { type: ResourceType; item: ObjectHead }): string =>
  `${e.type.resource}/${e.item.metadata.namespace ? `${e.item.metadata.namespace}/` : ''}${e.item.metadata.name ?? ''}`;
const leftOut = (evs: CollectedEvent[]): string[] =>
  evs.flatMap((e) => (e.kind === 'app-left-out' ? [`${ref(e)} (${e.found.rule})`] : [])).sort();
const included = (evs: CollectedEvent[]): string[] =>
  evs.flatMap((e) => (e.kind === 'included' ? [ref(e)] : [])).sort();

const EXPECTED_LEFT_OUT = [
  'apiservices/v1.metrics.acme.io (apiservice-backend)',
  'customresourcedefinitions/gadgets.acme.io (crd-api-group)',
  'nodes/labelled-node (app-labels)',
  'priorityclasses/acme-high (priority-class)',
];

describe('backup collection of the application cluster resources (issue 13)', () => {
  test('a namespace backup takes what Velero takes, and names each left-out object with its rule', async () => {
    const { events } = await collect({ includedNamespaces: ['shop'] });
    assert.deepEqual(included(events), [
      'configmaps/shop/settings',
      'customresourcedefinitions/widgets.acme.io',
      'deployments/shop/web',
      'namespaces/shop',
      'widgets/shop/w1',
    ]);
    assert.deepEqual(leftOut(events), EXPECTED_LEFT_OUT);
  });

  test('with the annotation, they are taken as additional items, and no longer reported', async () => {
    const { events } = await collect({ includedNamespaces: ['shop'] }, true);
    assert.deepEqual(leftOut(events), []);
    const taken = events.flatMap((e) => (e.kind === 'included' && e.app ? [`${ref(e)} (${e.app.rule})`] : []));
    assert.deepEqual(taken.sort(), EXPECTED_LEFT_OUT);
    assert.ok(events.every((e) => e.kind !== 'included' || !e.app || e.origin === 'additional'));
  });

  test('an unrelated namespace finds none of them', async () => {
    const { events } = await collect({ includedNamespaces: ['blog'] });
    assert.deepEqual(leftOut(events), []);
  });

  test('a backup that lists every cluster-scoped type looks for nothing', async () => {
    const { events, lists } = await collect({ includedNamespaces: ['*'] });
    assert.deepEqual(leftOut(events), []);
    assert.ok(!lists.some((l) => l.includes('?')), `no label-selected lookups: ${lists.join(' ')}`);
  });

  test('an explicitly excluded type is neither taken nor reported', async () => {
    const { events } = await collect(
      { includedNamespaces: ['shop'], excludedClusterScopedResources: ['priorityclasses'] },
      true,
    );
    assert.ok(!included(events).includes('priorityclasses/acme-high'));
    assert.ok(!leftOut(events).some((l) => l.startsWith('priorityclasses')));
  });

  test('the dry run lists them, and --explain names the rule', async () => {
    const plan = planBackup({
      spec: { includedNamespaces: ['shop'] },
      resourceTypes: TYPES,
      resolve,
      namespaces: [{ name: 'shop' }],
    });
    const events = collectBackupItems(plan, {
      backupName: 'b',
      source: source(world),
      actions: defaultBackupActions(),
      typeOf,
    });
    const report = await summarizeDryRun(events, plan, ['apiservices/v1.metrics.acme.io']);
    assert.deepEqual(report.appLeftOut.map((a) => `${a.ref} (${a.rule})`).sort(), [
      'apiservices.apiregistration.k8s.io/v1.metrics.acme.io (apiservice-backend)',
      'customresourcedefinitions.apiextensions.k8s.io/gadgets.acme.io (crd-api-group)',
      'nodes/labelled-node (app-labels)',
      'priorityclasses.scheduling.k8s.io/acme-high (priority-class)',
    ]);
    assert.equal(report.explained.length, 1);
    assert.equal(report.explained[0]?.rule, 'apiservice-backend');
    assert.match(report.explained[0]?.reason ?? '', /left out by Velero's rules, but the application uses it/);
  });

  test('kinds the server may not list are named in one warning, and the rest is still found', async () => {
    const forbidding = (src: ItemSource): ItemSource => ({
      find: (ref, name, namespace) => src.find(ref, name, namespace),
      list: (type, opts) => {
        if (type.kind !== 'APIService' && type.kind !== 'Node') return src.list(type, opts);
        return (async function* () {
          await Promise.resolve();
          yield* [] as KubeObject[][];
          throw new KubeApiError(403, 'Forbidden', 'no', { method: 'GET', path: `/${type.resource}` });
        })();
      },
    });
    const { events } = await collect({ includedNamespaces: ['shop'] }, false, forbidding);
    const warnings = events.flatMap((e) => (e.kind === 'warning' ? [e.message] : []));
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0] ?? '', /may not list apiservices\.apiregistration\.k8s\.io, nodes \(forbidden\)/);
    assert.deepEqual(leftOut(events), [
      'customresourcedefinitions/gadgets.acme.io (crd-api-group)',
      'priorityclasses/acme-high (priority-class)',
    ]);
  });

  test('the annotation with includeClusterResources false takes nothing, and says so', async () => {
    const { events } = await collect({ includedNamespaces: ['shop'], includeClusterResources: false }, true);
    assert.ok(!events.some((e) => e.kind === 'included' && !e.type.namespaced && e.type.resource !== 'namespaces'));
    const plan = planBackup({
      spec: { includedNamespaces: ['shop'], includeClusterResources: false },
      resourceTypes: TYPES,
      resolve,
      namespaces: [{ name: 'shop' }],
      includeAppClusterResources: true,
    });
    assert.deepEqual(plan.warnings, [
      'annotation skiff.io/include-app-cluster-resources is "true" but spec.includeClusterResources is false: no cluster-scoped object is taken',
    ]);
  });

  test('unavailable API groups are one warning each, naming the group', () => {
    const plan = planBackup({
      spec: { includedNamespaces: ['shop'] },
      resourceTypes: TYPES,
      resolve,
      namespaces: [{ name: 'shop' }],
      unavailableGroupVersions: [
        { groupVersion: 'metrics.acme.io/v1', reason: 'its APIService v1.metrics.acme.io is not Available' },
      ],
    });
    assert.deepEqual(plan.warnings, [
      'API group metrics.acme.io/v1 is unavailable (its APIService v1.metrics.acme.io is not Available): not backed up',
    ]);
    assert.deepEqual(plan.errors, []);
  });
});
