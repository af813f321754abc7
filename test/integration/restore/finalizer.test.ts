/**
 * The restore finalizer never blocks a deletion forever (issue 12): a Restore with nothing to
 * clean goes at once, even when its location is gone or unusable; files it did write are
 * deleted; a cleanup that keeps failing ends with the Restore deleted anyway and a Warning
 * Event naming the files left behind.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Kinds, resourceRef } from '../../../src/api/index.ts';
import type { KubeObject } from '../../../src/kube/index.ts';
import { collect, type BackupStore } from '../../../src/storage/index.ts';
import { adminCluster, core, waitFor } from '../../helpers/cluster.ts';
import { uniqueName } from '../../helpers/names.ts';
import {
  createLocation,
  s3LocationSpec,
  startTestServer,
  storeAtPrefix,
  type TestServer,
} from '../../helpers/skiff-server.ts';
import { loadTestEnv } from '../../helpers/testenv.ts';

const cluster = adminCluster();
const RESTORES = resourceRef(Kinds.Restore);
const FINALIZER = 'restores.velero.io/external-resources-finalizer';

describe('restore finalizer', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer(cluster);
  });
  after(() => server.stop());

  /** A Backup object that looks Completed, written to `location` (no data needed: nothing reads it). */
  async function completedBackup(location: string): Promise<string> {
    const name = uniqueName('fin-bk');
    await cluster.create(resourceRef(Kinds.Backup), {
      apiVersion: 'velero.io/v1',
      kind: 'Backup',
      metadata: { name, namespace: server.namespace },
      spec: { storageLocation: location, includedNamespaces: ['nothing-here'] },
      status: { phase: 'Completed', version: 1, formatVersion: '1.1.0' },
    });
    return name;
  }

  /** A location whose bucket prefix also holds a directory Velero does not own: not usable for restores. */
  async function junkyLocation(): Promise<{ name: string; store: BackupStore }> {
    const name = uniqueName('junky');
    const prefix = uniqueName('junky-prefix');
    const store = await storeAtPrefix(server, prefix);
    await store.objectStore.putObject(`${store.layout.root()}not-velero/file.txt`, 'foreign');
    await createLocation(cluster, server.namespace, name, s3LocationSpec(prefix));
    return { name, store };
  }

  async function failedValidationRestore(backupName: string): Promise<KubeObject> {
    const name = uniqueName('fin-rs');
    await cluster.create(RESTORES, {
      apiVersion: 'velero.io/v1',
      kind: 'Restore',
      metadata: { name, namespace: server.namespace },
      spec: { backupName },
    });
    return waitFor(`restore ${name} to fail validation`, async () => {
      const r = await cluster.get(RESTORES, name, server.namespace);
      const phase = (r.status as { phase?: string } | undefined)?.phase;
      return phase === 'FailedValidation' && (r.metadata.finalizers ?? []).includes(FINALIZER) ? r : undefined;
    });
  }

  async function deleteAndWaitGone(name: string, timeoutMs = 30_000): Promise<void> {
    await cluster.delete(RESTORES, name, server.namespace);
    await waitFor(
      `restore ${name} to be gone`,
      async () => (await cluster.find(RESTORES, name, server.namespace)) === undefined,
      timeoutMs,
    );
  }

  test('deleting a FailedValidation restore whose location is gone completes', async () => {
    const backup = await completedBackup(uniqueName('gone-location'));
    const restore = await failedValidationRestore(backup);
    const errors = (restore.status as { validationErrors?: string[] }).validationErrors ?? [];
    assert.match(errors.join('\n'), /not found/);
    await deleteAndWaitGone(restore.metadata.name ?? '');
  });

  test('deleting a FailedValidation restore whose location holds foreign directories completes', async () => {
    const { name: location } = await junkyLocation();
    const restore = await failedValidationRestore(await completedBackup(location));
    const errors = (restore.status as { validationErrors?: string[] }).validationErrors ?? [];
    assert.match(errors.join('\n'), /invalid top-level directories/);
    await deleteAndWaitGone(restore.metadata.name ?? '');
  });

  /** A Restore that ran (it has a start time) and so may have written files, with the finalizer on. */
  async function ranRestore(backupName: string): Promise<string> {
    const name = uniqueName('fin-ran');
    await cluster.create(RESTORES, {
      apiVersion: 'velero.io/v1',
      kind: 'Restore',
      metadata: { name, namespace: server.namespace, finalizers: [FINALIZER] },
      spec: { backupName },
      status: {
        phase: 'Completed',
        startTimestamp: '2026-01-01T00:00:00Z',
        completionTimestamp: '2026-01-01T00:01:00Z',
      },
    });
    return name;
  }

  test('a restore that wrote files has them deleted with it, even in a location with foreign directories', async () => {
    const { name: location, store } = await junkyLocation();
    const name = await ranRestore(await completedBackup(location));
    await store.putRestoreLog(name, 'restore log\n');
    await store.putRestoreFile(name, 'results', { errors: {}, warnings: {} });
    assert.equal((await collect(store.objectStore.listObjects(store.layout.restoreDir(name)))).length, 2);
    await deleteAndWaitGone(name);
    assert.deepEqual(await collect(store.objectStore.listObjects(store.layout.restoreDir(name))), []);
  });

  test('a cleanup that keeps failing ends: the restore is deleted and a Warning event names the files left', async () => {
    // The location exists, but its credentials do not: every attempt to open it fails.
    const location = uniqueName('nocreds');
    await createLocation(cluster, server.namespace, location, {
      ...s3LocationSpec(uniqueName('nocreds-prefix')),
      credential: { name: 'no-such-secret', key: 'cloud' },
    });
    const name = await ranRestore(await completedBackup(location));
    // Five attempts with a backoff from 1 s: well under a minute.
    await deleteAndWaitGone(name, 90_000);
    const events = await cluster.client.request<{ items: KubeObject[] }>({
      method: 'GET',
      path: `/api/v1/namespaces/${server.namespace}/events`,
      query: { fieldSelector: `involvedObject.name=${name}` },
    });
    const warning = events.items.find((e) => (e as { reason?: string }).reason === 'CleanupFailed');
    assert.ok(warning, `no CleanupFailed event among ${JSON.stringify(events.items.map((e) => e.metadata.name))}`);
    const ev = warning as { type?: string; message?: string; involvedObject?: { kind?: string } };
    assert.equal(ev.type, 'Warning');
    assert.equal(ev.involvedObject?.kind, 'Restore');
    assert.match(ev.message ?? '', new RegExp(`restores/${name}/ in bucket "${loadTestEnv().s3.bucket}"`));
    assert.match(ev.message ?? '', new RegExp(`backup storage location "${location}"`));
    assert.match(ev.message ?? '', /no-such-secret/, 'the cause is named');
    assert.equal(await cluster.find(core('secrets'), 'no-such-secret', server.namespace), undefined);
  });
});
