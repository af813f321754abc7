import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ResourceRef } from '../../../src/kube/resource.ts';
import { collectPlan, PLAN_AHEAD, streamRestorePlan } from '../../../src/restore/plan/plan-restore.ts';
import { planTotals } from '../../../src/restore/plan/types.ts';
import { memoryCatalogue } from '../../../src/restore/read/catalogue.ts';
import { item, obj, testDiscovery } from '../../helpers/restore-fixtures.ts';

const web = { metadata: { labels: { app: 'web' } } };
const items = [
  ...Array.from({ length: 30 }, (_, i) => item('configmaps', obj('v1', 'ConfigMap', `cm-${i}`, 'app', web))),
  item('configmaps', obj('v1', 'ConfigMap', 'db', 'other', { metadata: { labels: { app: 'db' } } })),
  // Selected, but the target cluster does not serve the type: a failing record, no namespace for it.
  item('gadgets.other.io', obj('other.io/v1', 'Gadget', 'g', 'gone', web)),
  item('events', obj('v1', 'Event', 'ev', 'app', web)),
  item('namespaces', obj('v1', 'Namespace', 'app', undefined, { metadata: { labels: { team: 'a' } } })),
];

/** `namespaceExists`: the target namespace is live, so the plan looks into it for each item. */
function input(lookups: string[], namespaceExists = false) {
  return {
    restoreName: 'r1',
    spec: { backupName: 'b1', labelSelector: { matchLabels: { app: 'web' } } },
    catalogue: memoryCatalogue(items),
    discovery: testDiscovery(),
    live: (type: ResourceRef, name: string) => {
      lookups.push(`${type.resource}/${name}`);
      return namespaceExists && type.resource === 'namespaces' ? obj('v1', 'Namespace', name) : undefined;
    },
  };
}

describe('the streamed restore plan', () => {
  test('nothing is planned before it is consumed; the first pass gives the namespace tier and the totals', async () => {
    const lookups: string[] = [];
    const stream = await streamRestorePlan(input(lookups));
    assert.equal(lookups.length, 0, 'no item was planned by the time the header is known');
    const plan = await collectPlan(stream);
    assert.equal(stream.totalItems, planTotals(plan).items);
    assert.equal(stream.totalItems, 32, '30 ConfigMaps, the failing Gadget and the namespace');
    const nsTier = plan.tiers[0];
    assert.deepEqual(nsTier?.resources, ['namespaces']);
    assert.deepEqual(
      nsTier?.operations.map((op) => `${op.kind} ${op.target.name}`),
      ['create app'],
    );
    const created = nsTier?.operations[0];
    assert.equal(created?.kind === 'create' && created.object.metadata.labels?.team, 'a');
    const cms = plan.tiers.find((t) => t.resources.includes('configmaps'))?.operations ?? [];
    assert.equal(cms.find((op) => op.target.name === 'cm-29')?.kind, 'create');
    assert.ok(lookups.includes('configmaps/cm-29'));
  });

  test('a namespace the restore creates is looked into only for the types the cluster fills it with', async () => {
    const lookups: string[] = [];
    const plan = await collectPlan(
      await streamRestorePlan({
        ...input(lookups),
        spec: { backupName: 'b1' },
        catalogue: memoryCatalogue([
          item('configmaps', obj('v1', 'ConfigMap', 'kube-root-ca.crt', 'fresh')),
          item('secrets', obj('v1', 'Secret', 's1', 'fresh')),
          item('namespaces', obj('v1', 'Namespace', 'fresh')),
        ]),
      }),
    );
    assert.deepEqual(
      plan.tiers.flatMap((t) => t.operations.map((op) => `${op.kind} ${op.target.name}`)),
      ['create fresh', 'create s1', 'create kube-root-ca.crt'],
    );
    assert.deepEqual(lookups, ['namespaces/fresh', 'configmaps/kube-root-ca.crt']);
  });

  test('operations are planned as the consumer asks for them, at most PLAN_AHEAD items ahead', async () => {
    const lookups: string[] = [];
    const stream = await streamRestorePlan(input(lookups, true));
    for await (const tier of stream.tiers) {
      if (!tier.resources.includes('configmaps')) {
        for await (const _ of tier.operations);
        continue;
      }
      let taken = 0;
      for await (const op of tier.operations) {
        assert.equal(op.kind, taken < 30 ? 'create' : 'skip');
        if (++taken === 3) break;
      }
    }
    // Three taken; the next items were planned ahead while the consumer worked, but no further
    // than PLAN_AHEAD past the last one it took: the plan never runs through the whole catalogue.
    const planned = lookups.filter((l) => l.startsWith('configmaps/'));
    assert.ok(planned.length >= 3 && planned.length <= 3 + PLAN_AHEAD, `${planned.length} items planned`);
    assert.deepEqual(planned.slice(0, 3), ['configmaps/cm-0', 'configmaps/cm-1', 'configmaps/cm-10']);
  });
});
