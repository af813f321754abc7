/**
 * Retention (`skiff.io/retain`) in a real run: real backups in MinIO, their timestamps moved
 * into the past, then a schedule created with the CLI. Exactly the planned backups stay;
 * the others are gone from MinIO and from the cluster, deleted through DeleteBackupRequests
 * by the delete-backup controller. A backup still running is never touched.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Kinds, resourceRef, type Backup, type Schedule } from '../../../src/api/index.ts';
import { adminCluster, core, createNamespace, waitFor } from '../../helpers/cluster.ts';
import { uniqueName } from '../../helpers/names.ts';
import { defaultStore, startTestServer, type TestServer } from '../../helpers/skiff-server.ts';
import { skiff, skiffOk } from '../cli/run-skiff.ts';

const cluster = adminCluster();
const app = uniqueName('keep-app');
const scheduleName = uniqueName('keep');
let server: TestServer;

/** Start times, in the past; with daily=1,monthly=2 the plan keeps mar01-late (day and March) and feb20 (February). */
const STARTS: Record<string, string> = {
  jan10: '2025-01-10T01:00:00Z',
  feb03: '2025-02-03T01:00:00Z',
  feb20: '2025-02-20T01:00:00Z',
  'mar01-early': '2025-03-01T01:00:00Z',
  'mar01-late': '2025-03-01T05:00:00Z',
};
const KEPT = ['feb20', 'mar01-late'];
const DELETED = ['jan10', 'feb03', 'mar01-early'];
const full = (short: string): string => `${scheduleName}-${short}`;

async function exists(short: string): Promise<boolean> {
  return (await cluster.find(resourceRef(Kinds.Backup), full(short), server.namespace)) !== undefined;
}

describe('retention beyond TTL', { concurrency: false, timeout: 300_000 }, () => {
  before(async () => {
    server = await startTestServer(cluster);
    await createNamespace(cluster, app);
    await cluster.create(core('configmaps'), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings', namespace: app },
      data: { mode: 'kept' },
    });
    const ref = resourceRef(Kinds.Backup);
    const labels = { 'velero.io/schedule-name': scheduleName };
    for (const short of Object.keys(STARTS)) {
      await cluster.create(ref, {
        apiVersion: 'velero.io/v1',
        kind: 'Backup',
        metadata: { name: full(short), namespace: server.namespace, labels },
        spec: { includedNamespaces: [app] },
      });
    }
    // One that is still running (as far as anyone can tell) and older than all: never deleted.
    await cluster.create(ref, {
      apiVersion: 'velero.io/v1',
      kind: 'Backup',
      metadata: { name: full('running'), namespace: server.namespace, labels },
      spec: { includedNamespaces: [app] },
      status: { phase: 'InProgress', startTimestamp: '2024-12-01T00:00:00Z' },
    });
    for (const [short, start] of Object.entries(STARTS)) {
      await waitFor(
        `backup ${short} to complete`,
        async () => {
          const b = (await cluster.get(ref, full(short), server.namespace)) as Backup;
          return b.status?.phase === 'Completed' ? b : undefined;
        },
        120_000,
      );
      // Backup has no status subresource (reference §0): status is part of the object.
      const completion = new Date(new Date(start).getTime() + 60_000).toISOString().replace('.000Z', 'Z');
      await cluster.patch(ref, { name: full(short), namespace: server.namespace }, 'merge', {
        status: { startTimestamp: start, completionTimestamp: completion },
      });
    }
  });

  after(async () => {
    await cluster.delete(core('namespaces'), app);
    await server.stop();
  });

  test('keeps exactly the planned backups and deletes the rest from MinIO and the cluster', async () => {
    const store = await defaultStore(server);
    for (const short of Object.keys(STARTS)) assert.ok(await store.backupExists(full(short)), `${short} in MinIO`);
    // A yearly cron: no run falls due during the test, only retention acts.
    await skiffOk([
      '-n',
      server.namespace,
      'schedule',
      'create',
      scheduleName,
      '--schedule',
      '0 0 1 1 *',
      '--include-namespaces',
      app,
      '--retain',
      'daily=1,monthly=2',
    ]);
    await waitFor(
      'the unplanned backups to be deleted',
      async () => {
        for (const short of DELETED) if (await exists(short)) return false;
        return true;
      },
      120_000,
    );
    for (const short of DELETED) assert.equal(await store.backupExists(full(short)), false, `${short} gone from MinIO`);
    for (const short of KEPT) {
      assert.ok(await exists(short), `${short} kept in the cluster`);
      assert.ok(await store.backupExists(full(short)), `${short} kept in MinIO`);
    }
    assert.ok(await exists('running'), 'the running backup is untouched');

    const described = await skiffOk(['-n', server.namespace, 'schedule', 'describe', scheduleName]);
    assert.match(described.stdout, /Phase: {2}Enabled/);
    assert.match(described.stdout, new RegExp(`daily=1: keeps 1 of 1\\n {4}2025-03-01: ${full('mar01-late')}`));
    assert.match(
      described.stdout,
      new RegExp(`monthly=2: keeps 2 of 2\\n {4}2025-03: ${full('mar01-late')}\\n {4}2025-02: ${full('feb20')}`),
    );
    assert.match(described.stdout, / {2}Deletes: none/);
    const got = await skiffOk(['-n', server.namespace, 'schedule', 'get']);
    assert.match(got.stdout, new RegExp(`^${scheduleName} +Enabled `, 'm'));
  });
  test('restore --from-schedule --allow-partially-failed picks the newest Completed or PartiallyFailed backup', async () => {
    await cluster.create(resourceRef(Kinds.Backup), {
      apiVersion: 'velero.io/v1',
      kind: 'Backup',
      metadata: {
        name: full('partial'),
        namespace: server.namespace,
        labels: { 'velero.io/schedule-name': scheduleName },
      },
      spec: { includedNamespaces: [app] },
      status: { phase: 'PartiallyFailed', startTimestamp: '2025-03-02T01:00:00Z' },
    });
    const ns = ['-n', server.namespace];
    const allow = await skiffOk([
      ...ns,
      'restore',
      'create',
      '--from-schedule',
      scheduleName,
      '--allow-partially-failed',
      '-o',
      'json',
    ]);
    const picked = JSON.parse(allow.stdout) as { spec: { backupName?: string; scheduleName?: string } };
    assert.deepEqual([picked.spec.backupName, picked.spec.scheduleName], [full('partial'), undefined]);
    const plain = await skiffOk([...ns, 'restore', 'create', '--from-schedule', scheduleName, '-o', 'json']);
    assert.equal((JSON.parse(plain.stdout) as { spec: { scheduleName?: string } }).spec.scheduleName, scheduleName);
    const refused = await skiff([
      ...ns,
      'restore',
      'create',
      '--from-backup',
      full('feb20'),
      '--allow-partially-failed',
    ]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /--allow-partially-failed only works with --from-schedule/);
  });

  test('pause, unpause --skip-immediately and delete through the CLI', async () => {
    const ns = ['-n', server.namespace];
    const ref = resourceRef(Kinds.Schedule);
    await skiffOk([...ns, 'schedule', 'pause', scheduleName]);
    assert.equal(((await cluster.get(ref, scheduleName, server.namespace)) as Schedule).spec.paused, true);
    await skiffOk([...ns, 'schedule', 'unpause', scheduleName, '--skip-immediately']);
    // The server applies the one-shot flag: it records lastSkipped and resets the flag.
    const unpaused = await waitFor('skipImmediately to be applied', async () => {
      const s = (await cluster.get(ref, scheduleName, server.namespace)) as Schedule;
      return s.spec.skipImmediately === false && s.status?.lastSkipped ? s : undefined;
    });
    assert.equal(unpaused.spec.paused, false);
    const deleted = await skiffOk([...ns, 'schedule', 'delete', scheduleName, '--confirm']);
    assert.match(deleted.stdout, new RegExp(`Schedule deleted: ${scheduleName}`));
    assert.equal(await cluster.find(ref, scheduleName, server.namespace), undefined);
    for (const short of KEPT) assert.ok(await exists(short), `${short} stays after the schedule is deleted`);
  });
});
