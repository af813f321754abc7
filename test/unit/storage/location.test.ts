import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { EndpointUnreachableError, StorageConfigError } from '../../../src/storage/errors.ts';
import {
  backupStoreForLocation,
  isReadOnly,
  normalizeBucket,
  objectStoreForLocation,
  validateLocation,
  type BackupStorageLocationLike,
} from '../../../src/storage/location.ts';
import { defaultProviders, providerFor } from '../../../src/storage/providers/index.ts';

const bsl = (spec: Partial<BackupStorageLocationLike['spec']>): BackupStorageLocationLike => ({
  metadata: { name: 'default', namespace: 'velero' },
  spec: { provider: 'aws', objectStorage: { bucket: 'b' }, ...spec },
});

describe('backup storage locations', () => {
  test('Velero provider names select the aws provider; filesystem has its own names', () => {
    assert.equal(providerFor('aws').id, 'aws');
    assert.equal(providerFor('velero.io/aws').id, 'aws');
    assert.equal(providerFor('filesystem').id, 'filesystem');
    assert.equal(providerFor('skiff.io/filesystem').id, 'filesystem');
    assert.throws(() => providerFor('velero.io/gcp', defaultProviders), /provider "velero.io\/gcp" is not supported/);
  });

  test('the bucket is trimmed of slashes; a slash inside is refused except in an MRAP ARN', () => {
    assert.equal(normalizeBucket('aws', '/velero/'), 'velero');
    assert.throws(() => normalizeBucket('aws', 'velero/backups'), /put the sub-path in spec.objectStorage.prefix/);
    assert.equal(normalizeBucket('aws', 'arn:aws:s3::123:accesspoint/x.mrap'), 'arn:aws:s3::123:accesspoint/x.mrap');
  });

  test('accessMode ReadOnly is read-only; absent means ReadWrite', () => {
    assert.equal(isReadOnly(bsl({ accessMode: 'ReadOnly' })), true);
    assert.equal(isReadOnly(bsl({})), false);
  });

  test('caCert and caCertRef together are refused (§5.5 step 1)', async () => {
    const both = bsl({ objectStorage: { bucket: 'b', caCert: 'eA==', caCertRef: { name: 's', key: 'ca' } } });
    await assert.rejects(
      objectStoreForLocation(both, { readSecretKey: () => Promise.resolve('') }),
      StorageConfigError,
    );
  });

  test('spec.credential is read from the BSL namespace through the injected secret reader', async () => {
    const reads: string[] = [];
    const withCredential = bsl({
      credential: { name: 'creds', key: 'cloud' },
      config: { region: 'r', s3Url: 'http://x:1' },
    });
    const store = await objectStoreForLocation(withCredential, {
      readSecretKey: (ns, name, key) => {
        reads.push(`${ns}/${name}/${key}`);
        return Promise.resolve('[default]\naws_access_key_id=a\naws_secret_access_key=b\n');
      },
    });
    assert.deepEqual(reads, ['velero/creds/cloud']);
    assert.equal(store.endpoint, 'http://x:1');
    assert.match(await store.createSignedUrl('k', 60), /X-Amz-Credential=a%2F/);
  });

  test('credentials without the configured profile are a config error naming the secret', async () => {
    const withCredential = bsl({ credential: { name: 'creds', key: 'cloud' }, config: { profile: 'prod' } });
    await assert.rejects(
      objectStoreForLocation(withCredential, { readSecretKey: () => Promise.resolve('[default]\n') }),
      /key "cloud" of secret velero\/creds \(spec.credential\): profile "prod" not found/,
    );
  });

  test('an endpoint nobody listens on is a transient EndpointUnreachableError naming the endpoint', async () => {
    const loc = bsl({ config: { region: 'r', s3Url: 'http://127.0.0.1:1', s3ForcePathStyle: 'true' } });
    const store = await objectStoreForLocation(loc, { awsSharedCredentialsFile: '/dev/null' }).catch((e: unknown) => e);
    assert.ok(store instanceof StorageConfigError, 'an empty credentials file has no default profile');
    const withCreds = await backupStoreForLocation(
      { ...loc, spec: { ...loc.spec, credential: { name: 'c', key: 'k' } } },
      { readSecretKey: () => Promise.resolve('[default]\naws_access_key_id=a\naws_secret_access_key=b\n') },
    );
    await assert.rejects(validateLocation(withCreds), (err: unknown) => {
      assert.ok(err instanceof EndpointUnreachableError);
      assert.equal(err.transient, true);
      assert.match(err.message, /cannot reach object storage at http:\/\/127.0.0.1:1 \(ECONNREFUSED\)/);
      return true;
    });
  });

  test('a filesystem location refuses the credential and CA bundle the location resolves for it', async () => {
    const fs = (spec: Partial<BackupStorageLocationLike['spec']>) =>
      bsl({ provider: 'filesystem', config: { path: '/srv/backups' }, ...spec });
    const readSecretKey = () => Promise.resolve('[default]\naws_access_key_id=a\naws_secret_access_key=b\n');
    await assert.rejects(
      objectStoreForLocation(fs({ credential: { name: 'cloud-credentials', key: 'cloud' } }), { readSecretKey }),
      (err: unknown) => err instanceof StorageConfigError && err.field === 'spec.credential',
    );
    await assert.rejects(
      objectStoreForLocation(fs({ objectStorage: { bucket: 'b', caCertRef: { name: 'ca', key: 'ca.crt' } } }), {
        readSecretKey,
      }),
      (err: unknown) =>
        err instanceof StorageConfigError && err.field === 'spec.objectStorage.caCert' && /caCertRef/.test(err.message),
    );
  });

  test('a filesystem location builds a working backup store that validates', async () => {
    const root = await mkdtemp(join(tmpdir(), 'skiff-loc-'));
    try {
      const loc = bsl({
        provider: 'filesystem',
        objectStorage: { bucket: 'velero', prefix: 'cluster-a' },
        config: { path: root, createBucket: 'true' },
      });
      const store = await backupStoreForLocation(loc);
      await store.putBackupMetadata('b1', { kind: 'Backup' });
      await validateLocation(store);
      assert.deepEqual(await store.listBackups(), ['b1']);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
