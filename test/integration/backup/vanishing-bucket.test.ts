/**
 * A bucket that disappears while a backup runs (after the location was validated): the run
 * must end Failed with a reason naming the problem, never Completed, and leave nothing behind.
 */
import { CreateBucketCommand, DeleteBucketCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Backup } from '../../../src/api/index.ts';
import { planBackupForCluster } from '../../../src/backup/plan-for-cluster.ts';
import { runBackup } from '../../../src/backup/run-backup.ts';
import { backupStoreForLocation, validateLocation } from '../../../src/storage/location.ts';
import { kubeTime, systemClock } from '../../../src/util/clock.ts';
import { adminCluster, core, createNamespace, deleteNamespaceAndWait } from '../../helpers/cluster.ts';
import { uniqueName } from '../../helpers/names.ts';
import { loadTestEnv } from '../../helpers/testenv.ts';

const env = loadTestEnv();
const cluster = adminCluster();
const ns = uniqueName('vanish');
const s3 = new S3Client({
  endpoint: env.s3.endpoint,
  region: env.s3.region,
  forcePathStyle: true,
  credentials: { accessKeyId: env.s3.accessKeyId, secretAccessKey: env.s3.secretAccessKey },
});

describe('backup when the bucket disappears mid-run', () => {
  before(async () => {
    await createNamespace(cluster, ns);
    for (let i = 0; i < 50; i++) {
      await cluster.create(core('configmaps'), {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `cm-${i}`, namespace: ns },
        data: { n: String(i) },
      });
    }
  });
  after(async () => {
    await deleteNamespaceAndWait(cluster, ns);
    s3.destroy();
  });

  test('ends Failed naming the missing bucket, and is never reported Completed', async (t) => {
    const bucket = uniqueName('skiff-vanish');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const store = await backupStoreForLocation(
      {
        metadata: { name: 'vanishing', namespace: 'velero' },
        spec: {
          provider: 'aws',
          objectStorage: { bucket, prefix: 'p' },
          config: { region: env.s3.region, s3Url: env.s3.endpoint, s3ForcePathStyle: 'true' },
          credential: { name: 'x', key: 'cloud' },
        },
      },
      {
        readSecretKey: () =>
          Promise.resolve(
            `[default]\naws_access_key_id=${env.s3.accessKeyId}\naws_secret_access_key=${env.s3.secretAccessKey}\n`,
          ),
      },
    );
    await validateLocation(store);
    const spec = { includedNamespaces: [ns] };
    const plan = await planBackupForCluster(cluster, spec);
    // Validated, planned, and then the bucket is gone: as when someone deletes it under a running server.
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
    const name = uniqueName('vanished');
    const backup: Backup = {
      apiVersion: 'velero.io/v1',
      kind: 'Backup',
      metadata: { name, namespace: 'velero' },
      spec,
      status: { phase: 'InProgress', startTimestamp: kubeTime(new Date()) },
    };

    const outcome = await runBackup({ cluster, store, clock: systemClock }, backup, plan);

    t.diagnostic(`failureReason: ${outcome.failureReason ?? ''}`);
    assert.equal(outcome.phase, 'Failed');
    assert.match(outcome.failureReason ?? '', new RegExp(bucket));
    await assert.rejects(s3.send(new HeadBucketCommand({ Bucket: bucket })), 'nothing recreated the bucket');
  });
});
