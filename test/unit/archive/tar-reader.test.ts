import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { pack as createPack } from 'tar-stream';
import { isArchiveError, ArchiveErrorCode } from '../../../src/archive/errors.ts';
import { TarParser, type TarEntry } from '../../../src/archive/tar-reader.ts';

interface Parsed {
  name: string;
  type: string;
  data: string;
}

/** Feeds `tar` to a parser in pieces of `step` bytes; every entry's data is kept. */
function parse(tar: Buffer, step: number): Parsed[] {
  const out: Parsed[] = [];
  const parser = new TarParser(
    () => ({ keep: true, tag: undefined }),
    (e: TarEntry<undefined>) => out.push({ name: e.header.name, type: e.header.type, data: e.data.toString() }),
  );
  for (let i = 0; i < tar.length; i += step) parser.push(tar.subarray(i, i + step));
  parser.end();
  return out;
}

async function packed(
  entries: { name: string; data?: string; type?: 'file' | 'directory' | 'symlink' }[],
): Promise<Buffer> {
  const pack = createPack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => void chunks.push(c as Buffer));
  const done = new Promise<void>((resolve) => pack.on('end', () => resolve()));
  for (const e of entries) {
    if (e.type === 'symlink') pack.entry({ name: e.name, type: 'symlink', linkname: '/etc/passwd' });
    else if (e.type === 'directory') pack.entry({ name: e.name, type: 'directory' });
    else pack.entry({ name: e.name }, e.data ?? '');
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

const LONG = `resources/${'a'.repeat(120)}.example.io/namespaces/${'n'.repeat(60)}/${'x'.repeat(200)}.json`;

describe('TarParser', () => {
  test('reads what tar-stream packs (long names through PAX), in any chunking', async () => {
    const tar = await packed([
      { name: 'metadata/version', data: '1.1.0\n' },
      { name: 'resources/', type: 'directory' },
      { name: 'resources/pods/namespaces/ns1/p.json', data: '{"kind":"Pod"}' },
      { name: LONG, data: 'x'.repeat(1500) },
      { name: 'empty.json', data: '' },
    ]);
    const want: Parsed[] = [
      { name: 'metadata/version', type: 'file', data: '1.1.0\n' },
      { name: 'resources/', type: 'directory', data: '' },
      { name: 'resources/pods/namespaces/ns1/p.json', type: 'file', data: '{"kind":"Pod"}' },
      { name: LONG, type: 'file', data: 'x'.repeat(1500) },
      { name: 'empty.json', type: 'file', data: '' },
    ];
    for (const step of [1, 7, 512, 1000, tar.length]) assert.deepEqual(parse(tar, step), want, `chunks of ${step}`);
  });

  test('reads GNU tar (long names as ././@LongLink entries) and names links by their type', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tar-reader-'));
    try {
      const long = `${'d'.repeat(90)}/${'f'.repeat(120)}.json`;
      mkdirSync(join(dir, 'src', 'd'.repeat(90)), { recursive: true });
      writeFileSync(join(dir, 'src', long), '{"a":1}');
      execFileSync('ln', ['-s', '/etc/passwd', join(dir, 'src', 'link')]);
      const tar = execFileSync('tar', ['--format=gnu', '-C', join(dir, 'src'), '-cf', '-', long, 'link']);
      assert.deepEqual(parse(tar, 100), [
        { name: long, type: 'file', data: '{"a":1}' },
        { name: 'link', type: 'symlink', data: '' },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an archive cut inside an entry is Truncated; a damaged header is Corrupt', async () => {
    const tar = await packed([{ name: 'a.json', data: 'y'.repeat(2000) }]);
    assert.throws(
      () => parse(tar.subarray(0, 1024), 512),
      (err) => isArchiveError(err, ArchiveErrorCode.Truncated),
    );
    const damaged = Buffer.from(tar);
    damaged[10] = 0x41;
    assert.throws(
      () => parse(damaged, 512),
      (err) => isArchiveError(err, ArchiveErrorCode.Corrupt),
    );
  });

  test('a header the check refuses stops the parse before its data is gathered', async () => {
    const tar = await packed([{ name: 'big.json', data: 'z'.repeat(5000) }]);
    const parser = new TarParser(
      (h) => {
        throw new Error(`refused ${h.name} (${h.size} bytes)`);
      },
      () => assert.fail('no entry expected'),
    );
    assert.throws(() => parser.push(tar.subarray(0, 512)), /refused big\.json \(5000 bytes\)/);
  });
});
