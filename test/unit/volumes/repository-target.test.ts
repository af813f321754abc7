import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RepositoryType } from '../../../src/api/index.ts';
import { StorageConfigError } from '../../../src/storage/errors.ts';
import type { BackupStorageLocationLike } from '../../../src/storage/location-settings.ts';
import { resticIdentifier } from '../../../src/volumes/repository/identity.ts';
import { repositoryTarget } from '../../../src/volumes/repository/target.ts';
import { ResticUploader } from '../../../src/volumes/uploader/restic.ts';

const location = (
  config: Record<string, string>,
  provider = 'aws',
  objectStorage: BackupStorageLocationLike['spec']['objectStorage'] = { bucket: 'bkt', prefix: 'cluster-a' },
): BackupStorageLocationLike => ({
  metadata: { name: 'default', namespace: 'velero' },
  spec: { provider, objectStorage, config },
});

const targetOf = (bsl: BackupStorageLocationLike, type: RepositoryType = 'restic') =>
  repositoryTarget(bsl, type, 'app', { defaultNamespace: 'velero' });

/** What restic is given as RESTIC_REPOSITORY for the location's repository of namespace `app`. */
async function resticRepository(bsl: BackupStorageLocationLike): Promise<string> {
  const target = await targetOf(bsl);
  return new ResticUploader({ type: 'restic', target, password: 'p', workDir: '/nonexistent' }).repositoryUrl();
}

describe('repository targets and resticRepoPrefix (§2.5)', () => {
  test('restic data goes where resticRepoPrefix says: its bucket, its prefix plus the namespace, its host', async () => {
    const bsl = location({ region: 'us-east-1', resticRepoPrefix: 's3:s3.amazonaws.com/mybucket/custom/path' });
    const target = await targetOf(bsl);
    assert.equal(target.kind, 's3');
    assert.equal(target.kind === 's3' && target.bucket, 'mybucket');
    assert.equal(target.kind === 's3' && target.prefix, 'custom/path/app');
    assert.equal(await resticRepository(bsl), 's3:s3.amazonaws.com/mybucket/custom/path/app');
    assert.equal(resticIdentifier(bsl, 'app'), 's3:s3.amazonaws.com/mybucket/custom/path/app');
  });

  test('a prefix URL with a scheme keeps it, a trailing slash is dropped, and a bucket alone is allowed', async () => {
    for (const [prefix, expected] of [
      ['s3:http://minio:9000/legacy/restic/', 's3:http://minio:9000/legacy/restic/app'],
      ['s3:https://s3.eu-west-1.amazonaws.com/other', 's3:https://s3.eu-west-1.amazonaws.com/other/app'],
    ] as const) {
      const bsl = location({ s3Url: 'http://minio:9000', s3ForcePathStyle: 'true', resticRepoPrefix: prefix });
      assert.equal(await resticRepository(bsl), expected, prefix);
      assert.equal(resticIdentifier(bsl, 'app'), expected, prefix);
    }
    // restic reads `s3://host/...` as `s3:host/...`; the identifier keeps what the user wrote.
    const slashes = location({ resticRepoPrefix: 's3://minio.local/legacy' });
    assert.equal(await resticRepository(slashes), 's3:minio.local/legacy/app');
    assert.equal(resticIdentifier(slashes, 'app'), 's3://minio.local/legacy/app');
  });

  test('without resticRepoPrefix restic uses the location: bucket, <prefix>/restic/<ns>, s3Url', async () => {
    const bsl = location({ s3Url: 'http://minio:9000' });
    assert.equal(await resticRepository(bsl), 's3:http://minio:9000/bkt/cluster-a/restic/app');
    assert.equal(resticIdentifier(bsl, 'app'), 's3:http://minio:9000/bkt/cluster-a/restic/app');
  });

  test('kopia repositories ignore resticRepoPrefix, as in Velero', async () => {
    const target = await targetOf(
      location({ s3Url: 'http://minio:9000', resticRepoPrefix: 's3:http://minio:9000/legacy/restic' }),
      'kopia',
    );
    assert.deepEqual(target.kind === 's3' ? [target.bucket, target.prefix, target.endpoint] : [], [
      'bkt',
      'cluster-a/kopia/app',
      'http://minio:9000',
    ]);
  });

  test('a filesystem location takes an absolute directory, for restic only', async () => {
    const bsl = location({ path: '/srv/backups', resticRepoPrefix: '/legacy/restic/' }, 'filesystem');
    assert.deepEqual(await targetOf(bsl), { kind: 'filesystem', path: '/legacy/restic/app' });
    assert.equal(await resticRepository(bsl), resticIdentifier(bsl, 'app'));
    assert.deepEqual(await targetOf(bsl, 'kopia'), {
      kind: 'filesystem',
      path: '/srv/backups/bkt/cluster-a/kopia/app',
    });
  });

  test('a resticRepoPrefix that cannot be read is a StorageConfigError naming it, for the target and the identifier', async () => {
    const cases: [string, string][] = [
      ['aws', 'azure:container:/restic'],
      ['aws', 's3:host-only'],
      ['aws', 's3:host//bkt'],
      ['filesystem', 's3:minio/bkt'],
      ['filesystem', 'relative/dir'],
    ];
    for (const [provider, value] of cases) {
      const path: Record<string, string> = provider === 'filesystem' ? { path: '/srv/backups' } : {};
      const bsl = location({ ...path, resticRepoPrefix: value }, provider);
      const named = (err: unknown) =>
        err instanceof StorageConfigError &&
        err.field === 'spec.config.resticRepoPrefix' &&
        err.message.includes(JSON.stringify(value));
      await assert.rejects(targetOf(bsl), named, `${provider} ${value}`);
      assert.throws(() => resticIdentifier(bsl, 'app'), named, `${provider} ${value}`);
    }
  });

  test('a filesystem repository is refused on a location the filesystem provider refuses', async () => {
    await assert.rejects(
      targetOf(location({ path: '/srv/backups', createbucket: 'true' }, 'filesystem')),
      (err: unknown) => err instanceof StorageConfigError && err.field === 'spec.config.createbucket',
    );
    await assert.rejects(
      targetOf({
        ...location({ path: '/srv/backups' }, 'filesystem'),
        spec: {
          provider: 'filesystem',
          objectStorage: { bucket: 'bkt' },
          config: { path: '/srv/backups' },
          credential: { name: 'cloud-credentials', key: 'cloud' },
        },
      }),
      (err: unknown) => err instanceof StorageConfigError && err.field === 'spec.credential',
    );
  });
});
