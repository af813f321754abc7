/**
 * Issue 14's restore acceptance, end to end with the real node agent and kopia: a pod with a
 * node-local claim and an emptyDir, backed up with file-system backups, namespace and data
 * deleted, restored by the server: each tree comes back identical (SHA-256), restore-wait held
 * the pod's containers until the data was in, the PodVolumeRestores are Completed. Then a
 * data-only restore into the running pod brings back deleted files and changes no object.
 * The PodVolumeBackups are made by hand here, as the backup would (contract §3).
 */
import assert from 'node:assert/strict';
import { rm, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Kinds, resourceRef } from '../../../src/api/kinds.ts';
import { veleroListType } from '../../../src/controllers/velero-types.ts';
import type { KubeObject } from '../../../src/kube/index.ts';
import { ensureRepository } from '../../../src/volumes/repository/index.ts';
import { adminCluster, core, createNamespace, deleteNamespaceAndWait, waitFor } from '../../helpers/cluster.ts';
import { digestTree, makeRichTree, treeSum } from '../../helpers/file-tree.ts';
import { volumeDir } from '../../helpers/fake-node-agent.ts';
import { uniqueName } from '../../helpers/names.ts';
import { startNodeAgents, useTestUploaderBinaries, type NodeAgents } from '../../helpers/node-agents.ts';
import { createPodVolumeBackup, PVB, waitForPodVolumeBackup } from '../../helpers/pod-volume-objects.ts';
import { restoreAndWait, waitForRestoreDone } from '../../helpers/restore-server.ts';
import { backupAndWait, defaultStore, startTestServer, type TestServer } from '../../helpers/skiff-server.ts';
import { createVolumePod } from '../../helpers/volume-pods.ts';

const cluster = adminCluster();
const VOLUMES = ['data', 'cache'] as const;

async function resourceVersions(namespace: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const type of (await cluster.discover(true)).preferred) {
    if (!type.namespaced || !type.verbs.includes('list') || type.resource === 'events') continue;
    for await (const o of cluster.list(type, { namespace })) {
      out[`${type.group}/${type.resource}/${o.metadata.name ?? ''}`] = o.metadata.resourceVersion ?? '';
    }
  }
  return out;
}

async function pvrsOf(server: TestServer, restore: string): Promise<KubeObject[]> {
  const out: KubeObject[] = [];
  const labelSelector = `velero.io/restore-name=${restore}`;
  for await (const o of cluster.list(veleroListType(Kinds.PodVolumeRestore), {
    namespace: server.namespace,
    labelSelector,
  }))
    out.push(o);
  return out;
}

describe('file-system restore end to end (node agent, kopia)', { concurrency: false }, () => {
  let server: TestServer;
  let agents: NodeAgents;
  before(async () => {
    useTestUploaderBinaries();
    server = await startTestServer(cluster);
    agents = await startNodeAgents({ namespace: server.namespace });
  });
  after(async () => {
    await agents?.stop();
    await server?.stop();
  });

  test('identical trees after namespace and data are deleted; restore-wait held the pod; then data-only', async () => {
    const ns = uniqueName('fse2e');
    await createNamespace(cluster, ns);
    const source = await createVolumePod(cluster, ns, 'app', { claims: ['data'], emptyDirs: ['cache'] });
    const want: Record<string, string> = {};
    for (const v of VOLUMES) {
      const dir = await source.volumeDir(v);
      await makeRichTree(dir, { largeBytes: 4 * 1024 * 1024, sparseBytes: 8 * 1024 * 1024 });
      want[v] = treeSum(await digestTree(dir));
    }
    // The file-system backup's part (contract §3), then the Skiff backup of the objects.
    await ensureRepository(cluster, server.namespace, { volumeNamespace: ns, location: 'default', type: 'kopia' });
    const pvbs: unknown[] = [];
    for (const v of VOLUMES) {
      const name = await createPodVolumeBackup(cluster, server.namespace, {
        pod: source,
        volume: v,
        uploaderType: 'kopia',
      });
      const done = await waitForPodVolumeBackup(cluster, server.namespace, name);
      assert.equal(done.status?.phase, 'Completed', `${done.status?.message}\n${agents.logs(source.node)}`);
      if (v === 'data') done.metadata.annotations = { ...done.metadata.annotations, 'velero.io/pvc-name': 'data' };
      pvbs.push(done);
    }
    const backup = uniqueName('bk');
    const b = await backupAndWait(cluster, server.namespace, backup, { includedNamespaces: [ns] });
    assert.equal(b.status?.phase, 'Completed');
    const store = await defaultStore(server);
    await store.putBackupFile(backup, 'podVolumeBackups', pvbs);
    for (const p of pvbs) await cluster.delete(PVB, (p as KubeObject).metadata.name ?? '', server.namespace);

    const sourceDirs = await Promise.all(VOLUMES.map((v) => source.volumeDir(v)));
    await deleteNamespaceAndWait(cluster, ns);
    for (const dir of sourceDirs) await rm(dir, { recursive: true, force: true });

    const restoreName = uniqueName('rs');
    const restore = await restoreAndWait(cluster, server.namespace, restoreName, { backupName: backup }, 300_000);
    assert.equal(restore.status?.phase, 'Completed', JSON.stringify(restore.status));
    const pod = await waitFor(`pod ${ns}/app Running`, async () => {
      const p = await cluster.find(core('pods'), 'app', ns);
      return (p?.status as { phase?: string } | undefined)?.phase === 'Running' ? p : undefined;
    });
    for (const v of VOLUMES) {
      const dir = await volumeDir(cluster, pod, v);
      assert.ok(dir);
      assert.equal(treeSum(await digestTree(dir)), want[v], `SHA-256 over volume ${v}`);
      assert.ok(!(await readdir(dir)).includes('.velero'), 'restore-helper removed the marker');
    }
    const pvrs = await pvrsOf(server, restoreName);
    assert.deepEqual(pvrs.map((p) => (p.status as { phase?: string }).phase).sort(), ['Completed', 'Completed']);
    // restore-wait held the pod: its container started no earlier than the last volume was done.
    const started = (pod.status as { containerStatuses: { state: { running: { startedAt: string } } }[] })
      .containerStatuses[0]?.state.running.startedAt;
    assert.ok(started);
    for (const p of pvrs) {
      const doneAt = (p.status as { completionTimestamp?: string }).completionTimestamp ?? '';
      assert.ok(Date.parse(started) >= Date.parse(doneAt), `container started ${started}, volume done ${doneAt}`);
    }

    // Data-only: files lost in the running pod come back, no object changes.
    const cacheDir = await volumeDir(cluster, pod, 'cache');
    assert.ok(cacheDir);
    await rm(join(cacheDir, 'docs'), { recursive: true, force: true });
    await writeFile(join(cacheDir, 'large.bin'), 'overwritten');
    const before = await resourceVersions(ns);
    const dataOnly = uniqueName('rs');
    await cluster.create(resourceRef(Kinds.Restore), {
      apiVersion: 'velero.io/v1',
      kind: 'Restore',
      metadata: { name: dataOnly, namespace: server.namespace, annotations: { 'skiff.io/data-only': 'true' } },
      spec: { backupName: backup },
    });
    const done = await waitForRestoreDone(cluster, server.namespace, dataOnly, 300_000);
    assert.equal(done.status?.phase, 'Completed', JSON.stringify(done.status));
    assert.deepEqual(await resourceVersions(ns), before);
    assert.equal(treeSum(await digestTree(cacheDir)), want.cache, 'SHA-256 over the cache volume after data-only');
    await deleteNamespaceAndWait(cluster, ns);
  });
});
