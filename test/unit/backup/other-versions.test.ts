/**
 * EnableAPIGroupVersions' second pass (reference §2.4): the types a backup took, listed again
 * at their other served versions with the same namespaces, selectors and filters.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ItemSource } from '../../../src/backup/collect/item-source.ts';
import { collectOtherVersions, type OtherVersionEvent } from '../../../src/backup/collect/other-versions.ts';
import { planBackup } from '../../../src/backup/plan/backup-plan.ts';
import type { KubeObject, ResourceType } from '../../../src/kube/index.ts';
import { obj, resolve, rt, TYPES } from './fixtures.ts';

const widgetsV1 = rt('example.com', 'widgets', 'Widget');
const widgetsV2 = rt('example.com', 'widgets', 'Widget', true, 'v2beta1');
const gadgetsV1 = rt('example.com', 'gadgets', 'Gadget');
const gadgetsV2 = rt('example.com', 'gadgets', 'Gadget', true, 'v2');
const SERVED = [...TYPES, gadgetsV1, widgetsV2, gadgetsV2];

const world: KubeObject[] = [
  obj(widgetsV1, 'both-labels', 'shop', { metadata: { labels: { app: 'web', tier: 'front' } } }),
  obj(widgetsV1, 'unlabelled', 'shop'),
  obj(widgetsV1, 'elsewhere', 'blog', { metadata: { labels: { app: 'web' } } }),
  obj(widgetsV1, 'excluded', 'shop', { metadata: { labels: { app: 'web', 'velero.io/exclude-from-backup': 'true' } } }),
  obj(gadgetsV1, 'g', 'shop', { metadata: { labels: { app: 'web' } } }),
];

/** Answers a LIST at any version with the objects of that kind, at the version asked for. */
function versionedSource(lists: string[]): ItemSource {
  return {
    async *list(type, opts) {
      lists.push(`${type.resource}/${type.version}@${opts.namespace ?? ''}?${opts.labelSelector ?? ''}`);
      await Promise.resolve();
      const [key, value] = (opts.labelSelector ?? '').split('=');
      yield world
        .filter((o) => o.kind === type.kind && (!opts.namespace || o.metadata.namespace === opts.namespace))
        .filter((o) => !key || o.metadata.labels?.[key] === value)
        .map((o) => ({ ...structuredClone(o), apiVersion: `${type.group}/${type.version}` }));
    },
    find: () => Promise.resolve(undefined),
  };
}

describe('listing the other served versions of the types a backup took', () => {
  test('same namespaces, OR selectors and filters; one copy per item; only the types taken', async () => {
    const plan = planBackup({
      spec: {
        includedNamespaces: ['shop'],
        orLabelSelectors: [{ matchLabels: { app: 'web' } }, { matchLabels: { tier: 'front' } }],
      },
      resourceTypes: [...TYPES, gadgetsV1],
      resolve,
      namespaces: [{ name: 'shop' }, { name: 'blog' }],
    });
    const lists: string[] = [];
    const events: OtherVersionEvent[] = [];
    for await (const ev of collectOtherVersions(plan, {
      source: versionedSource(lists),
      versionsOf: (group, resource): ResourceType[] =>
        SERVED.filter((t) => t.group === group && t.resource === resource),
      taken: new Set(['widgets.example.com']),
    })) {
      events.push(ev);
    }
    assert.deepEqual(
      events.map((e) => (e.kind === 'included' ? `${e.item.apiVersion} ${e.item.metadata.name}` : e.message)),
      ['example.com/v2beta1 both-labels'],
    );
    assert.deepEqual(lists, ['widgets/v2beta1@shop?app=web', 'widgets/v2beta1@shop?tier=front']);
  });
});
