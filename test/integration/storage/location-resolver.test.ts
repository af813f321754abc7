import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { BackupStorageLocation } from '../../../src/api/index.ts';
import { LocationResolver } from '../../../src/controllers/locations.ts';
import { AccessDeniedError } from '../../../src/storage/errors.ts';
import { validateLocation } from '../../../src/storage/location.ts';
import { adminCluster, core, createNamespace, deleteNamespaceAndWait } from '../../helpers/cluster.ts';
import { uniqueName } from '../../helpers/names.ts';
import { loadTestEnv, type TestEnv } from '../../helpers/testenv.ts';

const cluster = adminCluster();
let env: TestEnv;
let namespace: string;

const credentials = (id: string, secret: string) =>
  Buffer.from(`[default]\naws_access_key_id = ${id}\naws_secret_access_key = ${secret}\n`).toString('base64');

function location(prefix: string): BackupStorageLocation {
  return {
    apiVersion: 'velero.io/v1',
    kind: 'BackupStorageLocation',
    metadata: { name: 'default', namespace },
    spec: {
      provider: 'aws',
      objectStorage: { bucket: env.s3.bucket, prefix },
      config: { region: env.s3.region, s3Url: env.s3.endpoint, s3ForcePathStyle: 'true' },
      credential: { name: 'cloud-credentials', key: 'cloud' },
    },
  };
}

async function setSecret(secretKey: string): Promise<void> {
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'cloud-credentials', namespace },
    data: { cloud: credentials(env.s3.accessKeyId, secretKey) },
  };
  const existing = await cluster.find(core('secrets'), 'cloud-credentials', namespace);
  if (existing)
    await cluster.replace(core('secrets'), {
      ...secret,
      metadata: { ...secret.metadata, resourceVersion: existing.metadata.resourceVersion },
    });
  else await cluster.create(core('secrets'), secret);
}

before(async () => {
  env = loadTestEnv();
  namespace = uniqueName('locres');
  await createNamespace(cluster, namespace);
  await setSecret(env.s3.secretAccessKey);
});

after(async () => {
  await deleteNamespaceAndWait(cluster, namespace);
});

describe('LocationResolver', () => {
  test('hands out the same working store while the location and its secret are unchanged', async () => {
    const locations = new LocationResolver(cluster, namespace, undefined);
    const first = await locations.store(location('locres'));
    await validateLocation(first);
    const second = await locations.store(location('locres'));
    assert.equal(second, first, 'the store (and its open connections) is reused');
    await validateLocation(second);
  });

  test('a rotated secret or a changed spec opens a new store at once', async () => {
    const locations = new LocationResolver(cluster, namespace, undefined);
    const first = await locations.store(location('locres'));
    await validateLocation(first);

    await setSecret('rotated-to-something-wrong');
    const rotated = await locations.store(location('locres'));
    assert.notEqual(rotated, first);
    await assert.rejects(validateLocation(rotated), AccessDeniedError);

    await setSecret(env.s3.secretAccessKey);
    const restored = await locations.store(location('locres'));
    await validateLocation(restored);
    const moved = await locations.store(location('locres-elsewhere'));
    assert.notEqual(moved, restored);
    assert.equal(moved.layout.backupsDir(), 'locres-elsewhere/backups/');
  });
});
