/**
 * The restore controller through a Skiff server: back up the rich namespace, lose it,
 * restore it; namespace mapping; the existing-resource policy; the dry run against the real
 * restore; and a restore that survives the server being killed half-way.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pMap from 'p-map';
import { Kinds, resourceRef, type BackupStorageLocation } from '../../../src/api/index.ts';
import { LocationResolver } from '../../../src/controllers/locations.ts';
import { resolveRestoreSource } from '../../../src/controllers/restore-source.ts';
import type { KubeObject, ResourceRef } from '../../../src/kube/index.ts';
import { planRestoreForCluster, planTotals } from '../../../src/restore/index.ts';
import { BackupStore } from '../../../src/storage/index.ts';
import { FilesystemObjectStore } from '../../../src/storage/providers/filesystem/index.ts';
import { scratchOwner } from '../../../src/util/scratch-dir.ts';
import { adminCluster, apps, core, createNamespace, deleteNamespaceAndWait, waitFor } from '../../helpers/cluster.ts';
import { uniqueName } from '../../helpers/names.ts';
import {
  createRestore,
  getRestore,
  restorableView,
  restoreAndWait,
  waitForRestoreDone,
} from '../../helpers/restore-server.ts';
import { CRD_GROUP, createRichNamespace } from '../../helpers/rich-namespace.ts';
import {
  backupAndWait,
  createLocation,
  defaultStore,
  startTestServer,
  type TestServer,
} from '../../helpers/skiff-server.ts';
import { loadTestEnv } from '../../helpers/testenv.ts';
import { startSkiffServer } from '../cli/run-skiff.ts';

const cluster = adminCluster();
const rbac = (resource: string): ResourceRef => ({ group: 'rbac.authorization.k8s.io', version: 'v1', resource });

interface Snapshot {
  ref: ResourceRef;
  name: string;
  namespace?: string;
  object: KubeObject;
}

async function snapshot(ref: ResourceRef, name: string, namespace?: string): Promise<Snapshot> {
  return { ref, name, ...(namespace ? { namespace } : {}), object: await cluster.get(ref, name, namespace) };
}

async function resourceList(store: BackupStore, restore: string): Promise<Record<string, string[]>> {
  return (await store.getRestoreFile(restore, 'resourceList')) as Record<string, string[]>;
}

function countAction(list: Record<string, string[]>, action: string): number {
  return Object.values(list)
    .flat()
    .filter((e) => e.endsWith(`(${action})`)).length;
}

async function listNames(path: string): Promise<string[]> {
  const list = await cluster.client.request<{ items: KubeObject[] }>({ method: 'GET', path });
  return list.items.map((o) => o.metadata.name ?? '');
}

describe('restore controller', { concurrency: false }, () => {
  let server: TestServer;
  let store: BackupStore;
  const ns = uniqueName('rc');
  const copyNs = `${ns}-copy`;
  const dryNs = `${ns}-dry`;
  const plural = `rcwidgets${ns.slice(-6)}`;
  const backupName = uniqueName('rc-bk');
  let snapshots: Snapshot[] = [];
  const pvNames: string[] = [];

  before(async () => {
    server = await startTestServer(cluster);
    store = await defaultStore(server);
    const { clusterRoleName } = await createRichNamespace(cluster, ns, plural);
    // Retain, so the PVs can be deleted after the disaster and restored as they were (reference §4.5).
    for (const claim of ['web-data', 'pgdata-db-0']) {
      const pvc = await cluster.get(core('persistentvolumeclaims'), claim, ns);
      const pv = (pvc.spec as { volumeName: string }).volumeName;
      pvNames.push(pv);
      await cluster.patch(core('persistentvolumes'), { name: pv }, 'merge', {
        spec: { persistentVolumeReclaimPolicy: 'Retain' },
      });
    }
    const custom = { group: CRD_GROUP, version: 'v1', resource: plural };
    snapshots = [
      await snapshot(core('configmaps'), 'web-config', ns),
      await snapshot(core('configmaps'), 'db-config', ns),
      await snapshot(core('secrets'), 'web-secret', ns),
      await snapshot(core('serviceaccounts'), 'web-sa', ns),
      await snapshot(core('services'), 'web', ns),
      await snapshot(core('services'), 'db', ns),
      await snapshot(apps('deployments'), 'web', ns),
      await snapshot(apps('statefulsets'), 'db', ns),
      await snapshot(rbac('roles'), 'web-role', ns),
      await snapshot(rbac('rolebindings'), 'web-rb', ns),
      await snapshot(rbac('clusterroles'), clusterRoleName),
      await snapshot(rbac('clusterrolebindings'), `${ns}-reader`),
      await snapshot(custom, 'first', ns),
      await snapshot(custom, 'second', ns),
      ...(await Promise.all(pvNames.map((pv) => snapshot(core('persistentvolumes'), pv)))),
    ];
    const backup = await backupAndWait(cluster, server.namespace, backupName, { includedNamespaces: [ns] });
    assert.equal(backup.status?.phase, 'Completed', JSON.stringify(backup.status));
    // The disaster: the namespace, its cluster-scoped RBAC and its (retained) PVs are gone.
    await deleteNamespaceAndWait(cluster, ns);
    await cluster.delete(rbac('clusterroles'), clusterRoleName);
    await cluster.delete(rbac('clusterrolebindings'), `${ns}-reader`);
    for (const pv of pvNames) await cluster.delete(core('persistentvolumes'), pv);
    await waitFor('the PVs to be gone', async () => {
      for (const pv of pvNames) if (await cluster.find(core('persistentvolumes'), pv)) return false;
      return true;
    });
  });

  after(async () => {
    for (const n of [ns, copyNs, dryNs]) await cluster.delete(core('namespaces'), n).catch(() => undefined);
    for (const pv of pvNames) await cluster.delete(core('persistentvolumes'), pv).catch(() => undefined);
    await server.stop();
  });

  test('a lost namespace comes back: equal objects, pods on kwok nodes, PVCs bound to the restored PVs', async () => {
    const restore = await restoreAndWait(cluster, server.namespace, 'rc-full', { backupName });
    assert.equal(restore.status?.phase, 'Completed', JSON.stringify(restore.status));
    assert.equal(restore.status.errors, 0);
    assert.ok(restore.metadata.finalizers?.includes('restores.velero.io/external-resources-finalizer'));
    assert.ok(restore.status.startTimestamp && restore.status.completionTimestamp);
    assert.equal(restore.status.progress?.itemsRestored, restore.status.progress?.totalItems);
    await waitFor('the PVCs to bind to the restored PVs', async () => {
      for (const [i, claim] of ['web-data', 'pgdata-db-0'].entries()) {
        const pvc = await cluster.get(core('persistentvolumeclaims'), claim, ns);
        const bound = (pvc.status as { phase?: string }).phase === 'Bound';
        if (!bound || (pvc.spec as { volumeName?: string }).volumeName !== pvNames[i]) return false;
      }
      return true;
    });
    for (const s of snapshots) {
      const live = await cluster.get(s.ref, s.name, s.namespace);
      assert.deepEqual(restorableView(live), restorableView(s.object), `${s.ref.resource} ${s.name}`);
    }
    const nodes = loadTestEnv().nodes;
    await waitFor('the web pods to run on kwok nodes', async () => {
      const pods = await cluster.client.request<{ items: KubeObject[] }>({
        method: 'GET',
        path: `/api/v1/namespaces/${ns}/pods?labelSelector=app%3Dweb`,
      });
      const running = pods.items.filter(
        (p) =>
          (p.status as { phase?: string }).phase === 'Running' &&
          nodes.includes((p.spec as { nodeName?: string }).nodeName ?? '') &&
          !p.metadata.deletionTimestamp,
      );
      return running.length === 2;
    });
    const list = await resourceList(store, 'rc-full');
    assert.deepEqual(list['v1/ConfigMap']?.filter((e) => !e.includes('kube-root-ca.crt')).sort(), [
      `${ns}/db-config(created)`,
      `${ns}/web-config(created)`,
    ]);
  });

  test('namespace mapping restores into a new namespace next to the original; cluster objects are not duplicated', async () => {
    // Whatever state the original is in (lost, or restored by another test), the mapping leaves it so.
    const original = await cluster.find(core('configmaps'), 'web-config', ns);
    const restore = await restoreAndWait(cluster, server.namespace, 'rc-map', {
      backupName,
      namespaceMapping: { [ns]: copyNs },
      excludedResources: ['persistentvolumeclaims', 'persistentvolumes', 'pods', 'statefulsets.apps'],
    });
    assert.equal(restore.status?.phase, 'Completed', JSON.stringify(restore.status));
    assert.equal(restore.status.errors ?? 0, 0);
    const mapped = snapshots.filter(
      (b) => b.namespace !== undefined && !['statefulsets', 'rolebindings'].includes(b.ref.resource),
    );
    assert.ok(
      mapped.length >= 9,
      'ConfigMaps, Secret, ServiceAccount, Services, Deployment, Role and custom resources',
    );
    for (const s of mapped) {
      // The copy is the original in another namespace (the RoleBinding's subjects change too: checked below).
      const copy = restorableView(await cluster.get(s.ref, s.name, copyNs));
      assert.equal(copy.metadata.namespace, copyNs);
      const original = restorableView(s.object);
      assert.deepEqual(
        { ...copy, metadata: { ...copy.metadata, namespace: ns } },
        original,
        `${s.ref.resource} ${s.name} in ${copyNs}`,
      );
    }
    assert.deepEqual((await cluster.get(core('configmaps'), 'web-config', copyNs)).data, { greeting: 'hello' });
    const rb = await cluster.get(rbac('rolebindings'), 'web-rb', copyNs);
    assert.equal((rb.subjects as { namespace: string }[])[0]?.namespace, copyNs, 'subjects follow the mapping');
    const after = await cluster.find(core('configmaps'), 'web-config', ns);
    assert.equal(after?.metadata.resourceVersion, original?.metadata.resourceVersion, 'the original is untouched');
    // Not "the cluster's ClusterRoles and PVs are the same before and after": other test files create and
    // delete theirs meanwhile. What this restore would have created carries its restore-name label.
    const mine = encodeURIComponent('velero.io/restore-name=rc-map');
    for (const path of [
      '/apis/rbac.authorization.k8s.io/v1/clusterroles',
      '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
      '/api/v1/persistentvolumes',
    ]) {
      assert.deepEqual(await listNames(`${path}?labelSelector=${mine}`), [], `no ${path.split('/').pop()} created`);
    }
    const list = await resourceList(store, 'rc-map');
    for (const kind of [
      'rbac.authorization.k8s.io/v1/ClusterRole',
      'rbac.authorization.k8s.io/v1/ClusterRoleBinding',
    ]) {
      assert.ok(!(list[kind] ?? []).some((e) => e.endsWith('(created)')), `${kind}: ${JSON.stringify(list[kind])}`);
    }
  });

  test('existing-resource policy: none warns and keeps the change, update replaces it, identical is quiet', async () => {
    const only = { backupName, includedNamespaces: [ns], includedResources: ['configmaps'] };
    // The ConfigMaps as backed up, whether or not another test restored them already.
    const base = await restoreAndWait(cluster, server.namespace, 'rc-base', only);
    assert.equal(base.status?.phase, 'Completed', JSON.stringify(base.status));
    await cluster.patch(core('configmaps'), { name: 'web-config', namespace: ns }, 'merge', {
      data: { greeting: 'changed' },
    });
    const none = await restoreAndWait(cluster, server.namespace, 'rc-none', only);
    assert.equal(none.status?.phase, 'Completed', JSON.stringify(none.status));
    assert.ok((none.status.warnings ?? 0) > 0, 'a warning about the changed ConfigMap');
    assert.deepEqual((await cluster.get(core('configmaps'), 'web-config', ns)).data, { greeting: 'changed' });
    const update = await restoreAndWait(cluster, server.namespace, 'rc-update', {
      ...only,
      existingResourcePolicy: 'update',
    });
    assert.equal(update.status?.phase, 'Completed', JSON.stringify(update.status));
    assert.deepEqual((await cluster.get(core('configmaps'), 'web-config', ns)).data, { greeting: 'hello' });
    assert.ok((await resourceList(store, 'rc-update'))['v1/ConfigMap']?.includes(`${ns}/web-config(updated)`));
    const same = await restoreAndWait(cluster, server.namespace, 'rc-same', only);
    assert.equal(same.status?.phase, 'Completed');
    assert.equal(same.status.warnings ?? 0, 0, 'nothing differs, so nothing to warn about');
  });

  test('the dry run plans exactly what the restore then does', async () => {
    // Only labelled objects: kube-root-ca.crt is written by a controller as soon as the namespace
    // exists, so whether the restore or the controller creates it first is a race no plan can call.
    const spec = {
      backupName,
      namespaceMapping: { [ns]: dryNs },
      includedResources: ['configmaps', 'secrets'],
      labelSelector: { matchExpressions: [{ key: 'app', operator: 'Exists' }] },
    };
    const locations = new LocationResolver(cluster, server.namespace, undefined);
    const source = await resolveRestoreSource({ cluster, namespace: server.namespace, locations }, spec);
    if ('errors' in source) assert.fail(source.errors.join('; '));
    const plan = await planRestoreForCluster(
      { cluster, store: source.store, veleroNamespace: server.namespace },
      { apiVersion: 'velero.io/v1', kind: 'Restore', metadata: { name: 'rc-dry' }, spec: source.spec },
    );
    const totals = planTotals(plan);
    assert.equal(await cluster.find(core('namespaces'), dryNs), undefined, 'the dry run wrote nothing');
    const restore = await restoreAndWait(cluster, server.namespace, 'rc-dry', spec);
    assert.equal(restore.status?.phase, 'Completed', JSON.stringify(restore.status));
    const list = await resourceList(store, 'rc-dry');
    assert.deepEqual(list['v1/ConfigMap']?.sort(), [`${dryNs}/db-config(created)`, `${dryNs}/web-config(created)`]);
    assert.deepEqual(list['v1/Secret'], [`${dryNs}/web-secret(created)`]);
    assert.deepEqual(list['v1/Namespace'], [`${dryNs}(created)`]);
    assert.equal(countAction(list, 'created'), totals.create, JSON.stringify(list));
    assert.equal(countAction(list, 'skipped'), totals.skip - countSkipsNotRecorded(plan));
    assert.equal(restore.status.progress?.itemsRestored, Object.values(list).flat().length);
  });

  test('a restore that fails validation lists every problem', async () => {
    const restore = await restoreAndWait(cluster, server.namespace, 'rc-bad', {
      backupName: 'no-such-backup',
      existingResourcePolicy: 'sometimes',
    });
    assert.equal(restore.status?.phase, 'FailedValidation');
    const errors = restore.status.validationErrors ?? [];
    assert.ok(errors.some((e) => e.includes('existingResourcePolicy')));
    assert.ok(errors.some((e) => e.includes('no-such-backup')));
  });

  test('deleting a restore removes its files from the bucket, then the Restore', async () => {
    const own = await restoreAndWait(cluster, server.namespace, 'rc-del', {
      backupName,
      includedNamespaces: [ns],
      includedResources: ['configmaps'],
    });
    assert.equal(own.status?.phase, 'Completed', JSON.stringify(own.status));
    assert.ok(await store.getRestoreFile('rc-del', 'results'));
    await cluster.delete(resourceRef(Kinds.Restore), 'rc-del', server.namespace);
    await waitFor('the restore to be gone', async () => {
      return (await cluster.find(resourceRef(Kinds.Restore), 'rc-del', server.namespace)) === undefined;
    });
    assert.ok(!(await store.listRestores()).includes('rc-del'));
  });
});

/** Skips that are not restore records (filtered out, existing namespaces) never reach the resource list. */
function countSkipsNotRecorded(plan: Awaited<ReturnType<typeof planRestoreForCluster>>): number {
  return plan.tiers
    .flatMap((t) => t.operations)
    .filter((op) => op.kind === 'skip' && ['excluded', 'non-restorable', 'exists'].includes(op.reason)).length;
}

describe('a restore survives the server being killed half-way', { concurrency: false }, () => {
  const COUNT = Number(process.env.SKIFF_RESUME_CONFIGMAPS ?? 2000);
  const serverNs = uniqueName('rc-kill');
  const ns = uniqueName('rc-many');
  const fsRoot = mkdtempSync(join(tmpdir(), 'skiff-rc-kill-'));
  const serverArgs = ['-n', serverNs, '--metrics-address', '', '--log-level', 'info'];
  let server: ReturnType<typeof startSkiffServer> | undefined;

  before(async () => {
    await createNamespace(cluster, serverNs);
    await createLocation(cluster, serverNs, 'default', {
      provider: 'filesystem',
      objectStorage: { bucket: 'skiff' },
      config: { path: fsRoot, createBucket: 'true' },
    });
    await createNamespace(cluster, ns);
    await pMap(
      Array.from({ length: COUNT }, (_, i) => i),
      (i) =>
        cluster.create(core('configmaps'), {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: `cm-${String(i).padStart(5, '0')}`, namespace: ns },
          data: { index: String(i) },
        }),
      { concurrency: 16 },
    );
  });

  after(async () => {
    await server?.stop();
    await cluster.delete(core('namespaces'), ns).catch(() => undefined);
    await cluster.delete(core('namespaces'), serverNs).catch(() => undefined);
    rmSync(fsRoot, { recursive: true, force: true });
  });

  test(`SIGKILL mid-restore of ${COUNT} ConfigMaps, restart: each comes back once and the counts add up`, async () => {
    server = startSkiffServer(serverArgs);
    await waitFor('the location to be Available', async () => {
      const bsl = (await cluster.get(
        resourceRef(Kinds.BackupStorageLocation),
        'default',
        serverNs,
      )) as BackupStorageLocation;
      return bsl.status?.phase === 'Available';
    });
    const backup = await backupAndWait(cluster, serverNs, 'many', { includedNamespaces: [ns] }, 300_000);
    assert.equal(backup.status?.phase, 'Completed');
    await deleteNamespaceAndWait(cluster, ns, 300_000);

    await createRestore(cluster, serverNs, 'many-restore', { backupName: 'many' });
    const seen = await waitFor(
      'the restore to be part-way',
      async () => {
        const p = (await getRestore(cluster, serverNs, 'many-restore')).status?.progress;
        const done = p?.itemsRestored ?? 0;
        return done > 0 && done < COUNT * 0.8 ? done : undefined;
      },
      120_000,
    );
    const killedPid = server.child.pid;
    server.child.kill('SIGKILL');
    await server.stop();
    // What the killed server could not remove: its restore's spool and its operation log.
    const leftBehind = readdirSync(tmpdir()).filter((n) => scratchOwner(n)?.pid === killedPid);
    assert.ok(leftBehind.length > 0, `the killed server (pid ${killedPid}) left no scratch folder to sweep`);
    const interrupted = await getRestore(cluster, serverNs, 'many-restore');
    assert.equal(interrupted.status?.phase, 'InProgress', `killed after ${seen} items`);
    const createdBeforeKill = (await listNames(`/api/v1/namespaces/${ns}/configmaps`)).length;
    assert.ok(createdBeforeKill < COUNT, `the kill came too late: ${createdBeforeKill} ConfigMaps already there`);

    server = startSkiffServer(serverArgs);
    const done = await waitForRestoreDone(cluster, serverNs, 'many-restore', 300_000);
    assert.deepEqual(
      leftBehind.filter((n) => existsSync(join(tmpdir(), n))),
      [],
      "the restarted server removes the killed one's scratch folders",
    );
    assert.equal(done.status?.phase, 'Completed', `${JSON.stringify(done.status)}\n${server.logs()}`);
    assert.equal(done.status.errors ?? 0, 0);
    assert.equal(done.status.progress?.itemsRestored, done.status.progress?.totalItems);
    const names = (await listNames(`/api/v1/namespaces/${ns}/configmaps`)).filter((n) => n !== 'kube-root-ca.crt');
    assert.equal(names.length, COUNT);
    assert.equal(new Set(names).size, COUNT);
    const list = await cluster.client.request<{ items: KubeObject[] }>({
      method: 'GET',
      path: `/api/v1/namespaces/${ns}/configmaps?labelSelector=velero.io%2Frestore-name%3Dmany-restore`,
    });
    assert.equal(list.items.length, COUNT, 'every ConfigMap carries the restore label');
    const files = new BackupStore(new FilesystemObjectStore(fsRoot, 'skiff'), undefined);
    const created = (await resourceList(files, 'many-restore'))['v1/ConfigMap']?.filter((e) => e.endsWith('(created)'));
    assert.equal(created?.length, COUNT, 'the resumed run counts what the killed one created as created');
  });
});
