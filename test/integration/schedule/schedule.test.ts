/**
 * The schedule controller against the real API server and MinIO: an `@every 30s` schedule
 * creates its backups on time, named, labelled and owned as Velero's are, and they
 * complete; a paused schedule creates none; bad input ends FailedValidation with a message
 * naming the field, and the server carries on. All other timing is unit-tested on a fake clock.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Kinds, resourceRef, type Backup, type Schedule } from '../../../src/api/index.ts';
import { adminCluster, core, createNamespace, waitFor } from '../../helpers/cluster.ts';
import { uniqueName } from '../../helpers/names.ts';
import { defaultStore, startTestServer, type TestServer } from '../../helpers/skiff-server.ts';

const cluster = adminCluster();
const app = uniqueName('sched-app');
let server: TestServer;
/**
 * The schedule's interval. Short, so that two runs take one minute of the file's time rather than two, and as
 * long as a run of a one-ConfigMap backup, with its recheck while one is still running (10 s), fits in with room.
 */
const INTERVAL_MS = 30_000;
/** How late a run may be: the controller's timers are a second past due, on a machine loaded by other files. */
const SLACK_MS = 30_000;

function schedule(name: string, spec: Partial<Schedule['spec']>, annotations?: Record<string, string>): Schedule {
  return {
    apiVersion: 'velero.io/v1',
    kind: 'Schedule',
    metadata: { name, namespace: server.namespace, ...(annotations ? { annotations } : {}) },
    spec: { schedule: `@every ${INTERVAL_MS / 1000}s`, template: { includedNamespaces: [app] }, ...spec },
  };
}

async function getSchedule(name: string): Promise<Schedule> {
  return (await cluster.get(resourceRef(Kinds.Schedule), name, server.namespace)) as Schedule;
}

async function backupsOf(name: string): Promise<Backup[]> {
  const out: Backup[] = [];
  const type = { ...resourceRef(Kinds.Backup), kind: 'Backup', namespaced: true, verbs: ['list'] };
  for await (const b of cluster.list(type, {
    namespace: server.namespace,
    labelSelector: `velero.io/schedule-name=${name}`,
  })) {
    out.push(b as Backup);
  }
  return out.sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
}

/** `every-20250101010203` → the UTC time in its name. */
function nameTime(name: string): number {
  const m = /-(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(name);
  assert.ok(m, `${name} ends in -YYYYMMDDhhmmss`);
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

describe('schedule controller', { concurrency: false, timeout: 300_000 }, () => {
  const every = uniqueName('every');
  const paused = uniqueName('paused');
  const badCron = uniqueName('badcron');
  const badRetain = uniqueName('badretain');

  before(async () => {
    server = await startTestServer(cluster);
    await createNamespace(cluster, app);
    await cluster.create(core('configmaps'), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings', namespace: app },
      data: { mode: 'scheduled' },
    });
    const ref = resourceRef(Kinds.Schedule);
    await cluster.create(
      ref,
      schedule(
        every,
        { useOwnerReferencesInBackup: true, template: { includedNamespaces: [app], ttl: '0s' } },
        { 'example.com/owner': 'team-a' },
      ),
    );
    await cluster.create(ref, schedule(paused, { paused: true }));
    await cluster.create(ref, schedule(badCron, { schedule: '0 0 * *' }));
    await cluster.create(ref, schedule(badRetain, {}, { 'skiff.io/retain': 'daily=lots' }));
  });

  after(async () => {
    await cluster.delete(core('namespaces'), app);
    await server.stop();
  });

  test('an invalid cron gives FailedValidation naming spec.schedule', async () => {
    const s = await waitFor('FailedValidation', async () => {
      const got = await getSchedule(badCron);
      return got.status?.phase === 'FailedValidation' ? got : undefined;
    });
    assert.deepEqual(s.status?.validationErrors, [
      'invalid spec.schedule "0 0 * *": expected 5 fields (minute hour day-of-month month day-of-week), found 4',
    ]);
  });

  test('a retention annotation that does not parse gives FailedValidation naming the annotation', async () => {
    const s = await waitFor('FailedValidation', async () => {
      const got = await getSchedule(badRetain);
      return got.status?.phase === 'FailedValidation' ? got : undefined;
    });
    assert.equal(s.status?.validationErrors?.length, 1);
    assert.match(
      s.status?.validationErrors?.[0] ?? '',
      /^invalid annotation skiff\.io\/retain "daily=lots": daily=lots/,
    );
  });

  test('@every 30s creates backups on time, named, labelled and owned as Velero does, and they complete', async () => {
    const sched = await getSchedule(every);
    const created = new Date(sched.metadata.creationTimestamp ?? '').getTime();
    const two = await waitFor(
      'two completed backups of the @every 30s schedule',
      async () => {
        const list = await backupsOf(every);
        return list.length >= 2 && list.slice(0, 2).every((b) => b.status?.phase === 'Completed') ? list : undefined;
      },
      200_000,
    );
    const [first, second] = two as [Backup, Backup];
    for (const b of [first, second]) {
      assert.match(b.metadata.name ?? '', new RegExp(`^${every}-\\d{14}$`));
      assert.equal(b.metadata.labels?.['velero.io/schedule-name'], every);
      assert.equal(b.metadata.annotations?.['example.com/owner'], 'team-a');
      assert.deepEqual(b.metadata.ownerReferences, [
        { apiVersion: 'velero.io/v1', kind: 'Schedule', name: every, uid: sched.metadata.uid ?? '', controller: true },
      ]);
      assert.deepEqual(b.spec.includedNamespaces, [app]);
      assert.ok(await (await defaultStore(server)).backupExists(b.metadata.name ?? ''), 'the backup is in MinIO');
    }
    // Due an interval after creation, then an interval after the previous backup; never early.
    const t1 = nameTime(first.metadata.name ?? '');
    const t2 = nameTime(second.metadata.name ?? '');
    assert.ok(t1 >= created + INTERVAL_MS, `first run ${new Date(t1).toISOString()} is not before it is due`);
    assert.ok(t1 <= created + INTERVAL_MS + SLACK_MS, `first run ${new Date(t1).toISOString()} is on time`);
    assert.ok(
      t2 - t1 >= INTERVAL_MS && t2 - t1 <= INTERVAL_MS + SLACK_MS,
      `the second run follows an interval later (${t2 - t1} ms)`,
    );
    const after = await getSchedule(every);
    assert.equal(after.status?.phase, 'Enabled');
    assert.ok((after.status?.lastBackup ?? '') >= new Date(t2).toISOString().replace(/\.\d+Z$/, 'Z'));
  });

  test('a paused schedule creates no backups and is not touched', async () => {
    assert.deepEqual(await backupsOf(paused), []);
    assert.equal((await getSchedule(paused)).status?.phase, undefined);
    assert.deepEqual(await backupsOf(badCron), []);
    assert.deepEqual(await backupsOf(badRetain), []);
  });

  test('a template ttl of 0s means the server default (720h), as in Velero', async () => {
    const [b] = await backupsOf(every);
    assert.ok(b?.status?.startTimestamp && b.status.expiration);
    const ttl = new Date(b.status.expiration).getTime() - new Date(b.status.startTimestamp).getTime();
    assert.equal(ttl, 720 * 3_600_000);
  });
});
