import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { readBackupCatalogue } from '../../../src/restore/read/read-backup.ts';
import { aBackupArchive } from '../../helpers/archive-builder.ts';

let parent = '';
before(async () => (parent = await mkdtemp(join(tmpdir(), 'skiff-lossless-read-'))));
after(async () => rm(parent, { recursive: true, force: true }));

test('an item read from a backup keeps integers beyond 2^53 exactly when written out again', async () => {
  const body =
    '{"apiVersion":"example.com/v1","kind":"BigNum","metadata":{"name":"big","namespace":"a"},' +
    '"spec":{"count":9007199254740993,"negative":-9007199254740993,"list":[9223372036854775807,1]}}';
  const archive = aBackupArchive().file('resources/bignums.example.com/namespaces/a/big.json', body);
  const cat = await readBackupCatalogue(await archive.stream(), { tempDir: parent });
  try {
    const [entry] = [...cat.entries('bignums.example.com')];
    assert.ok(entry);
    assert.equal(JSON.stringify(await cat.read(entry)), body);
  } finally {
    await cat.dispose();
  }
});
