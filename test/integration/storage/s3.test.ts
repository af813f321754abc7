import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { AccessDeniedError, BucketNotFoundError, ObjectNotFoundError } from '../../../src/storage/errors.ts';
import {
  backupStoreForLocation,
  objectStoreForLocation,
  validateLocation,
  type BackupStorageLocationLike,
  type LocationDeps,
} from '../../../src/storage/location.ts';
import { collect, readAll, type ObjectStore } from '../../../src/storage/object-store.ts';
import { uniqueName } from '../../helpers/names.ts';
import { loadTestEnv, type TestEnv } from '../../helpers/testenv.ts';

let env: TestEnv;
let prefix: string;
let store: ObjectStore;

const credentialsText = (id: string, secret: string, profile = 'default') =>
  `[${profile}]\naws_access_key_id = ${id}\naws_secret_access_key = ${secret}\n`;

function location(overrides: { bucket?: string; prefix?: string; config?: Record<string, string> } = {}) {
  return {
    metadata: { name: 'default', namespace: 'velero' },
    spec: {
      provider: 'velero.io/aws',
      objectStorage: { bucket: overrides.bucket ?? env.s3.bucket, prefix: overrides.prefix ?? prefix },
      config: { region: env.s3.region, s3Url: env.s3.endpoint, s3ForcePathStyle: 'true', ...overrides.config },
      credential: { name: 'cloud-credentials', key: 'cloud' },
    },
  } satisfies BackupStorageLocationLike;
}

/** Secrets as the kube client would return them; only `cloud-credentials/cloud` exists. */
function depsWith(text: string): LocationDeps {
  return {
    readSecretKey: (ns, name, key) =>
      ns === 'velero' && name === 'cloud-credentials' && key === 'cloud'
        ? Promise.resolve(text)
        : Promise.reject(new Error(`secret ${ns}/${name} key ${key} not found`)),
  };
}

/** `size` deterministic pseudo-random bytes, produced 1 MiB at a time and never held whole. */
function generated(size: number): { stream: Readable; digest: Promise<string> } {
  const hash = createHash('sha256');
  let resolveDigest: (d: string) => void = () => undefined;
  const digest = new Promise<string>((r) => (resolveDigest = r));
  function* chunks() {
    const block = 1024 * 1024;
    for (let sent = 0, i = 0; sent < size; sent += block, i++) {
      const chunk = createHash('sha512').update(String(i)).digest();
      const piece = Buffer.alloc(Math.min(block, size - sent), chunk);
      hash.update(piece);
      yield piece;
    }
    resolveDigest(hash.digest('hex'));
  }
  return { stream: Readable.from(chunks()), digest };
}

before(async () => {
  env = loadTestEnv();
  prefix = uniqueName('storage');
  store = await objectStoreForLocation(
    location(),
    depsWith(credentialsText(env.s3.accessKeyId, env.s3.secretAccessKey)),
  );
});

after(async () => {
  for await (const key of store.listObjects(`${prefix}/`)) await store.deleteObject(key);
});

describe('aws provider against the test S3 server', () => {
  test('put, get, exists, list and delete round-trip, with credentials from a shared-credentials text', async () => {
    const k = (s: string) => `${prefix}/rt/${s}`;
    await store.putObject(k('a.txt'), 'alpha');
    await store.putObject(k('dir/b.bin'), Buffer.from([1, 2, 3]));
    await store.putObject(k('dir/c.txt'), Readable.from(['str', 'eam']));
    assert.equal((await readAll(await store.getObject(k('a.txt')))).toString(), 'alpha');
    assert.deepEqual(await readAll(await store.getObject(k('dir/b.bin'))), Buffer.from([1, 2, 3]));
    assert.equal((await readAll(await store.getObject(k('dir/c.txt')))).toString(), 'stream');
    assert.equal(await store.objectExists(k('a.txt')), true);
    assert.equal(await store.objectExists(k('missing')), false);
    assert.deepEqual(await collect(store.listObjects(k(''))), [k('a.txt'), k('dir/b.bin'), k('dir/c.txt')]);
    assert.deepEqual(await collect(store.listCommonPrefixes(k(''), '/')), [k('dir/')]);
    await store.deleteObject(k('a.txt'));
    assert.equal(await store.objectExists(k('a.txt')), false);
    await assert.rejects(store.getObject(k('a.txt')), ObjectNotFoundError);
  });

  test('a stream larger than 10 MiB is uploaded in parts and reads back identical', async () => {
    const size = 12 * 1024 * 1024 + 12345;
    const { stream, digest } = generated(size);
    const key = `${prefix}/big/tarball.tar.gz`;
    await store.putObject(key, stream);
    const back = createHash('sha256');
    let length = 0;
    for await (const chunk of await store.getObject(key)) {
      back.update(chunk as Buffer);
      length += (chunk as Buffer).length;
    }
    assert.equal(length, size);
    assert.equal(back.digest('hex'), await digest);
  });

  test('streams below one part read back identical, from memory or past it through a file', async () => {
    // 1 MiB stays in memory (a small backup's tarball); 3 MiB goes to a file, then one PutObject.
    for (const size of [1024 * 1024 - 7, 3 * 1024 * 1024 + 5]) {
      const { stream, digest } = generated(size);
      const key = `${prefix}/small/${size}.tar.gz`;
      await store.putObject(key, stream);
      const back = createHash('sha256');
      let length = 0;
      for await (const chunk of await store.getObject(key)) {
        back.update(chunk as Buffer);
        length += (chunk as Buffer).length;
      }
      assert.equal(length, size);
      assert.equal(back.digest('hex'), await digest);
    }
  });

  test('with checksumAlgorithm CRC32, a stream of three parts reads back identical', async () => {
    const crc = await objectStoreForLocation(
      location({ config: { checksumAlgorithm: 'CRC32' } }),
      depsWith(credentialsText(env.s3.accessKeyId, env.s3.secretAccessKey)),
    );
    try {
      const size = 21 * 1024 * 1024;
      const { stream, digest } = generated(size);
      const key = `${prefix}/crc/tarball.tar.gz`;
      await crc.putObject(key, stream);
      const back = createHash('sha256');
      for await (const chunk of await crc.getObject(key)) back.update(chunk as Buffer);
      assert.equal(back.digest('hex'), await digest);
    } finally {
      crc.dispose?.();
    }
  });

  test('a stream that fails part-way stores nothing and leaves no temporary file behind', async () => {
    // The upload spools to a file under the temporary directory: a fresh one for this test.
    const spool = await mkdtemp(join(tmpdir(), 'skiff-spool-test-'));
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = spool;
    try {
      const key = `${prefix}/failed/tarball.tar.gz`;
      function* failing() {
        for (let i = 0; i < 22; i++) yield Buffer.alloc(1024 * 1024, i); // two full parts went out
        throw new Error('the tarball broke');
      }
      await assert.rejects(store.putObject(key, Readable.from(failing())), /the tarball broke/);
      assert.equal(await store.objectExists(key), false);
      assert.deepEqual(await readdir(spool), []);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
      await rm(spool, { recursive: true, force: true });
    }
  });

  test('a signed URL downloads the object with a plain GET', async () => {
    const key = `${prefix}/signed/o.txt`;
    await store.putObject(key, 'signed content');
    const res = await fetch(await store.createSignedUrl(key, 600));
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'signed content');
  });

  test('a missing bucket is BucketNotFoundError naming the bucket and the field to fix', async () => {
    const bucket = uniqueName('no-such-bucket');
    const s = await objectStoreForLocation(
      location({ bucket }),
      depsWith(credentialsText(env.s3.accessKeyId, env.s3.secretAccessKey)),
    );
    await assert.rejects(collect(s.listObjects('')), (err: unknown) => {
      assert.ok(err instanceof BucketNotFoundError, String(err));
      assert.equal(
        err.message,
        `bucket "${bucket}" does not exist at ${env.s3.endpoint}: create it or fix spec.objectStorage.bucket`,
      );
      return true;
    });
    await assert.rejects(s.getObject('x'), BucketNotFoundError);
  });

  test('wrong credentials are an AccessDeniedError that says to check the credentials', async () => {
    const s = await objectStoreForLocation(location(), depsWith(credentialsText(env.s3.accessKeyId, 'wrong-secret')));
    await assert.rejects(collect(s.listObjects(`${prefix}/`)), (err: unknown) => {
      assert.ok(err instanceof AccessDeniedError, String(err));
      assert.match(err.message, /was denied \(SignatureDoesNotMatch\): check the credentials/);
      return true;
    });
    const unknownKey = await objectStoreForLocation(location(), depsWith(credentialsText('nobody', 'x')));
    await assert.rejects(unknownKey.putObject(`${prefix}/x`, 'x'), AccessDeniedError);
  });

  test('a named profile of the server credentials file is used when the BSL has no credential', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skiff-creds-'));
    try {
      const file = join(dir, 'cloud');
      await writeFile(
        file,
        credentialsText('wrong', 'wrong') + credentialsText(env.s3.accessKeyId, env.s3.secretAccessKey, 'skiff'),
      );
      const { credential: _ignored, ...spec } = location({ config: { profile: 'skiff' } }).spec;
      const s = await objectStoreForLocation({ spec }, { awsSharedCredentialsFile: file });
      await s.putObject(`${prefix}/profile/x`, 'x');
      assert.equal(await s.objectExists(`${prefix}/profile/x`), true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a BackupStore on S3 stores, lists, validates and deletes a backup', async () => {
    const backups = await backupStoreForLocation(
      location({ prefix: `${prefix}/bsl` }),
      depsWith(credentialsText(env.s3.accessKeyId, env.s3.secretAccessKey)),
    );
    await backups.putBackupLog('b1', 'log\n');
    await backups.putBackupContents('b1', 'tar');
    await backups.putBackupFile('b1', 'results', { errors: {}, warnings: {} });
    await backups.putBackupMetadata('b1', { kind: 'Backup', metadata: { name: 'b1' } });
    await validateLocation(backups);
    assert.deepEqual(await backups.listBackups(), ['b1']);
    assert.equal(await backups.backupExists('b1'), true);
    assert.equal((await readAll(await backups.getBackupLog('b1'))).toString(), 'log\n');
    await backups.deleteBackup('b1');
    assert.deepEqual(await backups.listBackups(), []);
  });
});
