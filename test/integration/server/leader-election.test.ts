// exclusive-test: asserts takeover within lease durations, which a loaded neighbour could stretch
/**
 * Two `skiff server` processes against one cluster and one namespace, as two replicas of a
 * Deployment: only the holder of the Lease works. Each backup and restore runs once; when the
 * leader is killed mid-restore the other takes over within the lease duration and completes
 * the restore; a leader whose Lease is taken from it exits non-zero.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pMap from 'p-map';
import { Kinds, resourceRef, type BackupStorageLocation } from '../../../src/api/index.ts';
import type { KubeObject } from '../../../src/kube/index.ts';
import { LEASES } from '../../../src/server/leader-election.ts';
import type { LeaseSpec } from '../../../src/server/lease.ts';
import { readAll } from '../../../src/storage/object-store.ts';
import { adminCluster, core, createNamespace, deleteNamespaceAndWait, waitFor } from '../../helpers/cluster.ts';
import { uniqueName } from '../../helpers/names.ts';
import { createRestore, getRestore, restoreAndWait, waitForRestoreDone } from '../../helpers/restore-server.ts';
import {
  backupAndWait,
  createLocation,
  defaultStore,
  s3LocationSpec,
  type TestServer,
} from '../../helpers/skiff-server.ts';
import { loadTestEnv } from '../../helpers/testenv.ts';
import { startSkiffServer } from '../cli/run-skiff.ts';

const cluster = adminCluster();
const COUNT = Number(process.env.SKIFF_RESUME_CONFIGMAPS ?? 2000);
const LEASE_SECONDS = 6;
const RETRY_SECONDS = 1;

type Process = ReturnType<typeof startSkiffServer>;

interface Replica {
  name: string;
  process: Process;
  /** `http://127.0.0.1:<port>` read from the server's log. */
  url: string;
}

/** `leader`, `standby`, or undefined while starting or once gone. */
async function roleOf(replica: Replica): Promise<string | undefined> {
  try {
    const text = await (await fetch(`${replica.url}/readyz`)).text();
    return /^(leader|standby)/.exec(text)?.[1];
  } catch {
    return undefined;
  }
}

/** Value of one series in a scrape, 0 when absent. */
async function metric(replica: Replica, series: string): Promise<number> {
  const text = await (await fetch(`${replica.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

async function logOf(kind: 'backup' | 'restore', store: Awaited<ReturnType<typeof defaultStore>>, name: string) {
  const stream = kind === 'backup' ? await store.getBackupLog(name) : await store.getRestoreLog(name);
  return (await readAll(stream)).toString('utf8');
}

function occurrences(text: string, phrase: string): number {
  return text.split(phrase).length - 1;
}

describe('two servers, one lease', { concurrency: false }, () => {
  const serverNs = uniqueName('skiff-ha');
  const appNs = uniqueName('ha-app');
  const prefix = uniqueName('ha-backups');
  const replicas: Replica[] = [];
  // Only the default location's prefix and namespace matter to defaultStore.
  const server = { namespace: serverNs, prefix } as TestServer;

  function startReplica(name: string): Replica {
    const process = startSkiffServer(
      [
        ...['-n', serverNs, '--metrics-address', '127.0.0.1:0', '--store-validation-frequency', '10s'],
        ...['--leader-elect-lease-duration', `${LEASE_SECONDS}s`, '--leader-elect-renew-deadline', '4s'],
        ...['--leader-elect-retry-period', `${RETRY_SECONDS}s`],
      ],
      { ownProcessGroup: true },
    );
    return { name, process, url: '' };
  }

  async function listening(replica: Replica): Promise<void> {
    const address = await waitFor(`${replica.name} to serve its metrics`, () =>
      Promise.resolve(/"address":"([^"]+)","msg":"serving \/metrics/.exec(replica.process.logs())?.[1]),
    );
    replica.url = `http://${address}`;
  }

  async function leaderAndStandby(): Promise<[Replica, Replica]> {
    const live = replicas.filter((r) => r.process.child.exitCode === null && r.process.child.signalCode === null);
    return waitFor('one leader and one standby', async () => {
      const roles = await Promise.all(live.map(roleOf));
      const leader = live[roles.indexOf('leader')];
      const standby = live[roles.indexOf('standby')];
      return leader && standby ? ([leader, standby] as [Replica, Replica]) : undefined;
    });
  }

  before(async () => {
    const env = loadTestEnv();
    await createNamespace(cluster, serverNs);
    await cluster.create(core('secrets'), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'cloud-credentials', namespace: serverNs },
      stringData: {
        cloud: `[default]\naws_access_key_id=${env.s3.accessKeyId}\naws_secret_access_key=${env.s3.secretAccessKey}\n`,
      },
    });
    await createLocation(cluster, serverNs, 'default', s3LocationSpec(prefix));
    await createNamespace(cluster, appNs);
    await pMap(
      Array.from({ length: COUNT }, (_, i) => i),
      (i) =>
        cluster.create(core('configmaps'), {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: {
            name: `cm-${String(i).padStart(5, '0')}`,
            namespace: appNs,
            // A few make up the small backups of the first test.
            ...(i < 3 ? { labels: { small: 'yes' } } : {}),
          },
          data: { index: String(i) },
        }),
      { concurrency: 16 },
    );
    replicas.push(startReplica('a'), startReplica('b'));
    await Promise.all(replicas.map(listening));
    await waitFor('the location to be Available', async () => {
      const bsl = (await cluster.get(
        resourceRef(Kinds.BackupStorageLocation),
        'default',
        serverNs,
      )) as BackupStorageLocation;
      return bsl.status?.phase === 'Available';
    });
  });

  after(async () => {
    for (const r of replicas) {
      if (r.process.child.pid !== undefined && r.process.child.exitCode === null) {
        try {
          process.kill(-r.process.child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    await cluster.delete(core('namespaces'), appNs).catch(() => undefined);
    await cluster.delete(core('namespaces'), `${appNs}-copy`).catch(() => undefined);
    await cluster.delete(core('namespaces'), serverNs).catch(() => undefined);
  });

  test('each backup and restore runs once, on the leader only', async () => {
    const [leader, standby] = await leaderAndStandby();
    const store = await defaultStore(server);
    const backups = ['ha-1', 'ha-2', 'ha-3'];
    for (const name of backups) {
      // ha-1 has every ConfigMap, for the next test's restore; the others a few.
      const spec = name === 'ha-1' ? {} : { labelSelector: { matchLabels: { small: 'yes' } } };
      const b = await backupAndWait(cluster, serverNs, name, { includedNamespaces: [appNs], ...spec }, 300_000);
      assert.equal(b.status?.phase, 'Completed');
      // A second run would have written a second start into the log (or failed: "already exists").
      assert.equal(occurrences(await logOf('backup', store, name), 'backup started'), 1, `log of ${name}`);
      // Two runs could leave one log in storage (the last upload wins); the servers' own logs cannot.
      const starts = replicas.map((r) =>
        occurrences(r.process.logs(), `"backup":"${name}","location":"default","msg":"backup started"`),
      );
      assert.deepEqual(starts.sort(), [0, 1], `servers that started ${name}`);
    }
    const r = await restoreAndWait(
      cluster,
      serverNs,
      'ha-restore',
      { backupName: 'ha-2', namespaceMapping: { [appNs]: `${appNs}-copy` } },
      300_000,
    );
    assert.equal(r.status?.phase, 'Completed');
    // A second run would find every object there already and warn about each.
    assert.equal(r.status.warnings ?? 0, 0);
    assert.equal(occurrences(await logOf('restore', store, 'ha-restore'), 'restore started'), 1);
    assert.equal(await metric(leader, 'velero_backup_attempt_total{schedule=""}'), backups.length);
    assert.equal(await metric(standby, 'velero_backup_attempt_total{schedule=""}'), 0);
    assert.equal(await metric(leader, 'velero_restore_attempt_total{schedule=""}'), 1);
    assert.equal(await metric(standby, 'velero_restore_attempt_total{schedule=""}'), 0);
  });

  test(`the leader killed mid-restore of ${COUNT} ConfigMaps: the standby takes over and completes it`, async (t) => {
    const [leader, standby] = await leaderAndStandby();
    await deleteNamespaceAndWait(cluster, appNs, 300_000);
    await createRestore(cluster, serverNs, 'ha-resumed', { backupName: 'ha-1' });
    const seen = await waitFor(
      'the restore to be part-way',
      async () => {
        const p = (await getRestore(cluster, serverNs, 'ha-resumed')).status?.progress;
        const done = p?.itemsRestored ?? 0;
        return done > 0 && done < COUNT * 0.8 ? done : undefined;
      },
      120_000,
    );
    const pid = leader.process.child.pid;
    assert.ok(pid !== undefined);
    const killedAt = Date.now();
    process.kill(-pid, 'SIGKILL');
    await leader.process.stop();
    assert.equal((await getRestore(cluster, serverNs, 'ha-resumed')).status?.phase, 'InProgress', `after ${seen}`);

    const takenAt = await waitFor('the standby to lead', async () =>
      (await roleOf(standby)) === 'leader' ? Date.now() : undefined,
    );
    const lease = (await cluster.get(LEASES, 'skiff-server', serverNs)) as KubeObject & { spec: LeaseSpec };
    assert.equal(lease.spec.leaseTransitions, 1, 'one takeover');
    assert.match(standby.process.logs(), /became leader/);
    // Within the lease duration, counted from the last renewal the standby saw (up to one retry
    // period before the kill), plus the standby's own retry period and a margin for a busy machine.
    const bound = (LEASE_SECONDS + 2 * RETRY_SECONDS * 1.2 + 3) * 1000;
    t.diagnostic(`killed after ${seen} items; the standby led ${takenAt - killedAt} ms after the kill`);
    assert.ok(takenAt - killedAt <= bound, `took over ${takenAt - killedAt} ms after the kill`);

    const done = await waitForRestoreDone(cluster, serverNs, 'ha-resumed', 300_000);
    assert.equal(done.status?.phase, 'Completed', `${JSON.stringify(done.status)}\n${standby.process.logs()}`);
    assert.equal(done.status.errors ?? 0, 0);
    assert.match(standby.process.logs(), /resuming a restore interrupted by a restart/);
    const list = await cluster.client.request<{ items: KubeObject[] }>({
      method: 'GET',
      path: `/api/v1/namespaces/${appNs}/configmaps`,
    });
    const names = list.items.map((o) => o.metadata.name ?? '').filter((n) => n !== 'kube-root-ca.crt');
    assert.equal(names.length, COUNT);
    assert.equal(new Set(names).size, COUNT);
  });

  test('a leader whose lease another holder took exits with status 1', async () => {
    const live = replicas.filter((r) => r.process.child.exitCode === null && r.process.child.signalCode === null);
    assert.equal(live.length, 1);
    const [leader] = live as [Replica];
    assert.equal(await roleOf(leader), 'leader');
    const exited = new Promise<number | null>((resolve) => {
      leader.process.child.once('exit', (code) => resolve(code));
    });
    // Written as another candidate would, with the version read: the leader renews every second.
    await waitFor('the lease to be taken', async () => {
      const lease = await cluster.get(LEASES, 'skiff-server', serverNs);
      const spec = { ...(lease.spec as LeaseSpec), holderIdentity: 'an-intruder', leaseDurationSeconds: 3600 };
      return cluster.replace(LEASES, { ...lease, spec }).then(
        () => true,
        () => undefined,
      );
    });
    assert.equal(await exited, 1);
    assert.match(leader.process.logs(), /leadership lost/);
  });
});
