import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultBackupActions } from '../../../src/backup/actions/registry.ts';
import { collectBackupItems } from '../../../src/backup/collect/collect-items.ts';
import type { ItemSource } from '../../../src/backup/collect/item-source.ts';
import { planBackup } from '../../../src/backup/plan/backup-plan.ts';
import type { ListedObject } from '../../../src/kube/index.ts';
import { memorySource, obj, resolve, typeOf, TYPES } from './fixtures.ts';

const NAMESPACES = ['a', 'b', 'c', 'd', 'e', 'f'];

/** A source that counts the listings open at once (a listing is open from its first request to its last page). */
function countingSource(): ItemSource & { peak: () => number } {
  const configmaps = typeOf('', 'configmaps');
  const inner = memorySource(NAMESPACES.map((ns) => obj(configmaps ?? TYPES[0]!, 'settings', ns)));
  let open = 0;
  let peak = 0;
  return {
    peak: () => peak,
    find: (ref, name, namespace) => inner.find(ref, name, namespace),
    async *list(type, opts): AsyncGenerator<ListedObject[]> {
      open++;
      peak = Math.max(peak, open);
      try {
        yield* inner.list(type, opts);
      } finally {
        open--;
      }
    },
  };
}

// --item-block-worker-count reaches the backup as its listing concurrency (reference §3.4;
// Skiff's unit of parallel work is one resource type in one namespace).
for (const workers of [1, 4]) {
  test(`with ${workers} worker(s), a backup lists ${workers} type/namespace unit(s) at once`, async () => {
    const plan = planBackup({
      spec: { includedNamespaces: NAMESPACES, includedResources: ['configmaps'] },
      resourceTypes: TYPES,
      resolve,
      namespaces: NAMESPACES.map((name) => ({ name })),
    });
    const source = countingSource();
    let items = 0;
    for await (const ev of collectBackupItems(plan, {
      backupName: 'b',
      source,
      actions: defaultBackupActions(),
      typeOf,
      listConcurrency: workers,
    }))
      if (ev.kind === 'included') items++;
    assert.equal(items, NAMESPACES.length, 'every ConfigMap is taken');
    assert.equal(source.peak(), workers);
  });
}
