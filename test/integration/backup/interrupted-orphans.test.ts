/**
 * A server killed mid-backup leaves that backup's companion files in the bucket; the next start
 * marks the backup Failed and removes them (issue 12). Only the files of that backup, never a
 * completed backup's, and never in a ReadOnly location.
 */
import { CreateMultipartUploadCommand, ListMultipartUploadsCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Kinds, resourceRef, type Backup } from '../../../src/api/index.ts';
import { INTERRUPTED_REASON } from '../../../src/controllers/backup-controller.ts';
import { collect, type BackupStore } from '../../../src/storage/index.ts';
import { adminCluster, createNamespace, waitFor } from '../../helpers/cluster.ts';
import { uniqueName } from '../../helpers/names.ts';
import { testS3Client } from '../../helpers/s3.ts';
import { loadTestEnv } from '../../helpers/testenv.ts';
import {
  backupAndWait,
  createLocation,
  defaultStore,
  s3LocationSpec,
  startTestServer,
  storeAtPrefix,
  type TestServer,
} from '../../helpers/skiff-server.ts';

const cluster = adminCluster();
const BACKUPS = resourceRef(Kinds.Backup);

/** What ADR 0002 uploads beside the tarball, before anything else of the backup is known. */
async function writeCompanions(store: BackupStore, name: string): Promise<void> {
  await store.putBackupFile(name, 'itemOperations', []);
  await store.putBackupFile(name, 'volumeSnapshots', []);
  await store.putBackupFile(name, 'podVolumeBackups', []);
  await store.putBackupFile(name, 'volumeInfo', []);
}

/** A tarball upload cut off after its first part, as a kill between parts leaves it. */
async function startTarballUpload(store: BackupStore, name: string): Promise<void> {
  const s3 = testS3Client();
  const Bucket = loadTestEnv().s3.bucket;
  const Key = store.layout.backupKey(name, 'contents');
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key }));
  await s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 1, Body: Buffer.alloc(5 * 1024 * 1024) }));
  s3.destroy();
}

async function unfinishedUploads(store: BackupStore, name: string): Promise<string[]> {
  const s3 = testS3Client();
  // By the whole key: MinIO lists the uploads of one key only.
  const page = await s3.send(
    new ListMultipartUploadsCommand({
      Bucket: loadTestEnv().s3.bucket,
      Prefix: store.layout.backupKey(name, 'contents'),
    }),
  );
  s3.destroy();
  return (page.Uploads ?? []).map((u) => u.Key ?? '');
}

async function files(store: BackupStore, name: string): Promise<string[]> {
  return collect(store.objectStore.listObjects(store.layout.backupDir(name)));
}

describe('orphaned files of a backup interrupted by a restart', () => {
  let server: TestServer;
  let store: BackupStore;
  const ns = uniqueName('orphans');

  before(async () => {
    server = await startTestServer(cluster);
    store = await defaultStore(server);
    await createNamespace(cluster, ns);
  });
  after(() => server.stop());

  async function inProgressBackup(location: string): Promise<string> {
    const name = uniqueName('killed');
    await cluster.create(BACKUPS, {
      apiVersion: 'velero.io/v1',
      kind: 'Backup',
      metadata: { name, namespace: server.namespace },
      spec: { storageLocation: location, includedNamespaces: [ns] },
      status: { phase: 'InProgress', startTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z') },
    });
    return name;
  }

  test('are removed when the next start marks it Failed; other backups keep theirs', async () => {
    const completed = await backupAndWait(cluster, server.namespace, uniqueName('done'), { includedNamespaces: [ns] });
    assert.equal(completed.status?.phase, 'Completed');
    const completedName = completed.metadata.name ?? '';
    const completedFiles = await files(store, completedName);
    assert.ok(completedFiles.length >= 5, `the completed backup has its files: ${completedFiles.join(', ')}`);

    const killed = await inProgressBackup('default');
    await writeCompanions(store, killed);
    await startTarballUpload(store, killed);
    assert.equal((await unfinishedUploads(store, killed)).length, 1);
    // An interrupted backup whose upload had finished (velero-backup.json is there) is a complete backup.
    const uploaded = await inProgressBackup('default');
    await writeCompanions(store, uploaded);
    await store.putBackupMetadata(uploaded, {
      apiVersion: 'velero.io/v1',
      kind: 'Backup',
      metadata: { name: uploaded },
    });
    // A ReadOnly location is never written to.
    const roPrefix = uniqueName('ro');
    await createLocation(cluster, server.namespace, 'readonly', {
      ...s3LocationSpec(roPrefix),
      accessMode: 'ReadOnly',
    });
    const roStore = await storeAtPrefix(server, roPrefix);
    const readOnly = await inProgressBackup('readonly');
    await writeCompanions(roStore, readOnly);
    assert.equal((await files(store, killed)).length, 4);

    await server.restart();
    for (const name of [killed, uploaded, readOnly]) {
      const b = await waitFor(`backup ${name} to be marked Failed`, async () => {
        const got = (await cluster.get(BACKUPS, name, server.namespace)) as Backup;
        return got.status?.phase === 'Failed' ? got : undefined;
      });
      assert.equal(b.status?.failureReason, INTERRUPTED_REASON);
    }

    assert.deepEqual(await files(store, killed), [], 'the interrupted backup left nothing behind');
    assert.deepEqual(await unfinishedUploads(store, killed), [], 'its unfinished tarball upload is abandoned');
    assert.deepEqual(await files(store, completedName), completedFiles, 'the completed backup is untouched');
    assert.equal((await files(store, uploaded)).length, 5, 'a finished upload is kept');
    assert.equal((await files(roStore, readOnly)).length, 4, 'nothing is removed from a ReadOnly location');
  });
});
