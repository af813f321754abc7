import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { describe, test } from 'node:test';
import { ResourceListBuilder } from '../../../src/backup/write/resource-list.ts';
import { decodeJsonGz, encodeJsonGz, encodeJsonPiecesGz } from '../../../src/storage/gzip-json.ts';

/** The map the pieces spell. */
function parsed(builder: ResourceListBuilder): Record<string, string[]> {
  return JSON.parse([...builder.jsonPieces()].join('')) as Record<string, string[]>;
}

function item(apiVersion: string, kind: string, name: string, namespace?: string) {
  return { apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) } };
}

describe('resource list', () => {
  const builder = new ResourceListBuilder();
  const expected: Record<string, string[]> = {
    'v1/ConfigMap': [],
    'v1/PersistentVolume': [],
    'apps/v1/Deployment': [],
  };
  // More names than one piece holds, in two namespaces whose order differs from their entries'
  // ("a-b" sorts before "a/" though "a" sorts before "a-b").
  for (let i = 2500; i > 0; i--) {
    builder.add(item('v1', 'ConfigMap', `cm-${i}`, i % 2 ? 'a' : 'a-b'));
    expected['v1/ConfigMap']?.push(`${i % 2 ? 'a' : 'a-b'}/cm-${i}`);
  }
  builder.add(item('v1', 'PersistentVolume', 'pv "quoted" ✓'));
  expected['v1/PersistentVolume']?.push('pv "quoted" ✓');
  builder.add(item('apps/v1', 'Deployment', 'web', 'shop'));
  expected['apps/v1/Deployment']?.push('shop/web');
  for (const names of Object.values(expected)) names.sort();

  test('lists every item as ns/name (or name), sorted, under apiVersion/Kind', () => {
    assert.deepEqual(parsed(builder), expected);
    assert.deepEqual(Object.keys(parsed(builder)), Object.keys(expected).sort());
  });

  test('its pieces, compressed as they come, give the same file as encoding the whole value', async () => {
    const streamed = await encodeJsonPiecesGz(builder.jsonPieces());
    const sortedKeys = Object.fromEntries(Object.entries(expected).sort(([a], [b]) => (a < b ? -1 : 1)));
    assert.equal(gunzipSync(streamed).toString('utf8'), gunzipSync(encodeJsonGz(sortedKeys)).toString('utf8'));
    assert.deepEqual(decodeJsonGz(streamed), expected);
  });

  test('a kind listed both cluster-wide and in namespaces is still sorted as whole entries', () => {
    const mixed = new ResourceListBuilder();
    for (const [name, ns] of [
      ['b', 'z'],
      ['zz', undefined],
      ['a', undefined],
      ['c', 'a'],
    ] as const)
      mixed.add(item('example.com/v1', 'Odd', name, ns));
    assert.deepEqual(parsed(mixed), { 'example.com/v1/Odd': ['a', 'a/c', 'z/b', 'zz'] });
  });

  test('an empty list is an empty object', async () => {
    const empty = new ResourceListBuilder();
    assert.equal(gunzipSync(await encodeJsonPiecesGz(empty.jsonPieces())).toString('utf8'), '{}\n');
  });
});
