/**
 * Concurrent operations through a Skiff server (reference §1.1 Queued/ReadyToStart, §3.4,
 * §10.2 --concurrent-backups): backups and restores of disjoint namespaces run at once, those
 * of the same namespaces wait their turn. Overlap is proven by states, not timings: the
 * location goes through a proxy that holds each operation's tarball transfer until the test
 * lets it go, so an operation held there is InProgress for as long as the test needs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Kinds, parseBackup, parseRestore, resourceRef, type Backup, type BackupSpec } from '../../../src/api/index.ts';
import type { KubeObject } from '../../../src/kube/index.ts';
import { BACKUP_TABLE } from '../../../src/cli/backup/get.ts';
import { formatGetTable } from '../../../src/cli/get-command.ts';
import { describeRestore } from '../../../src/cli/restore/describe-format.ts';
import { RESTORE_TABLE } from '../../../src/cli/restore/get.ts';
import { adminCluster, core, createNamespace, deleteNamespaceAndWait, waitFor } from '../../helpers/cluster.ts';
import { GatedS3Proxy } from '../../helpers/gated-s3-proxy.ts';
import { uniqueName } from '../../helpers/names.ts';
import { createRestore, getRestore, waitForRestoreDone } from '../../helpers/restore-server.ts';
import { createLocation, s3LocationSpec, startTestServer, type TestServer } from '../../helpers/skiff-server.ts';
import { loadTestEnv } from '../../helpers/testenv.ts';

const cluster = adminCluster();
const BACKUPS = resourceRef(Kinds.Backup);
const LOCATION = 'gated';
const TERMINAL = new Set(['Completed', 'PartiallyFailed', 'Failed', 'FailedValidation']);

let proxy: GatedS3Proxy;
let server: TestServer;
const namespaces: string[] = [];

/** A namespace holding one ConfigMap, removed after the tests. */
async function appNamespace(prefix: string): Promise<string> {
  const ns = uniqueName(prefix);
  namespaces.push(ns);
  await createNamespace(cluster, ns);
  await cluster.create(core('configmaps'), {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'settings', namespace: ns },
    data: { from: ns },
  });
  return ns;
}

const tarball = (backup: string): string => `/${backup}/${backup}.tar.gz`;

async function createBackup(name: string, spec: BackupSpec): Promise<void> {
  await cluster.create(BACKUPS, {
    apiVersion: 'velero.io/v1',
    kind: 'Backup',
    metadata: { name, namespace: server.namespace },
    spec: { storageLocation: LOCATION, ...spec },
  });
}

async function getBackup(name: string): Promise<Backup> {
  return parseBackup(await cluster.get(BACKUPS, name, server.namespace));
}

function waitForBackup(name: string, done: (b: Backup) => boolean, what: string): Promise<Backup> {
  return waitFor(`backup ${name} ${what}`, async () => {
    const b = await getBackup(name);
    return done(b) ? b : undefined;
  });
}

const finished = (name: string): Promise<Backup> =>
  waitForBackup(name, (b) => TERMINAL.has(b.status?.phase ?? ''), 'to finish');

/** A completed backup of `ns` whose tarball downloads the proxy will hold from now on. */
async function heldSourceBackup(ns: string): Promise<string> {
  const name = uniqueName('src');
  await createBackup(name, { includedNamespaces: [ns] });
  assert.equal((await finished(name)).status?.phase, 'Completed');
  proxy.hold(tarball(name));
  return name;
}

before(async () => {
  proxy = await GatedS3Proxy.start(loadTestEnv().s3.endpoint);
  server = await startTestServer(cluster, { concurrentBackups: 2 });
  const spec = s3LocationSpec(uniqueName('gated'));
  await createLocation(cluster, server.namespace, LOCATION, {
    ...spec,
    config: { ...(spec.config as Record<string, string>), s3Url: proxy.url },
  });
});

after(async () => {
  await server?.stop();
  await proxy?.close();
  await Promise.all(namespaces.map((ns) => deleteNamespaceAndWait(cluster, ns)));
});

describe('concurrent backups (--concurrent-backups 2)', () => {
  test('two backups of disjoint namespaces are InProgress at the same time', async () => {
    const [a, b] = [await appNamespace('conc-a'), await appNamespace('conc-b')];
    const [first, second] = [uniqueName('disjoint-1'), uniqueName('disjoint-2')];
    proxy.hold(tarball(first));
    proxy.hold(tarball(second));
    await createBackup(first, { includedNamespaces: [a] });
    await createBackup(second, { includedNamespaces: [b] });
    // Each upload is held until released: both arriving means both ran at once.
    await Promise.all([proxy.arrived(tarball(first)), proxy.arrived(tarball(second))]);
    assert.equal((await getBackup(first)).status?.phase, 'InProgress');
    assert.equal((await getBackup(second)).status?.phase, 'InProgress');
    proxy.release(tarball(first));
    proxy.release(tarball(second));
    assert.equal((await finished(first)).status?.phase, 'Completed');
    assert.equal((await finished(second)).status?.phase, 'Completed');
  });

  test('a backup of a namespace another backup is taking waits Queued with its position, then completes', async () => {
    const ns = await appNamespace('conc-same');
    const [first, second] = [uniqueName('same-1'), uniqueName('same-2')];
    proxy.hold(tarball(first));
    await createBackup(first, { includedNamespaces: [ns] });
    await proxy.arrived(tarball(first));
    await createBackup(second, { includedNamespaces: [ns, 'kube-public'] });
    const queued = await waitForBackup(second, (b) => b.status?.phase === 'Queued', 'to be Queued');
    assert.equal(queued.status?.queuePosition, 1);
    assert.match(formatGetTable(BACKUP_TABLE, [queued], new Date()), new RegExp(`${second} +Queued \\(1\\)`));
    assert.equal((await getBackup(first)).status?.phase, 'InProgress', 'the first holds the namespace');
    proxy.release(tarball(first));
    const done = [await finished(first), await finished(second)];
    assert.deepEqual(
      done.map((b) => b.status?.phase),
      ['Completed', 'Completed'],
    );
    assert.equal(done[1]?.status?.queuePosition, undefined, 'the position goes once it leaves the queue');
    // It started only once the first had finished (both at the server's second resolution).
    assert.ok((done[1]?.status?.startTimestamp ?? '') >= (done[0]?.status?.completionTimestamp ?? '~'));
  });
});

describe('concurrent restores', () => {
  test('two restores into disjoint namespaces are InProgress at the same time', async () => {
    const [a, b] = [await appNamespace('rconc-a'), await appNamespace('rconc-b')];
    const [fromA, fromB] = [await heldSourceBackup(a), await heldSourceBackup(b)];
    const [targetA, targetB] = [uniqueName('rconc-ta'), uniqueName('rconc-tb')];
    namespaces.push(targetA, targetB);
    const [first, second] = [uniqueName('rdisjoint-1'), uniqueName('rdisjoint-2')];
    await createRestore(cluster, server.namespace, first, { backupName: fromA, namespaceMapping: { [a]: targetA } });
    await createRestore(cluster, server.namespace, second, { backupName: fromB, namespaceMapping: { [b]: targetB } });
    await Promise.all([proxy.arrived(tarball(fromA)), proxy.arrived(tarball(fromB))]);
    assert.equal((await getRestore(cluster, server.namespace, first)).status?.phase, 'InProgress');
    assert.equal((await getRestore(cluster, server.namespace, second)).status?.phase, 'InProgress');
    proxy.release(tarball(fromA));
    proxy.release(tarball(fromB));
    assert.equal((await waitForRestoreDone(cluster, server.namespace, first)).status?.phase, 'Completed');
    assert.equal((await waitForRestoreDone(cluster, server.namespace, second)).status?.phase, 'Completed');
    const restored = await cluster.get(core('configmaps'), 'settings', targetB);
    assert.deepEqual(restored.data, { from: b });
  });

  test('a restore into a namespace another restore is writing waits New with its position, then runs', async () => {
    const [a, b] = [await appNamespace('rsame-a'), await appNamespace('rsame-b')];
    const [fromA, fromB] = [await heldSourceBackup(a), await heldSourceBackup(b)];
    const target = uniqueName('rsame-t');
    namespaces.push(target);
    const [first, second] = [uniqueName('rsame-1'), uniqueName('rsame-2')];
    await createRestore(cluster, server.namespace, first, {
      backupName: fromA,
      includedResources: ['configmaps'],
      namespaceMapping: { [a]: target },
    });
    await proxy.arrived(tarball(fromA));
    proxy.release(tarball(fromB));
    await createRestore(cluster, server.namespace, second, {
      backupName: fromB,
      includedResources: ['configmaps'],
      namespaceMapping: { [b]: target },
    });
    const waiting = await waitFor('the second restore to wait', async () => {
      const r = await getRestore(cluster, server.namespace, second);
      return r.status?.queuePosition === 1 ? r : undefined;
    });
    assert.equal(waiting.status?.phase ?? 'New', 'New');
    assert.match(formatGetTable(RESTORE_TABLE, [parseRestore(waiting)], new Date()), /New \(queued: 1\)/);
    assert.match(describeRestore(parseRestore(waiting)), /Queue position: +1 \(waits for running or earlier restores/);
    assert.equal(proxy.arrivals(tarball(fromB)), 0, 'the second has not read its backup');
    assert.equal((await getRestore(cluster, server.namespace, first)).status?.phase, 'InProgress');
    proxy.release(tarball(fromA));
    const done = [
      await waitForRestoreDone(cluster, server.namespace, first),
      await waitForRestoreDone(cluster, server.namespace, second),
    ];
    assert.deepEqual(
      done.map((r) => r.status?.phase),
      ['Completed', 'Completed'],
    );
    assert.equal(done[1]?.status?.queuePosition, undefined);
    assert.ok((done[1]?.status?.startTimestamp ?? '') >= (done[0]?.status?.completionTimestamp ?? '~'));
  });
});

describe('a restarted server and its queue', () => {
  test('backups left ReadyToStart and Queued by a stopped server run after the restart, in order', async () => {
    // A server that queues backups but runs none: what a server stopped at that point leaves.
    const stopped = await startTestServer(cluster, { disableControllers: ['backup'] });
    try {
      const [ns, other] = [await appNamespace('restart-a'), await appNamespace('restart-b')];
      const names = ['restart-1', 'restart-2', 'restart-3'];
      const create = (name: string, included: string): Promise<KubeObject> =>
        cluster.create(BACKUPS, {
          apiVersion: 'velero.io/v1',
          kind: 'Backup',
          metadata: { name, namespace: stopped.namespace },
          spec: { includedNamespaces: [included] },
        });
      const phaseOf = async (name: string): Promise<Backup> =>
        parseBackup(await cluster.get(BACKUPS, name, stopped.namespace));
      await create('restart-1', ns);
      await waitFor(
        'the first to be picked',
        async () => (await phaseOf('restart-1')).status?.phase === 'ReadyToStart',
      );
      await create('restart-2', ns);
      await create('restart-3', other);
      // One at a time (the default): the second waits for the namespace, the third for the slot.
      await waitFor('both others to be queued', async () => {
        const [second, third] = [await phaseOf('restart-2'), await phaseOf('restart-3')];
        return second.status?.queuePosition === 1 && third.status?.queuePosition === 2;
      });
      await stopped.restart({});
      const done = await Promise.all(
        names.map((name) =>
          waitFor(`${name} to finish`, async () => {
            const b = await phaseOf(name);
            return TERMINAL.has(b.status?.phase ?? '') ? b : undefined;
          }),
        ),
      );
      assert.deepEqual(
        done.map((b) => b.status?.phase),
        ['Completed', 'Completed', 'Completed'],
      );
      const [first, second, third] = done.map((b) => b.status ?? {});
      assert.ok((second?.startTimestamp ?? '') >= (first?.completionTimestamp ?? '~'), 'FIFO');
      assert.ok((third?.startTimestamp ?? '') >= (first?.completionTimestamp ?? '~'), 'one at a time');
    } finally {
      await stopped.stop();
    }
  });
});
