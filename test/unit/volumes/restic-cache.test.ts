import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { cachedSnapshotID } from '../../../src/volumes/uploader/restic-cache.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

const FULL = '1a0bc828baa8aadb0df92da134d1cf9c69597b33ace385f3934db181bded5b7b';
const OTHER = '1a0bc8280000000000000000000000000000000000000000000000000000beef';

function cacheWith(...ids: string[]): string {
  const cache = tempDir('skiff-restic-cache-');
  const repo = join(cache, '43e48d87f317281b2ea6306d74372e831f75534cab96eee1e59398c8175621af');
  mkdirSync(join(repo, 'index'), { recursive: true });
  for (const id of ids) {
    mkdirSync(join(repo, 'snapshots', id.slice(0, 2)), { recursive: true });
    writeFileSync(join(repo, 'snapshots', id.slice(0, 2), id), '');
  }
  return cache;
}

test("restic's cache names a snapshot by its full ID: found from the short one", async () => {
  assert.equal(await cachedSnapshotID(cacheWith(FULL), '1a0bc828'), FULL);
});

test('restic cache: nothing cached, no cache, an ambiguous or malformed short ID: undefined (restic is asked)', async () => {
  assert.equal(await cachedSnapshotID(cacheWith(), '1a0bc828'), undefined);
  assert.equal(await cachedSnapshotID(join(tmpdir(), 'skiff-no-such-cache'), '1a0bc828'), undefined);
  assert.equal(await cachedSnapshotID(cacheWith(FULL, OTHER), '1a0bc828'), undefined);
  assert.equal(await cachedSnapshotID(cacheWith(FULL), '../1a0b'), undefined);
});
