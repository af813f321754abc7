import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  BucketNotFoundError,
  InvalidObjectKeyError,
  ObjectNotFoundError,
  StorageConfigError,
} from '../../../src/storage/errors.ts';
import { collect, readAll } from '../../../src/storage/object-store.ts';
import { create, invalidKeyReason } from '../../../src/storage/providers/filesystem/index.ts';

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'skiff-fs-store-'));
  await mkdir(join(root, 'bucket'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

const store = () => create({ provider: 'filesystem', bucket: 'bucket', config: { path: root } });

describe('filesystem provider', () => {
  test('an object put as a buffer, a string or a stream reads back byte for byte', async () => {
    const s = await store();
    await s.putObject('rt/a.bin', Buffer.from([0, 1, 2, 255]));
    await s.putObject('rt/b.txt', 'hello');
    await s.putObject('rt/deep/c.txt', Readable.from(['str', 'eam']));
    assert.deepEqual(await readAll(await s.getObject('rt/a.bin')), Buffer.from([0, 1, 2, 255]));
    assert.equal((await readAll(await s.getObject('rt/b.txt'))).toString(), 'hello');
    assert.equal((await readAll(await s.getObject('rt/deep/c.txt'))).toString(), 'stream');
    assert.equal(await s.objectExists('rt/b.txt'), true);
    assert.equal(await s.objectExists('rt/missing'), false);
    assert.equal(await s.objectExists('rt/deep'), false, 'a directory is not an object');
  });

  test('listObjects yields every key with the string prefix, in key order, recursing into directories', async () => {
    const s = await store();
    for (const key of ['ls/a/1', 'ls/a/2', 'ls/a-b', 'ls/ab/3', 'ls/b']) await s.putObject(key, 'x');
    assert.deepEqual(await collect(s.listObjects('ls/a')), ['ls/a-b', 'ls/a/1', 'ls/a/2', 'ls/ab/3']);
    assert.deepEqual(await collect(s.listObjects('ls/a/')), ['ls/a/1', 'ls/a/2']);
    assert.deepEqual(await collect(s.listObjects('ls/none/')), []);
  });

  test('listCommonPrefixes names the directories under a prefix, like S3 CommonPrefixes', async () => {
    const s = await store();
    for (const key of ['cp/backups/b1/x', 'cp/backups/b2/y', 'cp/restores/r1/z', 'cp/file'])
      await s.putObject(key, 'x');
    assert.deepEqual(await collect(s.listCommonPrefixes('cp/', '/')), ['cp/backups/', 'cp/restores/']);
    assert.deepEqual(await collect(s.listCommonPrefixes('cp/backups/', '/')), ['cp/backups/b1/', 'cp/backups/b2/']);
    assert.deepEqual(await collect(s.listCommonPrefixes('cp/back', '/')), ['cp/backups/']);
  });

  test('deleting the last object of a directory leaves no empty directory behind, and deleting twice succeeds', async () => {
    const s = await store();
    await s.putObject('del/backups/b1/f', 'x');
    await s.deleteObject('del/backups/b1/f');
    await s.deleteObject('del/backups/b1/f');
    assert.deepEqual(await collect(s.listCommonPrefixes('', '/')).then((p) => p.includes('del/')), false);
    assert.deepEqual(await readdir(join(root, 'bucket')).then((n) => n.includes('del')), false);
  });

  test('an interrupted stream upload leaves neither the object nor a temporary file', async () => {
    const s = await store();
    const failing = new Readable({
      read() {
        this.destroy(new Error('source broke'));
      },
    });
    await assert.rejects(s.putObject('tmp/obj', failing));
    assert.equal(await s.objectExists('tmp/obj'), false);
    assert.equal((await readdir(join(root, 'bucket'))).includes('tmp'), false);
  });

  test('a missing key rejects with ObjectNotFoundError before any stream is returned', async () => {
    const s = await store();
    await assert.rejects(s.getObject('nothing/here'), ObjectNotFoundError);
  });

  test('a missing bucket rejects with BucketNotFoundError that names it and says what to do', async () => {
    const s = await create({ provider: 'filesystem', bucket: 'absent', config: { path: root } });
    await assert.rejects(s.getObject('a'), (err: unknown) => {
      assert.ok(err instanceof BucketNotFoundError);
      assert.match(err.message, /bucket "absent" does not exist at .*: create it or fix spec.objectStorage.bucket/);
      return true;
    });
    await assert.rejects(collect(s.listObjects('')), BucketNotFoundError);
    await assert.rejects(s.putObject('a', 'x'), BucketNotFoundError);
  });

  test('createBucket: "true" creates the bucket directory', async () => {
    const s = await create({ provider: 'filesystem', bucket: 'made', config: { path: root, createBucket: 'true' } });
    await s.putObject('k', 'v');
    assert.equal(await s.objectExists('k'), true);
  });

  test("createBucket takes Go's boolean spellings; another value is refused, naming it, and creates nothing", async () => {
    await create({ provider: 'filesystem', bucket: 'made-upper', config: { path: root, createBucket: 'True' } });
    await create({ provider: 'filesystem', bucket: 'made-one', config: { path: root, createBucket: '1' } });
    await create({ provider: 'filesystem', bucket: 'not-made', config: { path: root, createBucket: 'F' } });
    await assert.rejects(
      create({ provider: 'filesystem', bucket: 'not-made', config: { path: root, createBucket: 'yes' } }),
      (err: unknown) =>
        err instanceof StorageConfigError &&
        err.field === 'spec.config.createBucket' &&
        /spec\.config\.createBucket "yes" is not a boolean/.test(err.message),
    );
    const dirs = await readdir(root);
    assert.ok(dirs.includes('made-upper') && dirs.includes('made-one'));
    assert.equal(dirs.includes('not-made'), false);
  });

  test('a config key it does not act on, a CA bundle or a credential is refused, naming it', async () => {
    const refused = async (init: Partial<Parameters<typeof create>[0]>, field: string, message: RegExp) =>
      assert.rejects(
        create({ provider: 'filesystem', bucket: 'bucket', config: { path: root }, ...init }),
        (err: unknown) => err instanceof StorageConfigError && err.field === field && message.test(err.message),
        field,
      );
    await refused(
      { config: { path: root, createbucket: 'true' } },
      'spec.config.createbucket',
      /spec\.config\.createbucket: .*not a key of the filesystem provider.*createBucket/,
    );
    await refused({ config: { path: root, region: 'us-east-1' } }, 'spec.config.region', /spec\.config\.region/);
    await refused({ caCert: 'PEM' }, 'spec.objectStorage.caCert', /spec\.objectStorage\.caCert/);
    await refused(
      { credential: { namespace: 'velero', name: 'cloud-credentials', key: 'cloud' } },
      'spec.credential',
      /spec\.credential/,
    );
    await refused(
      { config: { path: root, resticRepoPrefix: 's3:host/bkt' } },
      'spec.config.resticRepoPrefix',
      /spec\.config\.resticRepoPrefix "s3:host\/bkt"/,
    );
    await create({
      provider: 'filesystem',
      bucket: 'bucket',
      config: { path: root, resticRepoPrefix: '/legacy/restic' },
    });
  });

  test('the signed URL is a file:// URL of the object', async () => {
    const s = await store();
    await s.putObject('url/o.txt', 'x');
    const url = await s.createSignedUrl('url/o.txt', 600);
    assert.equal(fileURLToPath(url), join(root, 'bucket', 'url', 'o.txt'));
  });

  test('a non-absolute path or a bucket with a slash is a StorageConfigError', async () => {
    await assert.rejects(create({ provider: 'filesystem', bucket: 'b', config: {} }), StorageConfigError);
    await assert.rejects(create({ provider: 'filesystem', bucket: 'b', config: { path: 'rel' } }), StorageConfigError);
    await assert.rejects(create({ provider: 'filesystem', bucket: '..', config: { path: root } }), StorageConfigError);
  });
});

describe('filesystem key safety', () => {
  const unsafe = ['', '/etc/passwd', '../outside', 'a/../../outside', 'a/./b', 'a//b', 'a/', 'a\\..\\b', 'a\0b'];
  for (const key of unsafe) {
    test(`key ${JSON.stringify(key)} is rejected before touching the disk`, async () => {
      assert.notEqual(invalidKeyReason(key), null);
      const s = await store();
      await assert.rejects(s.putObject(key, 'x'), InvalidObjectKeyError);
      await assert.rejects(s.getObject(key), InvalidObjectKeyError);
      await assert.rejects(s.deleteObject(key), InvalidObjectKeyError);
    });
  }

  test('a listing prefix cannot climb out of the bucket either', async () => {
    await writeFile(join(root, 'secret'), 'x');
    const s = await store();
    await assert.rejects(collect(s.listObjects('../')), InvalidObjectKeyError);
    await assert.rejects(collect(s.listCommonPrefixes('../', '/')), InvalidObjectKeyError);
  });

  test('ordinary Velero keys are accepted', () => {
    for (const key of ['backups/b1/velero-backup.json', 'p/restores/r/restore-r-logs.gz', 'kopia/ns/x.y-z']) {
      assert.equal(invalidKeyReason(key), null);
    }
  });
});
