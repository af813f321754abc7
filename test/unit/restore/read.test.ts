import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isArchiveError } from '../../../src/archive/index.ts';
import { readBackupCatalogue } from '../../../src/restore/read/read-backup.ts';
import { aBackupArchive } from '../../helpers/archive-builder.ts';

let parent = '';
before(async () => (parent = await mkdtemp(join(tmpdir(), 'skiff-read-test-'))));
after(async () => rm(parent, { recursive: true, force: true }));

const cm = (name: string, ns = 'app') => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns },
  data: { k: name },
});

describe('reading a backup tarball into a catalogue', () => {
  test('items are grouped by group-resource, sorted, and read back from the spool; dispose removes the spool', async () => {
    const archive = aBackupArchive()
      .item({ resource: 'configmaps', namespace: 'b', name: 'z', object: cm('z', 'b') })
      .item({ resource: 'configmaps', namespace: 'a', name: 'y', object: cm('y', 'a') })
      .item({
        group: 'apps',
        resource: 'deployments',
        namespace: 'a',
        name: 'd',
        object: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' } },
      });
    const cat = await readBackupCatalogue(await archive.stream(), { tempDir: parent });
    assert.equal(cat.formatVersion, '1.1.0');
    assert.deepEqual([...cat.groupResources].sort(), ['configmaps', 'deployments.apps']);
    const cms = [...cat.entries('configmaps')];
    assert.deepEqual(
      cms.map((e) => `${e.namespace}/${e.name}`),
      ['a/y', 'b/z'],
    );
    assert.deepEqual((await cat.read(cms[1]!)).data, { k: 'z' });
    assert.equal((await readdir(parent)).length, 1);
    await cat.dispose();
    assert.deepEqual(await readdir(parent), []);
  });

  test('bodies read back whole in any order: in spool order (read ahead), reversed, and interleaved', async () => {
    // Large enough bodies that a read-ahead block ends inside an item.
    const big = (i: number) => ({ ...cm(`c${String(i).padStart(4, '0')}`), data: { k: 'v'.repeat(1000 + (i % 97)) } });
    let archive = aBackupArchive();
    for (let i = 0; i < 300; i++) {
      const o = big(i);
      archive = archive.item({ resource: 'configmaps', namespace: 'app', name: o.metadata.name, object: o });
    }
    const cat = await readBackupCatalogue(await archive.stream(), { tempDir: parent });
    try {
      const entries = [...cat.entries('configmaps')];
      const expected = (i: number) => big(i).data.k;
      const order = [
        ...entries.map((_, i) => i),
        ...entries.map((_, i) => entries.length - 1 - i),
        ...entries.map((_, i) => (i % 2 === 0 ? i / 2 : entries.length - 1 - (i - 1) / 2)),
      ];
      for (const i of order) {
        const obj = await cat.read(entries[i]!);
        assert.equal(obj.metadata.name, entries[i]!.name);
        assert.equal((obj.data as { k: string }).k, expected(i));
      }
    } finally {
      await cat.dispose();
    }
  });

  test('a preferred-version copy is used when its legacy twin is missing; other version folders are ignored', async () => {
    const archive = aBackupArchive()
      .file(
        'resources/widgets.example.com/v2-preferredversion/namespaces/a/w.json',
        JSON.stringify({ apiVersion: 'example.com/v2', kind: 'Widget', metadata: { name: 'w' } }),
      )
      .file(
        'resources/widgets.example.com/v1/namespaces/a/w.json',
        JSON.stringify({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }),
      );
    const cat = await readBackupCatalogue(await archive.stream(), { tempDir: parent });
    const entries = [...cat.entries('widgets.example.com')];
    assert.equal(entries.length, 1);
    assert.equal((await cat.read(entries[0]!)).apiVersion, 'example.com/v2');
    assert.ok(cat.notes.some((n) => n.includes('non-preferred version folders are ignored')));
    await cat.dispose();
  });

  test('the legacy copy wins whichever comes first; one entry per item, with its apiVersion; many items sort', async () => {
    const w = (v: string, name = 'w') =>
      JSON.stringify({ apiVersion: `example.com/${v}`, kind: 'Widget', metadata: { name } });
    let archive = aBackupArchive()
      .file('resources/widgets.example.com/v2-preferredversion/namespaces/a/w.json', w('v2'))
      .file('resources/widgets.example.com/namespaces/a/w.json', w('v1'))
      .file('resources/widgets.example.com/namespaces/a/x.json', w('v1', 'x'))
      .file('resources/widgets.example.com/v2-preferredversion/namespaces/a/x.json', w('v2', 'x'));
    const names = Array.from({ length: 3000 }, (_, i) => `a-rather-long-config-map-name-${(i * 7919) % 3000}`);
    for (const [i, name] of names.entries()) {
      archive = archive.item({ resource: 'configmaps', namespace: i % 2 ? 'B' : 'a', name, object: cm(name) });
    }
    const cat = await readBackupCatalogue(await archive.stream(), { tempDir: parent });
    const widgets = [...cat.entries('widgets.example.com')];
    assert.deepEqual(
      widgets.map((e) => `${e.name} ${e.apiVersion}`),
      ['w example.com/v1', 'x example.com/v1'],
    );
    assert.equal((await cat.read(widgets[0]!)).apiVersion, 'example.com/v1');
    assert.equal(cat.count('configmaps'), 3000);
    const cms = [...cat.entries('configmaps')].map((e) => `${e.namespace}/${e.name}`);
    const expected = names.map((n, i) => `${i % 2 ? 'B' : 'a'}/${n}`);
    expected.sort((x, y) => {
      const [nx = '', ny = ''] = [x.split('/')[0], y.split('/')[0]];
      return nx.localeCompare(ny) || (x < y ? -1 : x > y ? 1 : 0);
    });
    assert.deepEqual(cms, expected);
    assert.equal((await cat.read([...cat.entries('configmaps')][2999]!)).metadata.name, cms[2999]?.split('/')[1]);
    // The bodies span several spool chunks: each reads back as itself.
    for (const e of cat.entries('configmaps')) assert.deepEqual((await cat.read(e)).data, { k: e.name });
    await cat.dispose();
  });

  test('invalid JSON and objects without a kind become per-item issues; the rest is read', async () => {
    const archive = aBackupArchive()
      .file('resources/configmaps/namespaces/a/broken.json', '{not json')
      .file(
        'resources/configmaps/namespaces/a/nokind.json',
        JSON.stringify({ apiVersion: 'v1', metadata: { name: 'nokind' } }),
      )
      .item({ resource: 'configmaps', namespace: 'a', name: 'ok', object: cm('ok', 'a') });
    const cat = await readBackupCatalogue(await archive.stream(), { tempDir: parent });
    assert.deepEqual(
      [...cat.entries('configmaps')].map((e) => e.name),
      ['ok'],
    );
    assert.equal(cat.issues.length, 2);
    assert.ok(cat.issues.some((i) => /not valid JSON/.test(i.message)));
    assert.ok(cat.issues.some((i) => /has no kind/.test(i.message)));
    await cat.dispose();
  });

  for (const [what, build] of [
    [
      'a path traversal entry',
      () => aBackupArchive().file('resources/configmaps/namespaces/a/../../../../evil.json', '{}'),
    ],
    ['an absolute path', () => aBackupArchive().file('/etc/evil.json', '{}')],
    [
      'a symlink',
      () =>
        aBackupArchive().entry({
          name: 'resources/configmaps/namespaces/a/l.json',
          type: 'symlink',
          linkname: '/etc/passwd',
        }),
    ],
    [
      'a hard link',
      () =>
        aBackupArchive().entry({
          name: 'resources/configmaps/namespaces/a/h.json',
          type: 'link',
          linkname: 'metadata/version',
        }),
    ],
  ] as const) {
    test(`${what} fails the whole read with an ArchiveError and leaves nothing behind`, async () => {
      await assert.rejects(readBackupCatalogue(await build().stream(), { tempDir: parent }), (err) =>
        isArchiveError(err),
      );
      assert.deepEqual(await readdir(parent), []);
    });
  }

  test('a decompression bomb is stopped by the limits', async () => {
    const archive = aBackupArchive().file(
      'resources/configmaps/namespaces/a/big.json',
      Buffer.alloc(4 * 1024 * 1024, 0x20),
    );
    await assert.rejects(
      readBackupCatalogue(await archive.stream(), {
        tempDir: parent,
        limits: { ratioCheckAfterBytes: 1024 * 1024, maxCompressionRatio: 50 },
      }),
      (err) => isArchiveError(err),
    );
    assert.deepEqual(await readdir(parent), []);
  });

  test('input that is not gzip is a clear fatal error', async () => {
    const { Readable } = await import('node:stream');
    await assert.rejects(
      readBackupCatalogue(Readable.from([Buffer.from('hello world')]), { tempDir: parent }),
      /not gzip/,
    );
  });
});
