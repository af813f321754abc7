import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ItemAction, RestoreResourceList } from '../../../src/restore/apply/resource-list.ts';
import { gunzipSync } from 'node:zlib';
import { decodeJsonGz, encodeJsonGz, encodeJsonPiecesGz } from '../../../src/storage/gzip-json.ts';

let parent = '';
before(async () => (parent = await mkdtemp(join(tmpdir(), 'skiff-resource-list-test-'))));
after(async () => rm(parent, { recursive: true, force: true }));

/** Items in a scrambled order, as concurrent applies finish them. */
function scrambled(n: number): { apiVersion: string; kind: string; namespace?: string; name: string }[] {
  const out = [];
  for (let i = 0; i < n; i++) {
    const j = (i * 7919) % n;
    out.push(
      j % 3 === 0
        ? { apiVersion: 'v1', kind: 'Namespace', name: `ns-${j}` }
        : { apiVersion: 'v1', kind: j % 3 === 1 ? 'ConfigMap' : 'Secret', namespace: `ns-${j % 5}`, name: `x-${j}` },
    );
  }
  return out;
}

describe('the restore resource list', () => {
  test('spilled to sorted runs on disk, it uploads the same bytes as the whole map sorted in memory', async () => {
    const items = scrambled(1000);
    const list = new RestoreResourceList({ tempDir: parent, runSize: 64 });
    const expected: Record<string, string[]> = {};
    for (const [i, item] of items.entries()) {
      const action = i % 4 === 0 ? ItemAction.Failed : ItemAction.Created;
      list.add(item, action);
      const key = `${item.apiVersion}/${item.kind}`;
      (expected[key] ??= []).push(`${item.namespace ? `${item.namespace}/` : ''}${item.name}(${action})`);
    }
    const sorted: Record<string, string[]> = {};
    for (const key of Object.keys(expected).sort()) sorted[key] = [...(expected[key] ?? [])].sort();
    const uploaded = await encodeJsonPiecesGz(list.jsonPieces());
    assert.ok((await readdir(parent)).length > 0, 'runs were written to the temp directory');
    assert.equal(gunzipSync(uploaded).toString('utf8'), gunzipSync(encodeJsonGz(sorted)).toString('utf8'));
    assert.deepEqual(decodeJsonGz(encodeJsonGz(await list.toJSON())), sorted);
    assert.equal(list.counts.failed, 250);
    await list.dispose();
    assert.deepEqual(await readdir(parent), []);
  });

  test('an empty list is an empty object; a small one never touches the disk', async () => {
    const empty = new RestoreResourceList({ tempDir: parent });
    assert.deepEqual(decodeJsonGz(await encodeJsonPiecesGz(empty.jsonPieces())), {});
    const small = new RestoreResourceList({ tempDir: parent });
    small.add({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'a', name: 'b' }, ItemAction.Created);
    assert.deepEqual(await small.toJSON(), { 'v1/ConfigMap': ['a/b(created)'] });
    assert.deepEqual(await readdir(parent), []);
  });
});
