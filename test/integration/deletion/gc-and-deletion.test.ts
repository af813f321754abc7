/**
 * Garbage collection and deletion through a real Skiff server, the real API server and
 * MinIO (reference §5.2, §5.3): a velero-CLI-shaped backup's zero TTL, expired backups
 * leaving the bucket and the cluster, a running restore holding GC back, a ReadOnly
 * location, and DeleteBackupRequest housekeeping and refusals.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  Kinds,
  resourceRef,
  type Backup,
  type BackupStorageLocation,
  type DeleteBackupRequest,
} from '../../../src/api/index.ts';
import { deleteBackupRequestFor } from '../../../src/deletion/delete-request.ts';
import { backupStoreForLocation, type BackupStore } from '../../../src/storage/index.ts';
import { kubeTime } from '../../../src/util/clock.ts';
import { adminCluster, core, createNamespace, waitFor } from '../../helpers/cluster.ts';
import { uniqueName } from '../../helpers/names.ts';
import { createRestore, getRestore, waitForRestoreDone } from '../../helpers/restore-server.ts';
import {
  backupAndWait,
  createLocation,
  defaultStore,
  s3LocationSpec,
  startTestServer,
  type TestServer,
} from '../../helpers/skiff-server.ts';
import { loadTestEnv } from '../../helpers/testenv.ts';

const cluster = adminCluster();
const BACKUPS = resourceRef(Kinds.Backup);
const REQUESTS = resourceRef(Kinds.DeleteBackupRequest);
const HOUR = 3_600_000;
/** GC looks every 2 s in these tests; the server default is 1h. */
const FAST_GC = { garbageCollectionFrequency: '2s' };

function storeFor(server: TestServer, prefix: string): Promise<BackupStore> {
  const env = loadTestEnv();
  return backupStoreForLocation(
    { metadata: { namespace: server.namespace }, spec: s3LocationSpec(prefix) as never },
    {
      readSecretKey: () =>
        Promise.resolve(
          `[default]\naws_access_key_id=${env.s3.accessKeyId}\naws_secret_access_key=${env.s3.secretAccessKey}\n`,
        ),
    },
  );
}

async function findBackup(server: TestServer, name: string): Promise<Backup | undefined> {
  return (await cluster.find(BACKUPS, name, server.namespace)) as Backup | undefined;
}

/** Moves a finished backup's expiration into the past, as if its TTL had run out. */
async function expire(server: TestServer, name: string): Promise<void> {
  await cluster.patch(BACKUPS, { name, namespace: server.namespace }, 'merge', {
    status: { expiration: kubeTime(new Date(Date.now() - HOUR)) },
  });
}

async function requestsFor(server: TestServer, backupName: string): Promise<DeleteBackupRequest[]> {
  const list = await cluster.client.request<{ items: DeleteBackupRequest[] }>({
    method: 'GET',
    path: `/apis/velero.io/v1/namespaces/${server.namespace}/deletebackuprequests`,
  });
  return list.items.filter((r) => r.spec.backupName === backupName);
}

async function requestDeletion(server: TestServer, backupName: string): Promise<void> {
  const backup = await findBackup(server, backupName);
  assert.ok(backup, `backup ${backupName} exists`);
  await cluster.create(REQUESTS, deleteBackupRequestFor(backup));
}

/** A second S3 location with its own prefix, Available before it is returned. */
async function createS3Location(server: TestServer, name: string): Promise<string> {
  const prefix = uniqueName('gc-loc');
  await createLocation(cluster, server.namespace, name, s3LocationSpec(prefix));
  await waitFor(`location ${name} to be Available`, async () => {
    const bsl = (await cluster.get(
      resourceRef(Kinds.BackupStorageLocation),
      name,
      server.namespace,
    )) as BackupStorageLocation;
    return bsl.status?.phase === 'Available';
  });
  return prefix;
}

async function setReadOnly(server: TestServer, location: string): Promise<void> {
  await cluster.patch(
    resourceRef(Kinds.BackupStorageLocation),
    { name: location, namespace: server.namespace },
    'merge',
    {
      spec: { accessMode: 'ReadOnly' },
    },
  );
}

describe('garbage collection and deletion', { concurrency: false }, () => {
  let server: TestServer;
  let store: BackupStore;
  const appNs = uniqueName('gc-app');

  before(async () => {
    server = await startTestServer(cluster, FAST_GC);
    store = await defaultStore(server);
    await createNamespace(cluster, appNs);
    await cluster.create(core('configmaps'), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings', namespace: appNs },
      data: { greeting: 'hello' },
    });
  });
  after(async () => {
    await server.stop();
    await cluster.delete(core('namespaces'), appNs);
  });

  test('a backup shaped as the velero CLI makes it (ttl: 0s) expires after the server default, 720h', async () => {
    // `velero backup create NAME --include-namespaces NS` without --ttl (reference §1.1, §8.3):
    // zero durations are written as 0s, empty hooks and template metadata as {}.
    await cluster.create(BACKUPS, {
      apiVersion: 'velero.io/v1',
      kind: 'Backup',
      metadata: { name: 'velero-shaped', namespace: server.namespace },
      spec: {
        csiSnapshotTimeout: '0s',
        hooks: {},
        includedNamespaces: [appNs],
        itemOperationTimeout: '0s',
        metadata: {},
        ttl: '0s',
      },
      status: {},
    });
    const backup = await waitFor('backup velero-shaped to finish', async () => {
      const b = await findBackup(server, 'velero-shaped');
      return b?.status?.phase === 'Completed' ? b : undefined;
    });
    const start = Date.parse(backup.status?.startTimestamp ?? '');
    const expiration = Date.parse(backup.status?.expiration ?? '');
    assert.equal(expiration - start, 720 * HOUR);
    assert.equal(backup.spec.ttl, '720h', 'the spec records the TTL that applied, as Velero does');
    // GC ran many times meanwhile: a backup that has not expired stays, in the cluster and the bucket.
    assert.ok(await store.backupExists('velero-shaped'));
  });

  test('an expired backup disappears from the bucket and the cluster, with its requests', async () => {
    // A real 1s TTL could expire the backup before this test has seen it Completed: the TTL
    // runs out by moving the expiration the server computed into the past instead.
    await backupAndWait(cluster, server.namespace, 'short-lived', { includedNamespaces: [appNs], ttl: '1h' });
    assert.ok(await store.backupExists('short-lived'));
    await expire(server, 'short-lived');
    await waitFor(
      'the expired backup to be gone from the cluster',
      async () => (await findBackup(server, 'short-lived')) === undefined,
    );
    assert.equal(await store.backupExists('short-lived'), false);
    assert.ok(!(await store.listBackups()).includes('short-lived'), 'no file is left under backups/short-lived/');
    // The requests go after the Backup: the server removes them once it has recorded the outcome.
    await waitFor(
      'a fully successful deletion to remove its requests',
      async () => (await requestsFor(server, 'short-lived')).length === 0,
    );
  });

  test('deleting a backup with native (provider) snapshots says which it left behind, on an Event of the Backup', async () => {
    await backupAndWait(cluster, server.namespace, 'with-native', { includedNamespaces: [appNs] });
    // As a Velero volume snapshotter plugin records them; Skiff takes none itself.
    await store.putBackupFile('with-native', 'volumeSnapshots', [
      {
        spec: { backupName: 'with-native', location: 'aws-east', providerVolumeID: 'vol-0a1' },
        status: { providerSnapshotID: 'snap-0f2', phase: 'Completed' },
      },
    ]);
    await requestDeletion(server, 'with-native');
    await waitFor('the backup to be deleted', async () => (await findBackup(server, 'with-native')) === undefined);
    const events = await cluster.client.request<{
      items: { reason?: string; message?: string; involvedObject?: { name?: string } }[];
    }>({
      method: 'GET',
      path: `/api/v1/namespaces/${server.namespace}/events`,
    });
    const left = events.items.filter(
      (e) => e.reason === 'NativeSnapshotsLeft' && e.involvedObject?.name === 'with-native',
    );
    assert.equal(left.length, 1, JSON.stringify(events.items.map((e) => e.reason)));
    assert.match(left[0]?.message ?? '', /snap-0f2 of volume vol-0a1 in location aws-east/);
  });

  test('an expired backup in a ReadOnly location stays, labelled velero.io/gc-failure=BSLReadOnly', async () => {
    const prefix = await createS3Location(server, 'archive');
    await backupAndWait(cluster, server.namespace, 'archived', {
      includedNamespaces: [appNs],
      storageLocation: 'archive',
    });
    await setReadOnly(server, 'archive');
    await expire(server, 'archived');
    const labelled = await waitFor('the gc-failure label', async () => {
      const b = await findBackup(server, 'archived');
      return b?.metadata.labels?.['velero.io/gc-failure'] === 'BSLReadOnly' ? b : undefined;
    });
    assert.equal(labelled.status?.phase, 'Completed');
    assert.ok(await (await storeFor(server, prefix)).backupExists('archived'), 'the files stay in the bucket');
    assert.deepEqual(await requestsFor(server, 'archived'), [], 'no deletion was even requested');
  });

  test('an expired backup whose location was removed stays, labelled BSLNotFound, and cannot be deleted by request', async () => {
    await createS3Location(server, 'retired');
    await backupAndWait(cluster, server.namespace, 'orphaned', {
      includedNamespaces: [appNs],
      storageLocation: 'retired',
    });
    // Removed with kubectl, which (unlike `skiff backup-location delete`) leaves the Backup objects.
    await cluster.delete(resourceRef(Kinds.BackupStorageLocation), 'retired', server.namespace);
    await expire(server, 'orphaned');
    await waitFor('the BSLNotFound label', async () => {
      const b = await findBackup(server, 'orphaned');
      return b?.metadata.labels?.['velero.io/gc-failure'] === 'BSLNotFound';
    });
    await requestDeletion(server, 'orphaned');
    const [req] = await waitFor('the request to be processed', async () => {
      const reqs = await requestsFor(server, 'orphaned');
      return reqs[0]?.status?.phase === 'Processed' ? reqs : undefined;
    });
    assert.deepEqual(req?.status?.errors, ['backup storage location retired not found']);
    assert.ok(await findBackup(server, 'orphaned'));
  });

  test('a restore that has not started holds GC back; once it has run, backup and restore go with their files', async () => {
    const targetNs = uniqueName('gc-restored');
    // A server that runs no restores: the Restore stays New, as it would while queued.
    await server.restart({ ...FAST_GC, disableControllers: ['restore'] });
    try {
      await backupAndWait(cluster, server.namespace, 'restored-from', { includedNamespaces: [appNs] });
      await backupAndWait(cluster, server.namespace, 'unused', { includedNamespaces: [appNs] });
      await createRestore(cluster, server.namespace, 'held', {
        backupName: 'restored-from',
        includedResources: ['configmaps'],
        namespaceMapping: { [appNs]: targetNs },
      });
      await expire(server, 'restored-from');
      await expire(server, 'unused');
      // Both were looked at in the same passes: once the unused one is gone, GC has seen the other.
      await waitFor(
        'the backup without restores to be collected',
        async () => (await findBackup(server, 'unused')) === undefined,
      );
      assert.ok(await findBackup(server, 'restored-from'), 'the backup of a New restore stays');
      assert.ok(await store.backupExists('restored-from'));
      assert.deepEqual(await requestsFor(server, 'restored-from'), []);

      // The restore runs on a server without GC: with GC running, a restore that finished just before
      // GC's next pass was collected with its backup before this test could see it Completed.
      await server.restart({ ...FAST_GC, disableControllers: ['gc'] });
      const done = await waitForRestoreDone(cluster, server.namespace, 'held');
      assert.equal(done.status?.phase, 'Completed');
      assert.ok((await store.listRestores()).includes('held'), 'the restore wrote its files');
      assert.ok(await findBackup(server, 'restored-from'), 'nothing collected the backup without GC');

      // With GC back, the finished restore no longer holds it: backup and restore go.
      await server.restart(FAST_GC);
      await waitFor(
        'the backup to be collected after its restore',
        async () => (await findBackup(server, 'restored-from')) === undefined,
        90_000,
      );
      await waitFor('the restore to be deleted with the backup', async () => {
        try {
          await getRestore(cluster, server.namespace, 'held');
          return false;
        } catch {
          return true;
        }
      });
      assert.equal(await store.backupExists('restored-from'), false);
      assert.ok(!(await store.listRestores()).includes('held'), 'restores/held/ is gone from the bucket');
    } finally {
      await server.restart(FAST_GC);
      await cluster.delete(core('namespaces'), targetNs);
    }
  });

  test('two requests for one backup end as one, refused with the reason: a ReadOnly location', async () => {
    await createS3Location(server, 'frozen');
    await backupAndWait(cluster, server.namespace, 'twice', { includedNamespaces: [appNs], storageLocation: 'frozen' });
    await setReadOnly(server, 'frozen');
    await requestDeletion(server, 'twice');
    await requestDeletion(server, 'twice');
    const [only] = await waitFor('one processed request to remain', async () => {
      const reqs = await requestsFor(server, 'twice');
      return reqs.length === 1 && reqs[0]?.status?.phase === 'Processed' ? reqs : undefined;
    });
    assert.match(
      only?.status?.errors?.join('\n') ?? '',
      /backup storage location frozen is currently in read-only mode/,
    );
    assert.ok(await findBackup(server, 'twice'), 'the backup stays');
  });

  test('a request for a backup still in progress is refused, naming the phase', async () => {
    // A backup another server is writing: InProgress, created after this server started
    // (at start a server fails the InProgress backups it finds, reference §1.1).
    await cluster.create(BACKUPS, {
      apiVersion: 'velero.io/v1',
      kind: 'Backup',
      metadata: { name: 'running', namespace: server.namespace },
      spec: { includedNamespaces: [appNs], storageLocation: 'default' },
      status: { phase: 'InProgress', startTimestamp: kubeTime(new Date()) },
    });
    await requestDeletion(server, 'running');
    const [req] = await waitFor('the request to be processed', async () => {
      const reqs = await requestsFor(server, 'running');
      return reqs[0]?.status?.phase === 'Processed' ? reqs : undefined;
    });
    assert.deepEqual(req?.status?.errors, [
      'backup running is still in progress (phase InProgress): delete it again once it has finished',
    ]);
    assert.equal((await findBackup(server, 'running'))?.status?.phase, 'InProgress');
  });

  test('a request for a backup that does not exist is refused', async () => {
    await cluster.create(REQUESTS, {
      apiVersion: 'velero.io/v1',
      kind: 'DeleteBackupRequest',
      metadata: { generateName: 'ghost-', namespace: server.namespace },
      spec: { backupName: 'ghost' },
    });
    const [req] = await waitFor('the request to be processed', async () => {
      const reqs = await requestsFor(server, 'ghost');
      return reqs[0]?.status?.phase === 'Processed' ? reqs : undefined;
    });
    assert.deepEqual(req?.status?.errors, ['backup ghost not found']);
  });
});
