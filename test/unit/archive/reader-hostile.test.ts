import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { pack as createPack } from 'tar-stream';
import { ArchiveErrorCode, isArchiveError, type ArchiveErrorCode as Code } from '../../../src/archive/errors.ts';
import type { ArchiveLimits } from '../../../src/archive/limits.ts';
import { readBackupArchive, type ArchiveRecord } from '../../../src/archive/reader.ts';
import { aBackupArchive, zeroGzipStream } from '../../helpers/archive-builder.ts';

const MiB = 1024 * 1024;

async function readAllRecords(source: Readable, limits?: Partial<ArchiveLimits>): Promise<ArchiveRecord[]> {
  const records: ArchiveRecord[] = [];
  for await (const record of readBackupArchive(source, limits)) records.push(record);
  return records;
}

async function assertRejectsWith(
  source: Readable | Buffer,
  code: Code,
  limits?: Partial<ArchiveLimits>,
): Promise<void> {
  const stream = Buffer.isBuffer(source) ? Readable.from([source]) : source;
  await assert.rejects(readAllRecords(stream, limits), (err) => {
    assert.ok(isArchiveError(err), `expected an ArchiveError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return true;
  });
}

describe('the archive reader refuses hostile tarballs', () => {
  test('a path-traversal entry (resources/../../etc/passwd) is UnsafePath', async () => {
    const gz = await aBackupArchive().file('resources/../../etc/passwd', 'root:x:0:0').gzip();
    await assertRejectsWith(gz, ArchiveErrorCode.UnsafePath);
  });

  test('an absolute path is UnsafePath', async () => {
    const gz = await aBackupArchive().file('/etc/passwd', 'root:x:0:0').gzip();
    await assertRejectsWith(gz, ArchiveErrorCode.UnsafePath);
  });

  test('a symlink is UnsupportedEntryType, even inside resources/', async () => {
    const gz = await aBackupArchive()
      .entry({ name: 'resources/pods/cluster/p.json', type: 'symlink', linkname: '/etc/passwd' })
      .gzip();
    await assertRejectsWith(gz, ArchiveErrorCode.UnsupportedEntryType);
  });

  test('a hardlink is UnsupportedEntryType', async () => {
    const gz = await aBackupArchive()
      .entry({ name: 'resources/pods/cluster/p.json', type: 'link', linkname: 'metadata/version' })
      .gzip();
    await assertRejectsWith(gz, ArchiveErrorCode.UnsupportedEntryType);
  });

  test('devices and fifos are UnsupportedEntryType', async () => {
    for (const type of ['character-device', 'block-device', 'fifo'] as const) {
      const gz = await aBackupArchive().entry({ name: 'resources/x', type }).gzip();
      await assertRejectsWith(gz, ArchiveErrorCode.UnsupportedEntryType);
    }
  });

  test('a gzip bomb (1 GiB of zeros, ~1 MiB compressed) stops early without inflating it all', async () => {
    const bomb = zeroGzipStream(1024 * MiB);
    const before = process.memoryUsage().rss;
    await assertRejectsWith(bomb.stream, ArchiveErrorCode.CompressionRatio);
    // The source compresses ahead of the reader (each 16 KiB buffered in the pipes is ~16 MiB of
    // zeros), so a few hundred MiB are generated; the point is that the rest never is.
    assert.ok(
      bomb.consumed() < 512 * MiB,
      `${bomb.consumed()} bytes of zeros were compressed before the reader stopped`,
    );
    assert.ok(process.memoryUsage().rss - before < 256 * MiB, 'the reader must not allocate the inflated data');
  });

  test('an entry whose header claims more than maxEntryBytes is refused before its body is read', async () => {
    const pack = createPack();
    const chunks: Buffer[] = [];
    pack.on('data', (chunk) => chunks.push(chunk as Buffer));
    const sink = pack.entry({ name: 'resources/pods/cluster/huge.json', size: 1024 * MiB, mode: 0o755 });
    sink.write(Buffer.alloc(MiB));
    await new Promise((resolve) => setImmediate(resolve));
    await assertRejectsWith(gzipSync(Buffer.concat(chunks)), ArchiveErrorCode.EntryTooLarge);
    pack.destroy();
  });

  test('an archive inflating past maxTotalBytes is TooLarge', async () => {
    const builder = aBackupArchive();
    for (let i = 0; i < 20; i++) builder.item({ resource: 'pods', namespace: 'ns', name: `p${i}` });
    await assertRejectsWith(await builder.gzip(), ArchiveErrorCode.TooLarge, { maxTotalBytes: 8 * 1024 });
  });

  test('more entries than maxEntries is TooManyEntries', async () => {
    const builder = aBackupArchive();
    for (let i = 0; i < 10; i++) builder.item({ resource: 'pods', namespace: 'ns', name: `p${i}` });
    await assertRejectsWith(await builder.gzip(), ArchiveErrorCode.TooManyEntries, { maxEntries: 5 });
  });

  test('truncated gzip input is Truncated', async () => {
    const builder = aBackupArchive();
    for (let i = 0; i < 200; i++) builder.item({ resource: 'pods', namespace: 'ns', name: `pod-${i}` });
    const gz = await builder.gzip();
    await assertRejectsWith(gz.subarray(0, Math.floor(gz.length / 2)), ArchiveErrorCode.Truncated);
    await assertRejectsWith(gz.subarray(0, gz.length - 4), ArchiveErrorCode.Truncated);
  });

  test('bytes that are not gzip are NotGzip', async () => {
    await assertRejectsWith(Buffer.from('this is not a tarball'), ArchiveErrorCode.NotGzip);
    await assertRejectsWith(await aBackupArchive().tar(), ArchiveErrorCode.NotGzip);
    await assertRejectsWith(Buffer.alloc(0), ArchiveErrorCode.NotGzip);
  });

  test('gzip that does not hold a tar is Corrupt', async () => {
    await assertRejectsWith(gzipSync(Buffer.alloc(2048, 'x')), ArchiveErrorCode.Corrupt);
  });

  test('damaged gzip data is Corrupt', async () => {
    const builder = aBackupArchive();
    for (let i = 0; i < 50; i++) builder.item({ resource: 'pods', namespace: 'ns', name: `pod-${i}` });
    const gz = Buffer.from(await builder.gzip());
    gz.fill(0xff, 40, 80);
    await assertRejectsWith(gz, ArchiveErrorCode.Corrupt);
  });

  test('a failing download surfaces its own error, not an archive error', async () => {
    const failure = new Error('connection reset');
    const source = new Readable({
      read() {
        this.destroy(failure);
      },
    });
    await assert.rejects(readAllRecords(source), (err) => err === failure);
  });
});

describe('the archive reader reports per-item problems and goes on', () => {
  test('invalid JSON in one item is an item-error record and the next item is still read', async () => {
    const gz = await aBackupArchive()
      .file('resources/pods/namespaces/ns1/bad.json', '{"apiVersion": "v1", ')
      .file('resources/pods/namespaces/ns1/array.json', '[1,2]')
      .item({ resource: 'pods', namespace: 'ns1', name: 'good', preferred: false })
      .gzip();
    const records = await readAllRecords(Readable.from([gz]));
    assert.deepEqual(
      records.map((r) => r.kind),
      ['metadata', 'item-error', 'item-error', 'item'],
    );
    const bad = records[1];
    assert.ok(bad?.kind === 'item-error');
    assert.equal(bad.error.code, ArchiveErrorCode.InvalidItemJson);
    assert.equal(bad.error.path, 'resources/pods/namespaces/ns1/bad.json');
    assert.equal(bad.parsed.name, 'bad');
  });

  test('unknown top-level folders are skipped with one note each', async () => {
    const gz = await aBackupArchive()
      .file('extras/a.txt', 'a')
      .file('extras/b.txt', 'b')
      .file('README', 'hello')
      .item({ resource: 'pods', namespace: 'ns1', name: 'p', preferred: false })
      .gzip();
    const records = await readAllRecords(Readable.from([gz]));
    const notes = records.filter((r) => r.kind === 'note');
    assert.deepEqual(
      notes.map((n) => n.path),
      ['extras/a.txt', 'README'],
    );
    assert.equal(records.filter((r) => r.kind === 'item').length, 1);
  });

  test('entries under resources/ that are not in the layout are skipped with a note', async () => {
    const gz = await aBackupArchive().file('resources/pods/stray.json', '{}').gzip();
    const records = await readAllRecords(Readable.from([gz]));
    assert.equal(records[1]?.kind, 'note');
  });

  test('directory entries (as GNU tar writes them) are accepted and skipped', async () => {
    const gz = await aBackupArchive()
      .entry({ name: 'resources/', type: 'directory' })
      .entry({ name: 'resources/pods/', type: 'directory' })
      .file('./resources/pods/cluster/p.json', '{"kind":"Pod"}')
      .gzip();
    const records = await readAllRecords(Readable.from([gz]));
    assert.deepEqual(
      records.map((r) => r.kind),
      ['metadata', 'item'],
    );
  });

  test('stopping early destroys the source instead of reading the rest', async () => {
    const builder = aBackupArchive();
    for (let i = 0; i < 10; i++) builder.item({ resource: 'pods', namespace: 'ns', name: `p${i}` });
    const source = Readable.from([await builder.gzip()]);
    for await (const record of readBackupArchive(source)) {
      assert.equal(record.kind, 'metadata');
      break;
    }
    assert.ok(source.destroyed);
  });
});
