import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { extract as createExtract, pack as createPack } from 'tar-stream';
import {
  BLOCK_SIZE,
  EntryFile,
  EntryFolder,
  TAR_END,
  TarHeaderEncoder,
  tarPaddingLength,
} from '../../../src/archive/tar-header.ts';

const MTIME = Date.UTC(2026, 2, 4, 5, 6, 7) / 1000;
const MODE = 0o755;

/** A tar built with our encoder: header, data, padding per entry, then the end blocks. */
function encodeTar(entries: { path: string; data: Buffer }[]): Buffer {
  const encoder = new TarHeaderEncoder(MODE, MTIME);
  const parts: Buffer[] = [];
  for (const { path, data } of entries) {
    const header = Buffer.alloc(encoder.length(path), 0xff);
    assert.equal(encoder.write(header, 0, path, data.length), header.length);
    parts.push(header, data, Buffer.alloc(tarPaddingLength(data.length)));
  }
  parts.push(TAR_END);
  return Buffer.concat(parts);
}

/** The same entries through tar-stream's packer, the library our reader uses. */
async function tarStreamTar(entries: { path: string; data: Buffer }[]): Promise<Buffer> {
  const pack = createPack();
  const out = (async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of pack) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  })();
  for (const { path, data } of entries) {
    await new Promise<void>((resolve, reject) => {
      pack.entry({ name: path, size: data.length, mode: MODE, mtime: new Date(MTIME * 1000) }, data, (err) => {
        if (err) reject(err);
        else resolve();
      });
    });
  }
  pack.finalize();
  return out;
}

async function readBack(tar: Buffer): Promise<{ name: string; body: string; mode: number | undefined }[]> {
  const extract = createExtract();
  const out: { name: string; body: string; mode: number | undefined }[] = [];
  const done = (async () => {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      out.push({ name: entry.header.name, body: Buffer.concat(chunks).toString('utf8'), mode: entry.header.mode });
    }
  })();
  extract.end(tar);
  await done;
  return out;
}

const shortEntries = [
  { path: 'metadata/version', data: Buffer.from('1.1.0\n') },
  { path: 'resources/pods/namespaces/ns1/p.json', data: Buffer.from('{"kind":"Pod"}') },
  { path: 'resources/empty/cluster/e.json', data: Buffer.alloc(0) },
  { path: 'resources/blocks/cluster/b.json', data: Buffer.alloc(BLOCK_SIZE, 0x61) },
  // 100 characters exactly, and one longer name that ustar splits into prefix and name.
  { path: `resources/configmaps/cluster/${'a'.repeat(66)}.json`, data: Buffer.from('{}') },
  {
    path: `resources/configmaps/v1-preferredversion/namespaces/${'n'.repeat(40)}/${'c'.repeat(60)}.json`,
    data: Buffer.from('{}'),
  },
];

describe('TarHeaderEncoder', () => {
  test('ustar headers are byte for byte what tar-stream writes', async () => {
    assert.equal(shortEntries[4]?.path.length, 100);
    assert.deepEqual(encodeTar(shortEntries), await tarStreamTar(shortEntries));
  });

  test('a name ustar cannot hold travels in a PAX record and reads back whole', async () => {
    const long = `resources/widgets.example.io/v1-preferredversion/namespaces/ns/${'w'.repeat(200)}.json`;
    const unicode = 'resources/widgets.example.io/namespaces/ns/übergrößen.json';
    const tar = encodeTar([
      { path: long, data: Buffer.from('{"long":true}') },
      { path: unicode, data: Buffer.from('{"unicode":true}') },
    ]);
    assert.deepEqual(await readBack(tar), [
      { name: long, body: '{"long":true}', mode: MODE },
      { name: unicode, body: '{"unicode":true}', mode: MODE },
    ]);
  });

  test('GNU tar lists our archive with the right names, sizes and mtime', () => {
    const long = `resources/widgets.example.io/namespaces/ns/${'w'.repeat(150)}.json`;
    const dir = mkdtempSync(join(tmpdir(), 'skiff-tar-'));
    try {
      const file = join(dir, 'a.tar');
      writeFileSync(file, encodeTar([...shortEntries, { path: long, data: Buffer.from('{}') }]));
      const listing = execFileSync('tar', ['-tvf', file, '--utc'], { encoding: 'utf8' }).trim().split('\n');
      assert.equal(listing.length, shortEntries.length + 1);
      assert.match(
        listing[1] ?? '',
        /^-rwxr-xr-x 0\/0\s+14 2026-03-04 05:06 resources\/pods\/namespaces\/ns1\/p\.json$/,
      );
      assert.ok(listing.at(-1)?.endsWith(long));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a header written from an encoded folder is the header of the whole path', () => {
    const encoder = new TarHeaderEncoder(MODE, MTIME);
    const cases = [
      ['resources/configmaps/namespaces/ns1/', 'cm-1.json'],
      // exactly 100 bytes, then one more: the fast way ends where ustar's name field does
      [`resources/configmaps/cluster/`, `${'a'.repeat(66)}.json`],
      [`resources/configmaps/cluster/`, `${'a'.repeat(67)}.json`],
      ['resources/widgets.example.io/namespaces/ns/', 'übergrößen.json'],
      ['resources/widgets.example.io/namespaces/nß/', 'w.json'],
      [`resources/widgets.example.io/namespaces/ns/`, `${'w'.repeat(200)}.json`],
    ] as const;
    for (const [dir, file] of cases) {
      const folder = new EntryFolder(dir);
      const entryFile = new EntryFile(file);
      const length = encoder.lengthIn(folder, entryFile);
      assert.equal(length, encoder.length(dir + file), dir + file);
      const fast = Buffer.alloc(length, 0xff);
      const whole = Buffer.alloc(length, 0xee);
      assert.equal(encoder.writeIn(fast, 0, folder, entryFile, 1234), length);
      encoder.write(whole, 0, dir + file, 1234);
      assert.deepEqual(fast, whole, dir + file);
    }
  });

  test('a size too large for the header field is refused, not truncated', () => {
    const encoder = new TarHeaderEncoder(MODE, MTIME);
    assert.throws(() => encoder.write(Buffer.alloc(BLOCK_SIZE), 0, 'a.json', 8 ** 11), RangeError);
  });
});
