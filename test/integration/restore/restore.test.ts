/**
 * Restores against the real cluster: a tarball laid out as Velero writes it, from objects
 * read off the API server, put into a filesystem BackupStore and restored with runRestore.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Restore, RestoreSpec } from '../../../src/api/index.ts';
import type { KubeObject } from '../../../src/kube/index.ts';
import {
  formatRestorePlan,
  planRestoreForCluster,
  runRestore,
  type RestoreRunDeps,
} from '../../../src/restore/index.ts';
import { BackupStore } from '../../../src/storage/index.ts';
import { readAll } from '../../../src/storage/object-store.ts';
import { FilesystemObjectStore } from '../../../src/storage/providers/filesystem/index.ts';
import { systemClock } from '../../../src/util/clock.ts';
import { aBackupArchive } from '../../helpers/archive-builder.ts';
import { adminCluster, apps, core, waitFor } from '../../helpers/cluster.ts';
import { uniqueName } from '../../helpers/names.ts';
import {
  backupTarball,
  createRestoreSource,
  deleteRestoreSource,
  phase,
  type SourceObjects,
} from '../../helpers/restore-source.ts';

const cluster = adminCluster();
const ns = uniqueName('rst');
const copyNs = `${ns}-copy`;
const backupName = uniqueName('bk');
let source: SourceObjects;
let root = '';
let spoolParent = '';
let deps: RestoreRunDeps;

function aRestore(name: string, spec: Partial<RestoreSpec> = {}): Restore {
  return {
    apiVersion: 'velero.io/v1',
    kind: 'Restore',
    metadata: { name, namespace: 'velero' },
    spec: { backupName, ...spec },
  };
}

const SERVER_SET = ['uid', 'resourceVersion', 'creationTimestamp', 'generation', 'managedFields', 'selfLink'];
function comparable(obj: KubeObject | undefined): unknown {
  assert.ok(obj, 'object exists');
  const copy = structuredClone(obj);
  for (const k of SERVER_SET) delete copy.metadata[k];
  delete copy.status;
  const labels = { ...copy.metadata.labels };
  delete labels['velero.io/backup-name'];
  delete labels['velero.io/restore-name'];
  copy.metadata.labels = labels;
  return copy;
}

async function resourceList(store: BackupStore, restoreName: string): Promise<Record<string, string[]>> {
  return (await store.getRestoreFile(restoreName, 'resourceList')) as Record<string, string[]>;
}

describe('restore from a Velero-layout tarball', { concurrency: false }, () => {
  before(async () => {
    source = await createRestoreSource(cluster, ns);
    root = await mkdtemp(join(tmpdir(), 'skiff-restore-store-'));
    spoolParent = await mkdtemp(join(tmpdir(), 'skiff-restore-spool-'));
    await mkdir(join(root, 'bucket'));
    const store = new BackupStore(new FilesystemObjectStore(root, 'bucket'), 'prefix');
    await store.putBackupContents(backupName, await backupTarball(source));
    deps = {
      cluster,
      store,
      clock: systemClock,
      tempDir: spoolParent,
      concurrency: 4,
      pollIntervalMs: 250,
    };
    await deleteRestoreSource(cluster, source);
  });
  after(async () => {
    await deleteRestoreSource(cluster, source, [copyNs]).catch(() => undefined);
    await rm(root, { recursive: true, force: true });
    await rm(spoolParent, { recursive: true, force: true });
  });

  test('the dry run prints the plan and writes nothing', async () => {
    const plan = await planRestoreForCluster(deps, aRestore('dry'));
    const text = formatRestorePlan(plan);
    assert.match(text, /Tier 1: customresourcedefinitions\.apiextensions\.k8s\.io \(then wait until Established\)/);
    assert.match(text, new RegExp(`create {3}Namespace ${ns}`));
    assert.equal(await cluster.find(core('namespaces'), ns), undefined);
  });

  test('a tarball that is not the one expected (a tenant seal names it) is refused before anything is planned', async () => {
    const stored = await readAll(await deps.store.getBackupContents(backupName));
    const sha256 = createHash('sha256').update(stored).digest('hex');
    const expecting = (digest: string): RestoreRunDeps => ({
      ...deps,
      expectedContent: { sha256: digest, mismatch: () => new Error('not the sealed tarball') },
    });
    const plan = await planRestoreForCluster(expecting(sha256), aRestore('dry-sealed'));
    assert.ok(plan.tiers.length > 0);
    await assert.rejects(
      planRestoreForCluster(expecting('0'.repeat(64)), aRestore('dry-other')),
      /not the sealed tarball/,
    );
    assert.deepEqual(await readdir(spoolParent), []);
  });

  test('everything comes back: equal objects, running deployment, PVC bound to the restored PV', async () => {
    const outcome = await runRestore(deps, aRestore('r1'));
    assert.equal(outcome.phase, 'Completed', JSON.stringify(outcome));
    assert.equal(outcome.errors, 0);
    for (const { ref, object } of source.objects) {
      if (
        ['services', 'persistentvolumeclaims', 'persistentvolumes', 'namespaces', 'customresourcedefinitions'].includes(
          ref.resource,
        )
      )
        continue;
      const live = await cluster.get(ref, object.metadata.name ?? '', object.metadata.namespace);
      assert.deepEqual(comparable(live), comparable(object), `${ref.resource} ${object.metadata.name}`);
      assert.equal(live.metadata.labels?.['velero.io/restore-name'], 'r1');
      assert.equal(live.metadata.labels?.['velero.io/backup-name'], backupName);
    }
    const svc = await cluster.get(core('services'), 'web', ns);
    assert.equal((svc.spec as { type: string }).type, 'NodePort');
    await waitFor('the deployment to be ready', async () => {
      const d = await cluster.get(apps('deployments'), 'web', ns);
      return (d.status as { readyReplicas?: number }).readyReplicas === 1;
    });
    await waitFor('the PVC to bind to the restored PV', async () => {
      const pvc = await cluster.get(core('persistentvolumeclaims'), 'data', ns);
      return phase(pvc) === 'Bound' && (pvc.spec as { volumeName?: string }).volumeName === source.pvName;
    });
    const list = await resourceList(deps.store, 'r1');
    assert.deepEqual(list['v1/ConfigMap'], [`${ns}/web-config(created)`]);
    assert.deepEqual(list['v1/Namespace'], [`${ns}(created)`]);
    assert.deepEqual(list['v1/PersistentVolume'], [`${source.pvName}(created)`]);
    assert.deepEqual(await readdir(spoolParent), [], 'the spool directory is removed');
  });

  test('restoring the same backup again skips everything as identical and duplicates nothing', async () => {
    // A new restore name: re-running `r1` itself would be a resume, which counts r1's objects as created.
    const outcome = await runRestore(deps, aRestore('r1-again'));
    assert.equal(outcome.phase, 'Completed');
    assert.equal(outcome.warnings, 0, JSON.stringify(await deps.store.getRestoreFile('r1-again', 'results')));
    const list = await resourceList(deps.store, 'r1-again');
    const entries = Object.values(list).flat();
    assert.ok(entries.length >= 8);
    assert.deepEqual(
      entries.filter((e) => !e.endsWith('(skipped)')),
      [],
    );
    const deployments = await cluster.client.request<{ items: unknown[] }>({
      method: 'GET',
      path: `/apis/apps/v1/namespaces/${ns}/deployments`,
    });
    assert.equal(deployments.items.length, 1);
  });

  test('namespace mapping restores into a new namespace and leaves the original untouched', async () => {
    const before = await cluster.get(core('configmaps'), 'web-config', ns);
    const outcome = await runRestore(
      deps,
      aRestore('r-map', {
        namespaceMapping: { [ns]: copyNs },
        includedResources: ['configmaps', 'secrets', 'services', 'deployments'],
      }),
    );
    assert.equal(outcome.phase, 'Completed', JSON.stringify(outcome));
    const copy = await cluster.get(core('configmaps'), 'web-config', copyNs);
    assert.deepEqual(copy.data, { greeting: 'hello' });
    assert.equal((await cluster.get(core('namespaces'), copyNs)).metadata.labels?.team, 'restore-tests');
    const after = await cluster.get(core('configmaps'), 'web-config', ns);
    assert.equal(after.metadata.resourceVersion, before.metadata.resourceVersion);
  });

  test('policy none warns about a changed ConfigMap; policy update patches it back', async () => {
    await cluster.patch(core('configmaps'), { name: 'web-config', namespace: ns }, 'merge', {
      data: { greeting: 'changed' },
    });
    const none = await runRestore(
      deps,
      aRestore('r-none', { includedResources: ['configmaps'], includedNamespaces: [ns] }),
    );
    assert.equal(none.phase, 'Completed');
    assert.equal(none.warnings, 1);
    const results = (await deps.store.getRestoreFile('r-none', 'results')) as {
      warnings: { namespaces: Record<string, string[]> };
    };
    assert.match(results.warnings.namespaces[ns]?.[0] ?? '', /ConfigMap "web-config" already exists/);
    assert.deepEqual((await cluster.get(core('configmaps'), 'web-config', ns)).data, { greeting: 'changed' });
    const update = await runRestore(
      deps,
      aRestore('r-update', {
        includedResources: ['configmaps'],
        includedNamespaces: [ns],
        existingResourcePolicy: 'update',
      }),
    );
    assert.equal(update.phase, 'Completed', JSON.stringify(update));
    const cm = await cluster.get(core('configmaps'), 'web-config', ns);
    assert.deepEqual(cm.data, { greeting: 'hello' });
    assert.equal(cm.metadata.labels?.['velero.io/restore-name'], 'r-update');
    assert.deepEqual((await resourceList(deps.store, 'r-update'))['v1/ConfigMap'], [`${ns}/web-config(updated)`]);
  });

  test('a hostile tarball fails the restore with a clear error and writes nothing outside the spool', async () => {
    const hostileBackup = uniqueName('evil');
    const escape = `skiff-escape-${hostileBackup}.json`;
    const tarball = await aBackupArchive()
      .item({
        resource: 'configmaps',
        namespace: ns,
        name: 'fine',
        object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'fine' } },
      })
      .file(`resources/configmaps/namespaces/${ns}/../../../../../../tmp/${escape}`, '{}')
      .gzip();
    await deps.store.putBackupContents(hostileBackup, tarball);
    const outcome = await runRestore(deps, { ...aRestore('r-evil'), spec: { backupName: hostileBackup } });
    assert.equal(outcome.phase, 'Failed');
    assert.match(outcome.failureReason ?? '', /\.\." segment/);
    assert.deepEqual(await readdir(spoolParent), []);
    await assert.rejects(readdir(join('/tmp', escape)));
    assert.equal(
      await cluster.find(core('configmaps'), 'fine', ns),
      undefined,
      'nothing from a rejected tarball is restored',
    );
  });
});
