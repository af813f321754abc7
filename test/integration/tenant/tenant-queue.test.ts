// test-lane: tenant — this file's server executes every TenantBackup and TenantRestore in the cluster, so it must not run beside another file's (other files' servers run with tenant operations off)
/**
 * Issue 17 §7 and acceptance 12 (execution side): the fair queue of TenantBackups, the
 * TenantPolicy's maxConcurrent and maxQueued, and TenantSchedules, against the real API server
 * and MinIO. The tenant location goes through a proxy that holds chosen backups' tarball
 * uploads: a held backup keeps its slot, so who waits and who runs are observed as states,
 * never as timings.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Kinds, resourceRef } from '../../../src/api/index.ts';
import type { KubeObject } from '../../../src/kube/index.ts';
import { TenantLabels, TenantTypes } from '../../../src/tenant/exec/resources.ts';
import { adminCluster, core, waitFor } from '../../helpers/cluster.ts';
import { GatedS3Proxy } from '../../helpers/gated-s3-proxy.ts';
import { uniqueName } from '../../helpers/names.ts';
import { createLocation, s3LocationSpec, startTestServer, type TestServer } from '../../helpers/skiff-server.ts';
import { assertRefusedSoon, installTenantApi } from '../../helpers/tenant.ts';
import {
  createTenant,
  createTenantBackup,
  createTenantPolicy,
  waitForTenantOutcome,
  type TestTenant,
} from '../../helpers/tenant-exec.ts';
import { loadTestEnv } from '../../helpers/testenv.ts';

const TB = TenantTypes.TenantBackup;
const TS = TenantTypes.TenantSchedule;
const TR = TenantTypes.TenantRestore;
const BACKUPS = resourceRef(Kinds.Backup);
const LOCATION = 'gated';
/**
 * alice's queue length. 50 as the issue asks: each creation is one API request and each start
 * one queue pass, so this costs seconds, not minutes; only the first two ever run here.
 */
const ALICE_QUEUE = 50;

const admin = adminCluster();
let proxy: GatedS3Proxy;
let server: TestServer;
const policies: string[] = [];
const tenants: TestTenant[] = [];

/** The tarball key of a TenantBackup's velero.io Backup (`tenant-<uid>`). */
const tarballOf = (tb: KubeObject): string => {
  const backup = `tenant-${tb.metadata.uid ?? ''}`;
  return `/${backup}/${backup}.tar.gz`;
};

async function tenant(prefix: string, policy: Record<string, unknown> = {}): Promise<TestTenant> {
  const name = await createTenantPolicy(admin, LOCATION, policy);
  policies.push(name);
  const t = await createTenant(admin, name, prefix);
  tenants.push(t);
  await admin.create(core('configmaps'), {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'settings', namespace: t.namespace },
    data: { owner: t.namespace },
  });
  return t;
}

/** Creates a TenantBackup whose upload the proxy holds until released. */
async function heldBackup(t: TestTenant, name: string): Promise<KubeObject> {
  const created = await createTenantBackup(t, name);
  proxy.hold(tarballOf(created));
  return created;
}

function statusOf(obj: KubeObject): Record<string, unknown> {
  return (obj.status ?? {}) as Record<string, unknown>;
}

function waitForStatus(
  t: TestTenant,
  name: string,
  what: string,
  ok: (status: Record<string, unknown>) => boolean,
): Promise<KubeObject> {
  return waitFor(`TenantBackup ${t.namespace}/${name} ${what}`, async () => {
    const obj = await admin.get(TB, name, t.namespace);
    return ok(statusOf(obj)) ? obj : undefined;
  });
}

before(async () => {
  await installTenantApi(admin);
  proxy = await GatedS3Proxy.start(loadTestEnv().s3.endpoint);
  // Two slots: what keeps a tenant's second backup waiting below is its policy, not the server.
  server = await startTestServer(admin, { tenantOperations: true, concurrentBackups: 2 });
  const spec = s3LocationSpec(uniqueName('gated'));
  await createLocation(admin, server.namespace, LOCATION, {
    ...spec,
    config: { ...(spec.config as Record<string, string>), s3Url: proxy.url },
  });
});

after(async () => {
  // Nothing queued is started any more: waiting ones go before the server stops.
  for (const t of tenants) {
    for await (const tb of admin.list(TB, { namespace: t.namespace })) {
      if (!statusOf(tb).backupName) await admin.delete(TB, tb.metadata.name ?? '', t.namespace);
    }
  }
  await proxy?.close();
  await server?.stop();
  for (const t of tenants) await admin.delete(core('namespaces'), t.namespace);
  for (const p of policies) await admin.delete(TenantTypes.TenantPolicy, p);
});

describe('acceptance 12: TenantPolicy maxConcurrent and maxQueued', () => {
  test('maxConcurrent=1: the second backup is Queued at position 1 while the first runs, then runs; beyond maxQueued=1 one is refused', async () => {
    const t = await tenant('limits', { maxConcurrent: 1, maxQueued: 1 });
    const first = await heldBackup(t, 'first');
    await proxy.arrived(tarballOf(first));
    const second = await heldBackup(t, 'second');
    const queued = await waitForStatus(t, 'second', 'to wait at position 1', (s) => s.queuePosition === 1);
    assert.equal(statusOf(queued).phase, 'Queued');
    assert.equal(statusOf(queued).backupName, undefined, 'it has not been started');
    assert.equal(await admin.find(BACKUPS, `tenant-${second.metadata.uid ?? ''}`, server.namespace), undefined);

    // One running, one waiting: a third would wait beyond maxQueued.
    await createTenantBackup(t, 'third');
    const refused = await waitForTenantOutcome(admin, TB, t.namespace, 'third');
    assert.equal(statusOf(refused).phase, 'Failed');
    assert.match(String(statusOf(refused).failureReason), /maxQueued of TenantPolicy/);

    proxy.release(tarballOf(first));
    await proxy.arrived(tarballOf(second));
    proxy.release(tarballOf(second));
    for (const name of ['first', 'second']) {
      const done = await waitForTenantOutcome(admin, TB, t.namespace, name);
      assert.equal(statusOf(done).phase, 'Completed', JSON.stringify(done.status));
    }
  });
});

describe('acceptance 12: the fair queue', () => {
  test(`alice queues ${ALICE_QUEUE} backups under maxConcurrent=2: one runs, the next waits naming why; bob's first one starts beside it`, async () => {
    const alice = await tenant('alice', { maxConcurrent: 2 });
    const bob = await tenant('bob');
    const aliceBackups: KubeObject[] = [];
    for (let i = 1; i <= ALICE_QUEUE; i++)
      aliceBackups.push(await heldBackup(alice, `b-${String(i).padStart(3, '0')}`));
    /** alice's backups the tenant queue has started (their velero.io Backup exists). */
    const started = async (): Promise<string[]> => {
      const names: string[] = [];
      for await (const tb of admin.list(TB, { namespace: alice.namespace }))
        if (statusOf(tb).backupName) names.push(tb.metadata.name ?? '');
      return names.sort();
    };
    // Two backups of one namespace would only queue in the server's backup queue: the second
    // waits in alice's own queue instead, saying why, and the other slot stays free.
    const [oldest, secondOldest] = aliceBackups.map((b) => b.metadata.name ?? '');
    await proxy.arrived(tarballOf(aliceBackups[0] as KubeObject));
    const next = await waitForStatus(alice, secondOldest ?? '', 'to wait naming its namespace', (s) =>
      /another backup of namespace \S+ is running: the server runs backups that share a namespace one at a time/.test(
        String(s.waitingReason),
      ),
    );
    assert.equal(statusOf(next).queuePosition, 1);
    assert.equal(statusOf(next).phase, 'Queued');
    const last = aliceBackups.at(-1)?.metadata.name ?? '';
    await waitForStatus(alice, last, 'to show its place', (s) => s.queuePosition === ALICE_QUEUE - 1);
    assert.deepEqual(await started(), [oldest]);

    // bob's backup takes the free slot at once, although 49 of alice's were created before his.
    const bobs = await heldBackup(bob, 'mine');
    await proxy.arrived(tarballOf(bobs));
    assert.deepEqual(await started(), [oldest], 'no other backup of alice started');
    const bobRunning = await admin.get(TB, 'mine', bob.namespace);
    assert.ok(statusOf(bobRunning).backupName, 'bob’s backup was started');
    assert.ok(!JSON.stringify(bobRunning.status).includes(alice.namespace));
    proxy.release(tarballOf(bobs));
    assert.equal(statusOf(await waitForTenantOutcome(admin, TB, bob.namespace, 'mine')).phase, 'Completed');

    // The rest of alice's queue is not needed: it goes, and what runs is let through.
    for (const b of aliceBackups) {
      const now = await admin.find(TB, b.metadata.name ?? '', alice.namespace);
      if (now && !statusOf(now).backupName) await admin.delete(TB, b.metadata.name ?? '', alice.namespace);
    }
    for (const b of aliceBackups) proxy.release(tarballOf(b));
  });

  test('a TenantRestore waits in the same queue: Queued at position 1 behind a running backup (maxConcurrent=1), refused beyond maxQueued=1', async () => {
    const t = await tenant('restores', { maxConcurrent: 1, maxQueued: 1 });
    await createTenantBackup(t, 'source');
    assert.equal(statusOf(await waitForTenantOutcome(admin, TB, t.namespace, 'source')).phase, 'Completed');
    const running = await heldBackup(t, 'running');
    await proxy.arrived(tarballOf(running));
    const restore = (name: string) =>
      t.asUser.create(TR, {
        apiVersion: 'tenant.skiff.dev/v1alpha1',
        kind: 'TenantRestore',
        metadata: { name, namespace: t.namespace },
        spec: { requester: t.user, backupRef: { namespace: t.namespace, name: 'source' } },
      });
    // Created in the same second, operations are ordered by name: these names keep the order.
    await restore('a-waits');
    const waiting = await waitFor('the restore to wait at position 1', async () => {
      const tr = await admin.get(TR, 'a-waits', t.namespace);
      return statusOf(tr).queuePosition === 1 ? tr : undefined;
    });
    assert.equal(statusOf(waiting).phase, 'Queued');
    assert.match(
      String(statusOf(waiting).waitingReason),
      /1 operations of this namespace are running, the maxConcurrent/,
    );
    await restore('b-refused');
    const refused = await waitForTenantOutcome(admin, TR, t.namespace, 'b-refused');
    assert.equal(statusOf(refused).phase, 'Failed');
    assert.match(String(statusOf(refused).failureReason), /maxQueued of TenantPolicy/);

    await admin.delete(core('configmaps'), 'settings', t.namespace);
    proxy.release(tarballOf(running));
    const done = await waitForTenantOutcome(admin, TR, t.namespace, 'a-waits');
    assert.equal(statusOf(done).phase, 'Completed', JSON.stringify(done.status));
    assert.ok(await admin.find(core('configmaps'), 'settings', t.namespace), 'the restore ran once the slot was free');
  });
});

describe('TenantSchedule', () => {
  test('creates TenantBackups in its namespace as its requester, with nextRun and lastBackup, until paused', async () => {
    const t = await tenant('sched');
    // The server cannot create a TenantBackup naming alice as itself: admission requires the
    // requester to be the creating user. A backup appearing below was created as alice.
    await assertRefusedSoon(
      admin,
      () => createTenantBackup({ ...t, asUser: admin }, 'forged'),
      403,
      /spec\.requester\.username/,
    );
    await t.asUser.create(TS, {
      apiVersion: 'tenant.skiff.dev/v1alpha1',
      kind: 'TenantSchedule',
      metadata: { name: 'often', namespace: t.namespace },
      spec: { requester: t.user, schedule: '@every 5s', template: { ttl: '1h' } },
    });
    const made = await waitFor(
      'the schedule to create a TenantBackup',
      async () => {
        for await (const tb of admin.list(TB, {
          namespace: t.namespace,
          labelSelector: `${TenantLabels.schedule}=often`,
        }))
          return tb;
        return undefined;
      },
      120_000,
    );
    assert.deepEqual((made.spec as { requester: unknown }).requester, t.user);
    assert.equal((made.spec as { ttl?: string }).ttl, '1h');
    const schedule = await waitFor('the schedule status', async () => {
      const s = await admin.get(TS, 'often', t.namespace);
      const st = statusOf(s);
      return st.lastBackup && st.nextRun ? s : undefined;
    });
    assert.equal(statusOf(schedule).phase, 'Enabled');
    assert.equal(
      statusOf(await waitForTenantOutcome(admin, TB, t.namespace, made.metadata.name ?? '')).phase,
      'Completed',
    );

    await t.asUser.patch(TS, { name: 'often', namespace: t.namespace }, 'merge', { spec: { paused: true } });
    await waitFor(
      'the paused schedule to have no next run',
      async () => !statusOf(await admin.get(TS, 'often', t.namespace)).nextRun,
    );
  });

  test('a cron firing more often than minScheduleInterval ends FailedValidation, naming it', async () => {
    const t = await tenant('sched-min', { minScheduleInterval: '1h' });
    await t.asUser.create(TS, {
      apiVersion: 'tenant.skiff.dev/v1alpha1',
      kind: 'TenantSchedule',
      metadata: { name: 'every-five', namespace: t.namespace },
      spec: { requester: t.user, schedule: '*/5 * * * *', template: {} },
    });
    const failed = await waitFor('the schedule to fail validation', async () => {
      const s = await admin.get(TS, 'every-five', t.namespace);
      return statusOf(s).phase === 'FailedValidation' ? s : undefined;
    });
    assert.match(
      String(statusOf(failed).validationErrors),
      /runs as often as every 5m, more often than the minScheduleInterval 1h of TenantPolicy/,
    );
    const none = [];
    for await (const tb of admin.list(TB, { namespace: t.namespace })) none.push(tb);
    assert.deepEqual(none, [], 'it created no backup');
  });
});
