import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { extract as createExtract, type Header } from 'tar-stream';
import { indexBackupArchive } from '../../../src/archive/archive-index.ts';
import { ArchiveErrorCode, isArchiveError } from '../../../src/archive/errors.ts';
import { readBackupArchive, type ArchiveRecord } from '../../../src/archive/reader.ts';
import { BackupArchiveWriter, type ArchiveItem } from '../../../src/archive/writer.ts';
import { readAll } from '../../helpers/archive-builder.ts';

const START = new Date('2026-03-04T05:06:07Z');

const podJson = '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"ns1"}}';
const pod: ArchiveItem = {
  group: '',
  version: 'v1',
  resource: 'pods',
  namespaced: true,
  namespace: 'ns1',
  name: 'p',
  preferredVersion: true,
  json: podJson,
};
const crd: ArchiveItem = {
  group: 'apiextensions.k8s.io',
  version: 'v1',
  resource: 'customresourcedefinitions',
  namespaced: false,
  name: 'rockbands.music.example.io',
  preferredVersion: true,
  json: Buffer.from('{"kind":"CustomResourceDefinition"}'),
};
const bandV2beta1: ArchiveItem = {
  group: 'music.example.io',
  version: 'v2beta1',
  resource: 'rockbands',
  namespaced: true,
  namespace: 'ns1',
  name: 'beatles',
  preferredVersion: false,
  json: '{"apiVersion":"music.example.io/v2beta1","kind":"RockBand"}',
};
const bandV1: ArchiveItem = {
  ...bandV2beta1,
  version: 'v1',
  preferredVersion: true,
  json: '{"apiVersion":"music.example.io/v1"}',
};

async function writeArchive(items: ArchiveItem[]): Promise<Buffer> {
  const writer = new BackupArchiveWriter({ mtime: START });
  const output = readAll(writer.stream);
  for (const item of items) await writer.addItem(item);
  await writer.finalize();
  return output;
}

/** Raw tar headers and bodies, read with tar-stream directly so the writer is checked independently. */
async function rawEntries(gz: Buffer): Promise<{ header: Header; body: string }[]> {
  const extract = createExtract();
  const out: { header: Header; body: string }[] = [];
  const done = (async () => {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      out.push({ header: entry.header, body: Buffer.concat(chunks).toString('utf8') });
    }
  })();
  extract.end(gunzipSync(gz));
  await done;
  return out;
}

async function readRecords(gz: Buffer): Promise<ArchiveRecord[]> {
  const records: ArchiveRecord[] = [];
  for await (const record of readBackupArchive(Readable.from([gz]))) records.push(record);
  return records;
}

describe('BackupArchiveWriter', () => {
  test('writes metadata/version first, then each item at the paths of §2.4, preferred copies adjacent', async () => {
    const entries = await rawEntries(await writeArchive([pod, crd, bandV2beta1]));
    assert.deepEqual(
      entries.map((e) => e.header.name),
      [
        'metadata/version',
        'resources/pods/namespaces/ns1/p.json',
        'resources/pods/v1-preferredversion/namespaces/ns1/p.json',
        'resources/customresourcedefinitions.apiextensions.k8s.io/cluster/rockbands.music.example.io.json',
        'resources/customresourcedefinitions.apiextensions.k8s.io/v1-preferredversion/cluster/rockbands.music.example.io.json',
        'resources/rockbands.music.example.io/v2beta1/namespaces/ns1/beatles.json',
      ],
    );
    assert.equal(entries[0]?.body, '1.1.0\n');
    assert.equal(entries[1]?.body, podJson);
    assert.equal(entries[2]?.body, podJson);
  });

  test('an item given in pieces is written as their concatenation, at both paths', async () => {
    const pieces = [
      Buffer.from('{"apiVersion":"v1",'),
      Buffer.from('"kind":"Pod",'),
      Buffer.from('"metadata":{"name":"p"}}'),
    ];
    const entries = await rawEntries(await writeArchive([{ ...pod, json: pieces }]));
    assert.equal(entries[1]?.body, Buffer.concat(pieces).toString());
    assert.equal(entries[2]?.body, Buffer.concat(pieces).toString());
    assert.equal(entries[1]?.header.size, Buffer.concat(pieces).length);
  });

  test('every entry is a regular file with mode 0755 and the backup start time, with no directory entries', async () => {
    const entries = await rawEntries(await writeArchive([pod, crd]));
    for (const { header } of entries) {
      assert.equal(header.type, 'file');
      assert.equal(header.mode, 0o755);
      assert.equal(header.mtime.getTime(), START.getTime());
    }
  });

  test('the same items give byte-identical archives', async () => {
    const a = await writeArchive([pod, crd, bandV2beta1]);
    const b = await writeArchive([pod, crd, bandV2beta1]);
    assert.deepEqual(a, b);
  });

  test('round trip: the reader returns every item, parsed, with its location and version', async () => {
    const records = await readRecords(await writeArchive([pod, crd, bandV1, bandV2beta1]));
    assert.equal(records[0]?.kind, 'metadata');
    const items = records.filter((r) => r.kind === 'item');
    assert.equal(items.length, 7);
    const [plainPod, preferredPod] = items;
    assert.ok(plainPod && preferredPod);
    assert.deepEqual(plainPod.parsed, {
      groupResource: 'pods',
      resource: 'pods',
      group: '',
      namespace: 'ns1',
      name: 'p',
      preferred: false,
    });
    assert.deepEqual(preferredPod.parsed, { ...plainPod.parsed, version: 'v1', preferred: true });
    assert.deepEqual(plainPod.object, JSON.parse(podJson));
    const clusterItem = items[2];
    assert.equal(clusterItem?.parsed.namespace, undefined);
    assert.equal(clusterItem?.parsed.groupResource, 'customresourcedefinitions.apiextensions.k8s.io');
  });

  test('the index lists versions, the preferred one and items per namespace and cluster', async () => {
    const index = await indexBackupArchive(Readable.from([await writeArchive([pod, crd, bandV1, bandV2beta1])]));
    assert.equal(index.formatVersion, '1.1.0');
    assert.deepEqual(
      [...index.resources.keys()],
      ['pods', 'customresourcedefinitions.apiextensions.k8s.io', 'rockbands.music.example.io'],
    );
    const bands = index.resources.get('rockbands.music.example.io');
    assert.ok(bands);
    assert.equal(bands.preferredVersion, 'v1');
    assert.deepEqual([...bands.versions.keys()], ['v1', 'v2beta1']);
    assert.deepEqual(bands.items.namespaces.get('ns1'), ['beatles']);
    assert.deepEqual(bands.versions.get('v2beta1')?.namespaces.get('ns1'), ['beatles']);
    const crds = index.resources.get('customresourcedefinitions.apiextensions.k8s.io');
    assert.ok(crds);
    assert.deepEqual(crds.items.cluster, ['rockbands.music.example.io']);
    assert.equal(crds.items.namespaces.size, 0);
    assert.deepEqual(index.notes, []);
  });

  test('blocks compressed in parallel make one valid gzip stream: our reader, gzip -t and GNU tar agree', async () => {
    const writer = new BackupArchiveWriter({ mtime: START, chunkSize: 64 * 1024 });
    const output = readAll(writer.stream);
    const count = 2000;
    for (let i = 0; i < count; i++) await writer.addItem({ ...pod, name: `p${i}`, json: `{"n":${i}}` });
    await writer.finalize();
    const gz = await output;
    assert.ok(writer.uncompressedBytes > 8 * 64 * 1024, 'the archive spans many blocks');
    assert.equal(gunzipSync(gz).length, writer.uncompressedBytes);
    assert.equal(writer.compressedBytes, gz.length, 'the size the metrics report is the stored size');
    execFileSync('gzip', ['-t'], { input: gz });
    const records = await readRecords(gz);
    assert.equal(records.filter((r) => r.kind === 'item').length, 2 * count);
    const listing = execFileSync('tar', ['-tzf', '-'], { input: gz, encoding: 'utf8' }).trim().split('\n');
    assert.equal(listing.length, 1 + 2 * count);
    assert.equal(listing.at(-1), `resources/pods/v1-preferredversion/namespaces/ns1/p${count - 1}.json`);
  });

  test('concurrent addItem calls keep each item’s two copies together', async () => {
    const writer = new BackupArchiveWriter({ mtime: START });
    const output = readAll(writer.stream);
    const names = Array.from({ length: 50 }, (_, i) => `p${i}`);
    await Promise.all(names.map((name) => writer.addItem({ ...pod, name })));
    await writer.finalize();
    const paths = (await rawEntries(await output)).map((e) => e.header.name).slice(1);
    for (let i = 0; i < paths.length; i += 2) {
      const name = /([^/]+)\.json$/.exec(paths[i] ?? '')?.[1];
      assert.equal(paths[i + 1], `resources/pods/v1-preferredversion/namespaces/ns1/${name}.json`);
    }
  });

  test('addItem waits while nobody reads the output (backpressure)', async () => {
    const writer = new BackupArchiveWriter({ mtime: START, gzipLevel: 0 });
    const big = { ...pod, json: Buffer.alloc(256 * 1024, 0x61) };
    let accepted = 0;
    const adding = (async () => {
      for (let i = 0; i < 64; i++) {
        await writer.addItem({ ...big, name: `p${i}` });
        accepted++;
      }
    })();
    // Let the writer go as far as it will: until all 64 are in (no backpressure) or nothing
    // moves any more. No deadline: a writer that ignores the missing reader always reaches 64.
    for (let still = 0; accepted < 64 && still < 5;) {
      const before = accepted;
      await new Promise((resolve) => setTimeout(resolve, 50));
      still = accepted === before ? still + 1 : 0;
    }
    assert.ok(accepted < 64, `all ${accepted} items were accepted with no reader`);
    assert.ok(writer.uncompressedBytes < 8 * 1024 * 1024, `${writer.uncompressedBytes} bytes held with no reader`);
    const output = readAll(writer.stream);
    await adding;
    await writer.finalize();
    assert.ok((await output).length > 64 * 256 * 1024);
  });

  test('adding after finalize, or after the output failed, is a WriterClosed error', async () => {
    const writer = new BackupArchiveWriter();
    const output = readAll(writer.stream);
    await writer.finalize();
    await output;
    await assert.rejects(writer.addItem(pod), (err) => isArchiveError(err, ArchiveErrorCode.WriterClosed));

    const broken = new BackupArchiveWriter();
    const closed = new Promise((resolve) => broken.stream.on('close', resolve));
    broken.stream.on('error', () => undefined);
    broken.stream.destroy(new Error('upload failed'));
    await closed;
    await assert.rejects(broken.addItem(pod), (err) => isArchiveError(err, ArchiveErrorCode.WriterClosed));
    await assert.rejects(broken.finalize(), (err) => isArchiveError(err, ArchiveErrorCode.WriterClosed));
  });

  test('abort makes the output stream fail so a partial tarball is never complete', async () => {
    const writer = new BackupArchiveWriter();
    const output = readAll(writer.stream);
    await writer.addItem(pod);
    writer.abort(new Error('backup failed'));
    await assert.rejects(output);
  });

  test('an item with an unusable location is refused before anything is written', async () => {
    const writer = new BackupArchiveWriter();
    const output = readAll(writer.stream);
    await assert.rejects(writer.addItem({ ...pod, name: '../x' }), (err) =>
      isArchiveError(err, ArchiveErrorCode.InvalidPath),
    );
    await writer.addItem(pod);
    await writer.finalize();
    assert.equal((await rawEntries(await output)).length, 3);
  });
});
