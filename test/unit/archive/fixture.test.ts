import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { pack as createPack } from 'tar-stream';
import { indexBackupArchive } from '../../../src/archive/archive-index.ts';
import { readBackupArchive, type ArchiveRecord } from '../../../src/archive/reader.ts';

/**
 * A tarball laid out by hand exactly as reference §2.4 describes Velero's output, without
 * going through our layout code: regular files only, mode 0755, `metadata/version` first,
 * compact JSON, every preferred-version item twice, a non-preferred version only under its
 * version directory.
 */
async function veleroStyleTarball(): Promise<Buffer> {
  const files: [string, string][] = [
    ['metadata/version', '1.1.0\n'],
    ['resources/namespaces/cluster/ns1.json', '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"ns1"}}'],
    [
      'resources/namespaces/v1-preferredversion/cluster/ns1.json',
      '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"ns1"}}',
    ],
    [
      'resources/pods/namespaces/ns1/p.json',
      '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"ns1"}}',
    ],
    [
      'resources/pods/v1-preferredversion/namespaces/ns1/p.json',
      '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"ns1"}}',
    ],
    [
      'resources/deployments.apps/namespaces/ns1/web.json',
      '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"ns1"}}',
    ],
    [
      'resources/deployments.apps/v1-preferredversion/namespaces/ns1/web.json',
      '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"ns1"}}',
    ],
    [
      'resources/rockbands.music.example.io/namespaces/ns2/beatles.json',
      '{"apiVersion":"music.example.io/v1","kind":"RockBand","metadata":{"name":"beatles","namespace":"ns2"}}',
    ],
    [
      'resources/rockbands.music.example.io/v1-preferredversion/namespaces/ns2/beatles.json',
      '{"apiVersion":"music.example.io/v1","kind":"RockBand","metadata":{"name":"beatles","namespace":"ns2"}}',
    ],
    [
      'resources/rockbands.music.example.io/v2beta1/namespaces/ns2/beatles.json',
      '{"apiVersion":"music.example.io/v2beta1","kind":"RockBand","metadata":{"name":"beatles","namespace":"ns2"}}',
    ],
  ];
  const pack = createPack();
  const chunks: Buffer[] = [];
  pack.on('data', (chunk) => chunks.push(chunk as Buffer));
  const ended = new Promise<void>((resolve) => {
    pack.on('end', () => {
      resolve();
    });
  });
  for (const [name, body] of files) {
    pack.entry({ name, mode: 0o755, mtime: new Date('2026-01-01T00:00:00Z'), type: 'file' }, body);
  }
  pack.finalize();
  await ended;
  return gzipSync(Buffer.concat(chunks));
}

describe('reading a tarball laid out like Velero’s (§2.4)', () => {
  test('every entry comes back as a metadata or item record, in archive order', async () => {
    const records: ArchiveRecord[] = [];
    for await (const record of readBackupArchive(Readable.from([await veleroStyleTarball()]))) records.push(record);
    assert.deepEqual(
      records.map((r) => r.kind),
      ['metadata', 'item', 'item', 'item', 'item', 'item', 'item', 'item', 'item', 'item'],
    );
    const metadata = records[0];
    assert.equal(metadata?.kind === 'metadata' && metadata.data.toString(), '1.1.0\n');
    const beatlesV2 = records[9];
    assert.ok(beatlesV2?.kind === 'item');
    assert.deepEqual(beatlesV2.parsed, {
      groupResource: 'rockbands.music.example.io',
      resource: 'rockbands',
      group: 'music.example.io',
      namespace: 'ns2',
      name: 'beatles',
      version: 'v2beta1',
      preferred: false,
    });
    assert.equal(beatlesV2.object.apiVersion, 'music.example.io/v2beta1');
  });

  test('the index sees the source’s preferred version and the extra versions', async () => {
    const index = await indexBackupArchive(Readable.from([await veleroStyleTarball()]));
    assert.equal(index.formatVersion, '1.1.0');
    assert.deepEqual(
      [...index.resources.keys()],
      ['namespaces', 'pods', 'deployments.apps', 'rockbands.music.example.io'],
    );
    assert.deepEqual(index.resources.get('namespaces')?.items.cluster, ['ns1']);
    const deployments = index.resources.get('deployments.apps');
    assert.ok(deployments);
    assert.equal(deployments.group, 'apps');
    assert.equal(deployments.resource, 'deployments');
    assert.deepEqual(deployments.items.namespaces.get('ns1'), ['web']);
    const bands = index.resources.get('rockbands.music.example.io');
    assert.ok(bands);
    assert.equal(bands.preferredVersion, 'v1');
    assert.deepEqual([...bands.versions.keys()].sort(), ['v1', 'v2beta1']);
    assert.deepEqual(bands.items.namespaces.get('ns2'), ['beatles']);
  });
});
