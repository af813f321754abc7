/**
 * Locations and failure modes: the filesystem location, download and delete through the
 * server's request objects, and bad input that must end in FailedValidation / Failed
 * with a message naming the problem — never Completed.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { Kinds, resourceRef, type Backup } from '../../../src/api/index.ts';
import { failInterruptedBackups, INTERRUPTED_REASON } from '../../../src/controllers/backup-controller.ts';
import { LocationResolver } from '../../../src/controllers/locations.ts';
import { collect } from '../../../src/storage/index.ts';
import { systemClock } from '../../../src/util/clock.ts';
import { silentLogger } from '../../../src/util/log.ts';
import { archiveEntries, itemPaths } from '../../helpers/archive-entries.ts';
import { adminCluster, core, createNamespace, waitFor } from '../../helpers/cluster.ts';
import { uniqueName } from '../../helpers/names.ts';
import {
  backupAndWait,
  createLocation,
  defaultStore,
  s3LocationSpec,
  startTestServer,
  type TestServer,
} from '../../helpers/skiff-server.ts';

const cluster = adminCluster();
const ns = uniqueName('data');
let server: TestServer;

async function download(kind: string, name: string): Promise<Buffer> {
  const reqName = uniqueName(`${name}-dl`);
  await cluster.create(resourceRef(Kinds.DownloadRequest), {
    apiVersion: 'velero.io/v1',
    kind: 'DownloadRequest',
    metadata: { name: reqName, namespace: server.namespace },
    spec: { target: { kind, name } },
  });
  const url = await waitFor('the download URL', async () => {
    const r = await cluster.get(resourceRef(Kinds.DownloadRequest), reqName, server.namespace);
    return (r.status as { downloadURL?: string } | undefined)?.downloadURL;
  });
  if (url.startsWith('file://')) return readFileSync(fileURLToPath(url));
  const res = await fetch(url);
  assert.equal(res.status, 200);
  return Buffer.from(await res.arrayBuffer());
}

describe('backup locations, download and delete', { concurrency: false }, () => {
  before(async () => {
    server = await startTestServer(cluster);
    await createNamespace(cluster, ns);
    await cluster.create(core('configmaps'), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings', namespace: ns },
      data: { a: '1' },
    });
  });
  after(async () => {
    await cluster.delete(core('namespaces'), ns);
    await server.stop();
  });

  test('a backup to the filesystem location completes and its tarball can be downloaded', async () => {
    const name = uniqueName('fs');
    const backup = await backupAndWait(cluster, server.namespace, name, {
      includedNamespaces: [ns],
      storageLocation: 'local',
    });
    assert.equal(backup.status?.phase, 'Completed');
    assert.equal(backup.metadata.labels?.['velero.io/storage-location'], 'local');
    const tarball = await download('BackupContents', name);
    const items = itemPaths(await archiveEntries(Readable.from(tarball)));
    assert.ok(items.includes(`resources/configmaps/namespaces/${ns}/settings.json`));
  });

  test('a backup to MinIO can be downloaded, its log read, and deleting it leaves nothing under its prefix', async () => {
    const name = uniqueName('s3');
    const backup = await backupAndWait(cluster, server.namespace, name, { includedNamespaces: [ns] });
    assert.equal(backup.status?.phase, 'Completed');
    assert.ok((backup.status?.progress?.itemsBackedUp ?? 0) >= 2);
    assert.equal(backup.status?.progress?.itemsBackedUp, backup.status?.progress?.totalItems);
    assert.ok(backup.status?.expiration, 'expiration is set from the ttl');
    const store = await defaultStore(server);
    const keys = await collect(store.objectStore.listObjects(`${server.prefix}/backups/${name}/`));
    for (const f of [
      'velero-backup.json',
      `${name}.tar.gz`,
      `${name}-logs.gz`,
      `${name}-results.gz`,
      `${name}-resource-list.json.gz`,
    ]) {
      assert.ok(keys.includes(`${server.prefix}/backups/${name}/${f}`), `missing ${f}: ${keys.join(', ')}`);
    }
    const tarball = await download('BackupContents', name);
    assert.ok(
      itemPaths(await archiveEntries(Readable.from(tarball))).includes(
        `resources/configmaps/namespaces/${ns}/settings.json`,
      ),
    );
    const { gunzipSync } = await import('node:zlib');
    assert.match(gunzipSync(await download('BackupLog', name)).toString(), /backup started/);

    await cluster.create(resourceRef(Kinds.DeleteBackupRequest), {
      apiVersion: 'velero.io/v1',
      kind: 'DeleteBackupRequest',
      metadata: { generateName: `${name}-`, namespace: server.namespace, labels: { 'velero.io/backup-name': name } },
      spec: { backupName: name },
    });
    await waitFor(
      'the Backup object to be deleted',
      async () => (await cluster.find(resourceRef(Kinds.Backup), name, server.namespace)) === undefined,
    );
    assert.deepEqual(await collect(store.objectStore.listObjects(`${server.prefix}/backups/${name}/`)), []);
  });

  test('an unknown storage location is a validation failure naming it', async () => {
    const b = await backupAndWait(cluster, server.namespace, uniqueName('bad'), {
      includedNamespaces: [ns],
      storageLocation: 'nowhere',
    });
    assert.equal(b.status?.phase, 'FailedValidation');
    assert.match(b.status?.validationErrors?.join('\n') ?? '', /backup storage location "nowhere" not found/);
  });

  test('a read-only location refuses new backups', async () => {
    await createLocation(cluster, server.namespace, 'archive', {
      ...s3LocationSpec(server.prefix),
      accessMode: 'ReadOnly',
    });
    const b = await backupAndWait(cluster, server.namespace, uniqueName('ro'), { storageLocation: 'archive' });
    assert.equal(b.status?.phase, 'FailedValidation');
    assert.match(b.status?.validationErrors?.join('\n') ?? '', /"archive" is ReadOnly/);
  });

  test('an unknown resource name is a validation failure naming it', async () => {
    const b = await backupAndWait(cluster, server.namespace, uniqueName('bad'), {
      includedNamespaces: [ns],
      includedResources: ['configmaps', 'gizmos'],
    });
    assert.equal(b.status?.phase, 'FailedValidation');
    assert.match(b.status?.validationErrors?.join('\n') ?? '', /"gizmos"/);
  });

  test('a malformed label selector is a validation failure', async () => {
    const b = await backupAndWait(cluster, server.namespace, uniqueName('bad'), {
      includedNamespaces: [ns],
      labelSelector: { matchExpressions: [{ key: 'app', operator: 'Between', values: ['a'] }] },
    });
    assert.equal(b.status?.phase, 'FailedValidation');
    assert.match(b.status?.validationErrors?.join('\n') ?? '', /Between/);
  });

  test('a missing bucket is a validation failure naming the bucket', async () => {
    await createLocation(
      cluster,
      server.namespace,
      'nobucket',
      s3LocationSpec(server.prefix, { bucket: 'no-such-bucket-skiff' }),
    );
    const b = await backupAndWait(cluster, server.namespace, uniqueName('bad'), {
      includedNamespaces: [ns],
      storageLocation: 'nobucket',
    });
    assert.equal(b.status?.phase, 'FailedValidation');
    assert.match(b.status?.validationErrors?.join('\n') ?? '', /no-such-bucket-skiff/);
  });

  test('wrong credentials are a validation failure that says access was denied', async () => {
    await cluster.create(core('secrets'), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'wrong-credentials', namespace: server.namespace },
      stringData: { cloud: '[default]\naws_access_key_id=nobody\naws_secret_access_key=wrong-secret-123\n' },
    });
    await createLocation(
      cluster,
      server.namespace,
      'wrongcreds',
      s3LocationSpec(server.prefix, { credentialName: 'wrong-credentials' }),
    );
    const b = await backupAndWait(cluster, server.namespace, uniqueName('bad'), {
      includedNamespaces: [ns],
      storageLocation: 'wrongcreds',
    });
    assert.equal(b.status?.phase, 'FailedValidation');
    assert.match(b.status?.validationErrors?.join('\n') ?? '', /denied|credentials|InvalidAccessKeyId/i);
  });

  test('a location whose bucket is unusable is reported Unavailable by the location controller', async () => {
    // Its own location: the one the missing-bucket backup test creates may not exist yet.
    await createLocation(
      cluster,
      server.namespace,
      'nobucket-validated',
      s3LocationSpec(server.prefix, { bucket: 'no-such-bucket-skiff' }),
    );
    const bsl = await waitFor('nobucket-validated to be validated', async () => {
      const l = await cluster.get(resourceRef(Kinds.BackupStorageLocation), 'nobucket-validated', server.namespace);
      return (l.status as { phase?: string } | undefined)?.phase === 'Unavailable' ? l : undefined;
    });
    assert.match((bsl.status as { message: string }).message, /no-such-bucket-skiff/);
  });

  test('a location with an unknown provider is Unavailable with a message naming it; the server goes on', async () => {
    await createLocation(cluster, server.namespace, 'oddprovider', {
      provider: 'no-such-cloud',
      objectStorage: { bucket: 'anything' },
    });
    const bsl = await waitFor('oddprovider to be validated', async () => {
      const l = await cluster.get(resourceRef(Kinds.BackupStorageLocation), 'oddprovider', server.namespace);
      return (l.status as { phase?: string } | undefined)?.phase === 'Unavailable' ? l : undefined;
    });
    assert.match((bsl.status as { message: string }).message, /provider "no-such-cloud" is not supported/);
    const b = await backupAndWait(cluster, server.namespace, uniqueName('after-odd'), { includedNamespaces: [ns] });
    assert.equal(b.status?.phase, 'Completed');
  });

  test('a backup left InProgress by a stopped server is marked Failed on start, never left hanging', async () => {
    const name = uniqueName('stuck');
    const ref = resourceRef(Kinds.Backup);
    // A location that does not exist keeps the live server from picking the backup up first.
    await cluster.create(ref, {
      apiVersion: 'velero.io/v1',
      kind: 'Backup',
      metadata: { name, namespace: server.namespace },
      spec: { storageLocation: 'nowhere' },
      status: { phase: 'InProgress' },
    });
    await cluster.patch(ref, { name, namespace: server.namespace }, 'merge', { status: { phase: 'InProgress' } });
    await failInterruptedBackups({
      cluster,
      namespace: server.namespace,
      log: silentLogger(),
      clock: systemClock,
      locations: new LocationResolver(cluster, server.namespace, undefined),
    });
    const b = (await cluster.get(ref, name, server.namespace)) as Backup;
    assert.equal(b.status?.phase, 'Failed');
    assert.equal(b.status?.failureReason, INTERRUPTED_REASON);
  });
});
