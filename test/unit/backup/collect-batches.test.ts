import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultBackupActions } from '../../../src/backup/actions/registry.ts';
import {
  collectBackupItemBatches,
  collectBackupItems,
  type CollectedEvent,
} from '../../../src/backup/collect/collect-items.ts';
import { planBackup } from '../../../src/backup/plan/backup-plan.ts';
import type { BackupSpec } from '../../../src/api/index.ts';
import type { KubeObject } from '../../../src/kube/index.ts';
import { memorySource, obj, resolve, rt, typeOf, TYPES } from './fixtures.ts';

const T = (r: string, g = ''): ReturnType<typeof rt> => typeOf(g, r) ?? rt(g, r, r);
// Four ConfigMaps make two pages of two (memorySource splits a list in halves); the pod and the
// claim have item actions; one Secret is excluded by its label.
const world: KubeObject[] = [
  obj(T('namespaces'), 'shop'),
  ...['a', 'b', 'c', 'd'].map((n) => obj(T('configmaps'), n, 'shop')),
  obj(T('secrets'), 'kept', 'shop'),
  obj(T('secrets'), 'left', 'shop', { metadata: { labels: { 'velero.io/exclude-from-backup': 'true' } } }),
  obj(T('pods'), 'web-1', 'shop', { spec: { volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }] } }),
  obj(T('persistentvolumeclaims'), 'data', 'shop', { spec: { volumeName: 'pv-data' }, status: { phase: 'Bound' } }),
  obj(T('persistentvolumes'), 'pv-data'),
];
const spec: BackupSpec = { includedNamespaces: ['shop'] };
const plan = (): ReturnType<typeof planBackup> =>
  planBackup({ spec, resourceTypes: TYPES, resolve, namespaces: [{ name: 'shop' }] });
const options = (): Parameters<typeof collectBackupItems>[1] => ({
  backupName: 'b1',
  source: memorySource(world),
  actions: defaultBackupActions(),
  typeOf,
  listConcurrency: 1,
});
const describeEvent = (e: CollectedEvent): string =>
  'item' in e ? `${e.kind} ${e.type.resource}/${e.item.metadata.name ?? ''}` : `${e.kind} ${e.message}`;

describe('collecting backup items in batches', () => {
  test('a page of plain items is one batch; an item an action handles, and what it adds, come alone', async () => {
    const batches: string[][] = [];
    for await (const batch of collectBackupItemBatches(plan(), options())) batches.push(batch.map(describeEvent));
    const configMapPages = batches.filter((b) => b.some((e) => e.includes('configmaps/')));
    assert.deepEqual(configMapPages, [
      ['included configmaps/a', 'included configmaps/b'],
      ['included configmaps/c', 'included configmaps/d'],
    ]);
    const secrets = batches.filter((b) => b.some((e) => e.includes('secrets/')));
    assert.deepEqual(secrets.flat().sort(), ['excluded secrets/left', 'included secrets/kept']);
    for (const b of batches.filter((b) => b.some((e) => /pods\/|persistentvolume/.test(e))))
      assert.equal(b.length, 1, `an action's events come alone: ${b.join(', ')}`);
    assert.ok(batches.flat().includes('included persistentvolumes/pv-data'), 'the PV the claim adds is taken');
  });

  test('the batches, flattened, are the event stream in the same order', async () => {
    const flat: string[] = [];
    for await (const batch of collectBackupItemBatches(plan(), options())) flat.push(...batch.map(describeEvent));
    const events: string[] = [];
    for await (const e of collectBackupItems(plan(), options())) events.push(describeEvent(e));
    assert.deepEqual(flat, events);
    assert.ok(events.length >= 9, `every object is accounted for: ${events.join('; ')}`);
  });
});
