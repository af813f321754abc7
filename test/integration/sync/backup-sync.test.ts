/**
 * Backup sync (reference §5.4) through real `skiff server` processes, the real API server and
 * MinIO: disaster recovery (every Backup object lost, the server restarted, every backup back
 * and restorable, the Velero-written one included), a backup written by real Velero 1.18
 * adopted and restored, a corrupt velero-backup.json skipped, and backups deleted from the
 * bucket leaving the cluster except in a ReadOnly location.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { installCrds, Kinds, resourceRef, type Backup, type BackupStorageLocation } from '../../../src/api/index.ts';
import type { KubeObject, ResourceRef } from '../../../src/kube/index.ts';
import { backupStoreForLocation, type BackupStore } from '../../../src/storage/index.ts';
import { adminCluster, apps, core, createNamespace, deleteNamespaceAndWait, waitFor } from '../../helpers/cluster.ts';
import { uniqueName } from '../../helpers/names.ts';
import { restorableView, restoreAndWait } from '../../helpers/restore-server.ts';
import { backupAndWait, createLocation, s3LocationSpec } from '../../helpers/skiff-server.ts';
import { loadTestEnv } from '../../helpers/testenv.ts';
import { startSkiffServer } from '../cli/run-skiff.ts';

const cluster = adminCluster();
const BACKUPS = resourceRef(Kinds.Backup);
const LOCATIONS = resourceRef(Kinds.BackupStorageLocation);
type ServerProcess = ReturnType<typeof startSkiffServer>;

/** The bucket written by real Velero 1.18.3 (test/fixtures/velero-1.18/make-fixture.sh). */
const FIXTURE = join(import.meta.dirname, '..', '..', 'fixtures', 'velero-1.18');
const FIXTURE_BUCKET = join(FIXTURE, 'bucket');
const fixtureInfo = JSON.parse(readFileSync(join(FIXTURE, 'fixture.json'), 'utf8')) as {
  backup: string;
  namespace: string;
};

function credentials(): string {
  const env = loadTestEnv();
  return `[default]\naws_access_key_id=${env.s3.accessKeyId}\naws_secret_access_key=${env.s3.secretAccessKey}\n`;
}

/** A server namespace with the `cloud-credentials` secret the test locations use. */
async function serverNamespace(prefix: string): Promise<string> {
  // The locations are created before a server has installed the CRDs.
  await installCrds(cluster);
  const ns = uniqueName(prefix);
  await cluster.create(core('namespaces'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await cluster.create(core('secrets'), {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'cloud-credentials', namespace: ns },
    stringData: { cloud: credentials() },
  });
  return ns;
}

function startServer(ns: string, extra: string[] = []): ServerProcess {
  return startSkiffServer(['-n', ns, '--metrics-address', '', '--store-validation-frequency', '5s', ...extra]);
}

/** Waits for `check`; on a timeout the error carries the server's output. */
async function waitWithLogs<T>(
  server: ServerProcess,
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 90_000,
): Promise<T> {
  return waitFor(what, check, timeoutMs).catch((err: unknown) => {
    throw new Error(`${String(err)}\nserver output:\n${server.logs()}`);
  });
}

function storeFor(ns: string, prefix: string): Promise<BackupStore> {
  return backupStoreForLocation(
    { metadata: { namespace: ns }, spec: s3LocationSpec(prefix) as never },
    { readSecretKey: () => Promise.resolve(credentials()) },
  );
}

/**
 * Copies the Velero-written fixture bucket under `prefix` in the test bucket, as Velero laid it out,
 * with the backup's expiration moved a month past today. As written it expires 30 days after it was
 * made (2027-01-04): from then on, the GC of the server that synced it would delete it at once, files
 * and all, and these tests would fail for a reason that has nothing to do with sync.
 */
async function uploadFixture(store: BackupStore, prefix: string): Promise<void> {
  const files = readdirSync(FIXTURE_BUCKET, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  assert.ok(files.length > 0, `no fixture files under ${FIXTURE_BUCKET}`);
  for (const f of files) {
    const key = `${prefix}/${relative(FIXTURE_BUCKET, join(f.parentPath, f.name))}`;
    const bytes = readFileSync(join(f.parentPath, f.name));
    await store.objectStore.putObject(key, f.name === 'velero-backup.json' ? unexpired(bytes) : bytes);
  }
}

function unexpired(backupJson: Buffer): Buffer {
  const backup = JSON.parse(backupJson.toString('utf8')) as { status?: { expiration?: string } };
  const expiration = new Date(Date.now() + 30 * 24 * 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z');
  return Buffer.from(JSON.stringify({ ...backup, status: { ...backup.status, expiration } }, null, 2));
}

function findBackup(ns: string, name: string): Promise<Backup | undefined> {
  return cluster.find(BACKUPS, name, ns) as Promise<Backup | undefined>;
}

async function waitLocationAvailable(server: ServerProcess, ns: string, name: string): Promise<void> {
  await waitWithLogs(server, `location ${name} to be Available`, async () => {
    const bsl = (await cluster.get(LOCATIONS, name, ns)) as BackupStorageLocation;
    return bsl.status?.phase === 'Available';
  });
}

/** Resolves once the location has been synced at a later second than `after` (lastSyncedTime has second precision). */
async function waitSyncedAfter(server: ServerProcess, ns: string, location: string, after: Date): Promise<void> {
  await waitWithLogs(server, `a sync of location ${location} after ${after.toISOString()}`, async () => {
    const bsl = (await cluster.get(LOCATIONS, location, ns)) as BackupStorageLocation;
    const last = bsl.status?.lastSyncedTime;
    return last !== undefined && last !== null && Date.parse(last) >= after.getTime() + 1000;
  });
}

async function createAppNamespace(ns: string): Promise<void> {
  await createNamespace(cluster, ns);
  await cluster.create(core('configmaps'), {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'app-config', namespace: ns, labels: { app: 'web' } },
    data: { greeting: 'hello', size: 'small' },
  });
  await cluster.create(core('secrets'), {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'app-secret', namespace: ns, labels: { app: 'web' } },
    stringData: { password: 's3cret' },
  });
  await cluster.create(apps('deployments'), {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: ns, labels: { app: 'web' } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ containerPort: 80 }] }] },
      },
    },
  });
}

const APP_OBJECTS: [ResourceRef, string][] = [
  [core('configmaps'), 'app-config'],
  [core('secrets'), 'app-secret'],
  [apps('deployments'), 'web'],
];

async function appObjects(ns: string): Promise<KubeObject[]> {
  const out: KubeObject[] = [];
  for (const [ref, name] of APP_OBJECTS) out.push(restorableView(await cluster.get(ref, name, ns)));
  return out;
}

/** The parts of a Backup that sync must bring back as they were. */
function syncedView(b: Backup): unknown {
  const s = b.status ?? {};
  return {
    labels: b.metadata.labels,
    spec: b.spec,
    status: {
      phase: s.phase,
      startTimestamp: s.startTimestamp,
      expiration: s.expiration,
      progress: s.progress,
      errors: s.errors,
      warnings: s.warnings,
      formatVersion: s.formatVersion,
    },
  };
}

describe('disaster recovery: every Backup object lost, the server restarted', { concurrency: false }, () => {
  const app = uniqueName('dr-app');
  const prefix = uniqueName('dr');
  let ns = '';
  let server: ServerProcess | undefined;

  before(async () => {
    ns = await serverNamespace('skiff-dr');
    await createAppNamespace(app);
    await uploadFixture(await storeFor(ns, prefix), prefix);
    await createLocation(cluster, ns, 'default', s3LocationSpec(prefix));
  });
  after(async () => {
    await server?.stop();
    await cluster.delete(core('namespaces'), app);
    await cluster.delete(core('namespaces'), ns);
  });

  test('the sync brings every backup back with its labels and status, and a restore from it succeeds', async () => {
    server = startServer(ns);
    await waitLocationAvailable(server, ns, 'default');
    const one = await backupAndWait(cluster, ns, 'dr-one', { includedNamespaces: [app] });
    const two = await backupAndWait(cluster, ns, 'dr-two', {
      includedNamespaces: [app],
      labelSelector: { matchLabels: { app: 'web' } },
    });
    assert.equal(one.status?.phase, 'Completed', JSON.stringify(one.status));
    assert.equal(two.status?.phase, 'Completed', JSON.stringify(two.status));
    // The first server synced the Velero-written backup in the bucket too.
    const velero = await waitWithLogs(server, `backup ${fixtureInfo.backup} synced`, () =>
      findBackup(ns, fixtureInfo.backup),
    );
    const before = [one, two, velero];
    const objectsBefore = await appObjects(app);

    await server.stop();
    for (const b of before) await cluster.delete(BACKUPS, b.metadata.name ?? '', ns);
    for (const b of before) {
      await waitFor(
        `backup ${b.metadata.name ?? ''} deleted`,
        async () => !(await findBackup(ns, b.metadata.name ?? '')),
      );
    }

    // A new server on the same namespace and location, with the default sync period of 1m:
    // what brings the backups back is the sync at start.
    server = startServer(ns);
    const after = await waitWithLogs(server, 'every backup back', async () => {
      const found = await Promise.all(before.map((b) => findBackup(ns, b.metadata.name ?? '')));
      return found.every((b) => b !== undefined) ? found : undefined;
    });
    for (const [i, b] of after.entries()) {
      const was = before[i];
      assert.ok(was);
      assert.deepEqual(syncedView(b), syncedView(was), `backup ${b.metadata.name ?? ''}`);
      assert.equal(b.metadata.labels?.['velero.io/storage-location'], 'default');
      assert.equal(b.spec.storageLocation, 'default');
    }

    await deleteNamespaceAndWait(cluster, app);
    const restore = await restoreAndWait(cluster, ns, 'dr-restore', { backupName: 'dr-one' });
    assert.equal(restore.status?.phase, 'Completed', JSON.stringify(restore.status));
    assert.deepEqual(await appObjects(app), objectsBefore);
  });
});

describe('backup sync against a running server', { concurrency: false }, () => {
  let ns = '';
  let server: ServerProcess | undefined;
  const app = uniqueName('sync-app');

  before(async () => {
    ns = await serverNamespace('skiff-sync');
    await createNamespace(cluster, app);
    await cluster.create(core('configmaps'), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: app },
      data: { k: 'v' },
    });
    server = startServer(ns);
  });
  after(async () => {
    await server?.stop();
    await cluster.delete(core('namespaces'), app);
    await cluster.delete(core('namespaces'), ns);
  });

  test('a backup written by real Velero 1.18 is synced and restores', async () => {
    assert.ok(server);
    const prefix = uniqueName('velero');
    await uploadFixture(await storeFor(ns, prefix), prefix);
    await createLocation(cluster, ns, 'velero-bucket', s3LocationSpec(prefix));
    const backup = await waitWithLogs(server, `backup ${fixtureInfo.backup} synced`, () =>
      findBackup(ns, fixtureInfo.backup),
    );
    assert.equal(backup.status?.phase, 'Completed');
    assert.equal(backup.spec.storageLocation, 'velero-bucket');
    assert.equal(backup.metadata.labels?.['velero.io/storage-location'], 'velero-bucket');
    assert.deepEqual(backup.spec.includedNamespaces, [fixtureInfo.namespace]);

    const target = uniqueName('from-velero');
    const restore = await restoreAndWait(cluster, ns, uniqueName('velero-restore'), {
      backupName: fixtureInfo.backup,
      namespaceMapping: { [fixtureInfo.namespace]: target },
    });
    assert.equal(restore.status?.phase, 'Completed', JSON.stringify(restore.status));
    try {
      const cm = await cluster.get(core('configmaps'), 'app-config', target);
      assert.deepEqual(cm.data, { greeting: 'hello from velero', size: 'small' });
      const secret = await cluster.get(core('secrets'), 'app-secret', target);
      assert.equal(Buffer.from((secret.data as Record<string, string>).password ?? '', 'base64').toString(), 'v3lero');
      const deploy = await cluster.get(apps('deployments'), 'web', target);
      const spec = deploy.spec as { replicas: number; template: { spec: { containers: { image: string }[] } } };
      assert.equal(spec.replicas, 1);
      assert.equal(spec.template.spec.containers[0]?.image, 'nginx:1.27');
      const svc = await cluster.get(core('services'), 'web', target);
      assert.deepEqual(
        (svc.spec as { ports: { port: number }[] }).ports.map((p) => p.port),
        [80],
      );
    } finally {
      await cluster.delete(core('namespaces'), target);
    }
  });

  test('a corrupt velero-backup.json is skipped with a log line naming it; the others sync; the server runs on', async () => {
    assert.ok(server);
    const prefix = uniqueName('corrupt');
    await createLocation(cluster, ns, 'with-corrupt', { ...s3LocationSpec(prefix), backupSyncPeriod: '1s' });
    await waitLocationAvailable(server, ns, 'with-corrupt');
    const made = await backupAndWait(cluster, ns, 'corrupt-source', {
      includedNamespaces: [app],
      storageLocation: 'with-corrupt',
    });
    assert.equal(made.status?.phase, 'Completed');
    const store = await storeFor(ns, prefix);
    const stored = (await store.getBackupMetadata('corrupt-source')) as Backup;
    // With a pod volume backup as another cluster recorded it: sync recreates its object (§5.4 step 4).
    const pvbName = uniqueName('copied-good');
    await store.putBackupFile('copied-good', 'podVolumeBackups', [
      {
        apiVersion: 'velero.io/v1',
        kind: 'PodVolumeBackup',
        metadata: {
          name: pvbName,
          namespace: 'old-velero',
          uid: 'old-pvb-uid',
          resourceVersion: '42',
          labels: { 'velero.io/backup-name': 'copied-good', 'velero.io/backup-uid': 'old-backup-uid' },
          ownerReferences: [
            {
              apiVersion: 'velero.io/v1',
              kind: 'Backup',
              name: 'copied-good',
              uid: 'old-backup-uid',
              controller: true,
            },
          ],
        },
        spec: {
          node: 'a-node-of-the-old-cluster',
          pod: { kind: 'Pod', namespace: app, name: 'db-0', uid: 'old-pod-uid' },
          volume: 'data',
          backupStorageLocation: 'old-location',
          repoIdentifier: '',
          uploaderType: 'kopia',
          tags: { backup: 'copied-good' },
        },
        status: { phase: 'Completed', snapshotID: 'abc123', progress: { totalBytes: 10, bytesDone: 10 } },
      },
    ]);
    await store.putBackupMetadata('copied-good', { ...stored, metadata: { ...stored.metadata, name: 'copied-good' } });
    await store.objectStore.putObject(
      store.layout.backupKey('corrupt-bad', 'metadata'),
      '{"apiVersion": "velero.io/v1", "kind": "Backup", "metad',
    );

    const good = await waitWithLogs(server, 'backup copied-good synced', () => findBackup(ns, 'copied-good'));
    assert.equal(good.status?.phase, 'Completed');
    assert.equal(good.metadata.labels?.['velero.io/storage-location'], 'with-corrupt');
    const line = await waitWithLogs(server, 'a log line about corrupt-bad', () =>
      Promise.resolve(
        server
          ?.logs()
          .split('\n')
          .find((l) => l.includes('"corrupt-bad"')),
      ),
    );
    assert.match(line, /skipping backup \\"corrupt-bad\\" in location \\"with-corrupt\\"/);
    assert.match(line, /not valid JSON/);
    assert.equal(await findBackup(ns, 'corrupt-bad'), undefined);
    const pvb = await waitWithLogs(server, `PodVolumeBackup ${pvbName} recreated`, async () => {
      const found = await cluster.find(resourceRef(Kinds.PodVolumeBackup), pvbName, ns);
      return (found?.status as { phase?: string } | undefined)?.phase ? found : undefined;
    });
    assert.equal(pvb.metadata.labels?.['velero.io/backup-uid'], good.metadata.uid);
    assert.deepEqual(
      pvb.metadata.ownerReferences?.map((o) => [o.kind, o.name, o.uid]),
      [['Backup', 'copied-good', good.metadata.uid]],
    );
    const spec = pvb.spec as { backupStorageLocation: string; node: string };
    assert.equal(spec.backupStorageLocation, 'with-corrupt');
    assert.deepEqual(pvb.status, {
      phase: 'Completed',
      snapshotID: 'abc123',
      progress: { totalBytes: 10, bytesDone: 10 },
    });
    // Still running and still syncing: a later sync happens and still leaves it out.
    await waitSyncedAfter(server, ns, 'with-corrupt', new Date());
    assert.equal(server.child.exitCode, null);
    assert.equal(await findBackup(ns, 'corrupt-bad'), undefined);
  });

  test('a backup deleted from the bucket leaves the cluster; in a ReadOnly location it stays', async () => {
    assert.ok(server);
    const rwPrefix = uniqueName('rw');
    const roPrefix = uniqueName('ro');
    await createLocation(cluster, ns, 'rw', { ...s3LocationSpec(rwPrefix), backupSyncPeriod: '1s' });
    await waitLocationAvailable(server, ns, 'rw');
    const made = await backupAndWait(cluster, ns, 'rw-doomed', { includedNamespaces: [app], storageLocation: 'rw' });
    assert.equal(made.status?.phase, 'Completed');
    const rwStore = await storeFor(ns, rwPrefix);
    const stored = (await rwStore.getBackupMetadata('rw-doomed')) as Backup;

    // The ReadOnly location gets a copy of the same backup under another name, written as if by another cluster.
    const roStore = await storeFor(ns, roPrefix);
    await roStore.putBackupMetadata('ro-kept', { ...stored, metadata: { ...stored.metadata, name: 'ro-kept' } });
    await createLocation(cluster, ns, 'ro', {
      ...s3LocationSpec(roPrefix),
      accessMode: 'ReadOnly',
      backupSyncPeriod: '1s',
    });
    const kept = await waitWithLogs(server, 'backup ro-kept synced', () => findBackup(ns, 'ro-kept'));
    assert.equal(kept.metadata.labels?.['velero.io/storage-location'], 'ro');

    await rwStore.deleteBackup('rw-doomed');
    await roStore.deleteBackup('ro-kept');
    const deletedAt = new Date();
    await waitWithLogs(
      server,
      'backup rw-doomed to leave the cluster',
      async () => !(await findBackup(ns, 'rw-doomed')),
    );
    await waitSyncedAfter(server, ns, 'ro', deletedAt);
    assert.ok(await findBackup(ns, 'ro-kept'), 'a ReadOnly location never deletes Backup objects');
  });
});
