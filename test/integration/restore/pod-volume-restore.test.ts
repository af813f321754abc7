/**
 * Restore of pod volume data against the real cluster and MinIO, through the server
 * (reference §6.5): restore-wait holds the restored pod until its PodVolumeRestores are done,
 * a failed one is a restore error. The node agent's part is played by fake-node-agent.ts;
 * `skiff restore-helper` runs for real (the pod agent runs it, scripts/testenv/restore-wait.ts).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Kinds, resourceRef } from '../../../src/api/kinds.ts';
import { veleroListType } from '../../../src/controllers/velero-types.ts';
import type { KubeObject } from '../../../src/kube/index.ts';
import type { BackupStore } from '../../../src/storage/index.ts';
import { adminCluster, core, createNamespace, deleteNamespaceAndWait, waitFor } from '../../helpers/cluster.ts';
import { startFakeNodeAgent, volumeDir } from '../../helpers/fake-node-agent.ts';
import { uniqueName } from '../../helpers/names.ts';
import { restoreLogLines } from '../../helpers/restore-log.ts';
import { loadTestEnv } from '../../helpers/testenv.ts';
import { skiffOk } from '../cli/run-skiff.ts';
import { restoreAndWait, waitForRestoreDone } from '../../helpers/restore-server.ts';
import { backupAndWait, defaultStore, startTestServer, type TestServer } from '../../helpers/skiff-server.ts';

const cluster = adminCluster();
let server: TestServer;
let store: BackupStore;

async function podRunning(namespace: string, name: string): Promise<KubeObject> {
  return waitFor(`pod ${namespace}/${name} Running`, async () => {
    const pod = await cluster.find(core('pods'), name, namespace);
    return (pod?.status as { phase?: string } | undefined)?.phase === 'Running' ? pod : undefined;
  });
}

/** A namespace with pod `db` (a node-local claim `data` and an emptyDir `scratch`), backed up, with PVB records, then deleted. */
async function backedUpPod(
  options: { keep?: boolean; extraPods?: string[]; resticData?: { repoIdentifier: string } } = {},
): Promise<{ ns: string; backup: string }> {
  const ns = uniqueName('fsr');
  const backup = uniqueName('bk');
  await createNamespace(cluster, ns);
  await cluster.create(core('persistentvolumeclaims'), {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'data', namespace: ns },
    spec: {
      storageClassName: 'node-local',
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '1Gi' } },
    },
  });
  await cluster.create(core('pods'), {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'db', namespace: ns, labels: { app: 'db' } },
    spec: {
      containers: [
        {
          name: 'db',
          image: 'postgres:17',
          volumeMounts: [
            { name: 'data', mountPath: '/var/lib/postgresql' },
            { name: 'scratch', mountPath: '/scratch' },
          ],
        },
      ],
      volumes: [
        { name: 'data', persistentVolumeClaim: { claimName: 'data' } },
        { name: 'scratch', emptyDir: {} },
      ],
    },
  });
  const pod = await podRunning(ns, 'db');
  const done = await backupAndWait(cluster, server.namespace, backup, { includedNamespaces: [ns] });
  assert.equal(done.status?.phase, 'Completed');
  // What the file-system backup records (contract §3): one PVB per volume, as it ended.
  const pvb = (volume: string): unknown => ({
    apiVersion: 'velero.io/v1',
    kind: 'PodVolumeBackup',
    metadata: {
      name: `${backup}-${volume}`,
      namespace: server.namespace,
      labels: { 'velero.io/backup-name': backup },
      ...(volume === 'data' ? { annotations: { 'velero.io/pvc-name': 'data' } } : {}),
    },
    spec: {
      node: (pod.spec as { nodeName: string }).nodeName,
      pod: { kind: 'Pod', namespace: ns, name: 'db', uid: pod.metadata.uid },
      volume,
      backupStorageLocation: 'default',
      ...(volume === 'data' && options.resticData
        ? { repoIdentifier: options.resticData.repoIdentifier, uploaderType: 'restic' }
        : { repoIdentifier: '', uploaderType: 'kopia' }),
    },
    status: { phase: 'Completed', snapshotID: `snap-${volume}`, progress: { totalBytes: 10, bytesDone: 10 } },
  });
  const extra = (options.extraPods ?? []).map((p) => {
    const record = pvb('scratch') as { spec: { pod: { name: string } } };
    record.spec.pod.name = p;
    return record;
  });
  await store.putBackupFile(backup, 'podVolumeBackups', [pvb('data'), pvb('scratch'), ...extra]);
  if (!options.keep) await deleteNamespaceAndWait(cluster, ns);
  return { ns, backup };
}

/** resourceVersion of every object in a namespace, by type and name (events left out: they are not restored state). */
async function resourceVersions(namespace: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const discovery = await cluster.discover(true);
  for (const type of discovery.preferred) {
    if (!type.namespaced || !type.verbs.includes('list') || type.resource === 'events') continue;
    for await (const o of cluster.list(type, { namespace })) {
      out[`${type.group}/${type.resource}/${o.metadata.name ?? ''}`] = o.metadata.resourceVersion ?? '';
    }
  }
  return out;
}

function pvrsOf(restore: string): Promise<KubeObject[]> {
  return (async () => {
    const out: KubeObject[] = [];
    for await (const o of cluster.list(veleroListType(Kinds.PodVolumeRestore), {
      namespace: server.namespace,
      labelSelector: `velero.io/restore-name=${restore}`,
    }))
      out.push(o);
    return out;
  })();
}

describe('restore of pod volumes (reference §6.5)', { concurrency: false }, () => {
  before(async () => {
    server = await startTestServer(cluster);
    store = await defaultStore(server);
  });
  after(async () => {
    await server.stop();
  });

  test('restore-wait holds the pod until every volume is restored; PVRs name the new pod; the PV is provisioned again', async () => {
    const { ns, backup } = await backedUpPod();
    const agent = startFakeNodeAgent(cluster, {
      namespace: server.namespace,
      files: { data: { 'base/PG_VERSION': '17\n' }, scratch: { 'tmp/a.txt': 'scratch data' } },
    });
    try {
      const dryRun = await skiffOk([
        'restore',
        'create',
        'would-be',
        '--from-backup',
        backup,
        '--dry-run',
        '-n',
        server.namespace,
      ]);
      assert.match(
        dryRun.stdout,
        /create +Pod .*\/db\n +restores volume data: snapshot snap-data \(kopia, 10 bytes\)\n +restores volume scratch/,
      );
      const name = uniqueName('rs');
      const restore = await restoreAndWait(cluster, server.namespace, name, {
        backupName: backup,
        uploaderConfig: { writeSparseFiles: true },
      });
      assert.equal(restore.status?.phase, 'Completed', JSON.stringify(restore.status));
      const pod = await podRunning(ns, 'db');
      const inits = (pod.spec as { initContainers: { name: string; args: string[] }[] }).initContainers;
      assert.equal(inits[0]?.name, 'restore-wait');
      assert.deepEqual(inits[0]?.args, [restore.metadata.uid]);
      // The data went in while the pod was held: its own containers had not started.
      assert.deepEqual(agent.handled.map((h) => [h.volume, h.podPhase, h.containersStarted]).sort(), [
        ['data', 'Pending', false],
        ['scratch', 'Pending', false],
      ]);
      const pvrs = await pvrsOf(name);
      assert.equal(pvrs.length, 2);
      for (const pvr of pvrs) {
        const spec = pvr.spec as Record<string, unknown>;
        assert.deepEqual(spec.pod, { kind: 'Pod', namespace: ns, name: 'db', uid: pod.metadata.uid });
        assert.equal(spec.sourceNamespace, ns);
        assert.equal(spec.snapshotID, `snap-${String(spec.volume)}`);
        assert.deepEqual(spec.uploaderSettings, { WriteSparseFiles: 'true' });
        assert.equal(pvr.metadata.labels?.['velero.io/restore-uid'], restore.metadata.uid);
        assert.equal(pvr.metadata.labels?.['velero.io/pod-uid'], pod.metadata.uid);
        assert.equal((pvr.status as { phase?: string }).phase, 'Completed');
      }
      // restore-helper removed the markers; the data stays.
      const scratch = await volumeDir(cluster, pod, 'scratch');
      assert.ok(scratch);
      assert.equal(readFileSync(join(scratch, 'tmp/a.txt'), 'utf8'), 'scratch data');
      assert.equal(existsSync(join(scratch, '.velero')), false);
      // The claim was provisioned again (its PV was not restored from the backup).
      const claim = await cluster.get(core('persistentvolumeclaims'), 'data', ns);
      const pvName = (claim.spec as { volumeName?: string }).volumeName;
      assert.ok(pvName);
      assert.equal(pvName, `pvc-${claim.metadata.uid ?? ''}`);
    } finally {
      await agent.stop();
      await deleteNamespaceAndWait(cluster, ns);
    }
  });

  test('a failed PodVolumeRestore makes the restore PartiallyFailed, naming pod, volume and message', async () => {
    const { ns, backup } = await backedUpPod();
    const agent = startFakeNodeAgent(cluster, {
      namespace: server.namespace,
      files: {},
      fail: { scratch: 'no space left on device' },
    });
    try {
      const name = uniqueName('rs');
      const restore = await restoreAndWait(cluster, server.namespace, name, { backupName: backup });
      assert.equal(restore.status?.phase, 'PartiallyFailed');
      const results = (await store.getRestoreFile(name, 'results')) as { errors: { velero?: string[] } };
      assert.deepEqual(results.errors.velero, [
        `pod volume restore of pod ${ns}/db volume scratch failed: failed: no space left on device`,
      ]);
      // The pod is still held: its data never arrived.
      const pod = await cluster.get(core('pods'), 'db', ns);
      assert.equal((pod.status as { phase?: string }).phase, 'Pending');
    } finally {
      await agent.stop();
      await deleteNamespaceAndWait(cluster, ns);
    }
  });

  test('a data-only restore puts the data into the running pod and changes no resourceVersion', async () => {
    const { ns, backup } = await backedUpPod({ keep: true, extraPods: ['gone'] });
    const agent = startFakeNodeAgent(cluster, {
      namespace: server.namespace,
      files: { data: { 'base/PG_VERSION': '17\n' }, scratch: { 'tmp/a.txt': 'scratch data' } },
    });
    try {
      const before = await resourceVersions(ns);
      assert.ok(Object.keys(before).some((k) => k.endsWith('/pods/db')));
      const dryRun = await skiffOk([
        ...['restore', 'create', 'would-be', '--from-backup', backup, '--include-namespaces', ns],
        ...['--data-only', '--dry-run', '-n', server.namespace],
      ]);
      assert.match(
        dryRun.stdout,
        new RegExp(`pod ${ns}/db\n {4}volume data: snapshot snap-data \\(kopia, 10 bytes\\)`),
      );
      assert.match(dryRun.stdout, new RegExp(`pod ${ns}/gone no longer exists`));
      const name = uniqueName('rs');
      await cluster.create(resourceRef(Kinds.Restore), {
        apiVersion: 'velero.io/v1',
        kind: 'Restore',
        metadata: { name, namespace: server.namespace, annotations: { 'skiff.io/data-only': 'true' } },
        spec: { backupName: backup, includedNamespaces: [ns] },
      });
      const restore = await waitForRestoreDone(cluster, server.namespace, name);
      assert.equal(restore.status?.phase, 'Completed', JSON.stringify(restore.status));
      assert.deepEqual(await resourceVersions(ns), before);
      const pod = await cluster.get(core('pods'), 'db', ns);
      for (const [volume, file, content] of [
        ['data', 'base/PG_VERSION', '17\n'],
        ['scratch', 'tmp/a.txt', 'scratch data'],
      ] as const) {
        const dir = await volumeDir(cluster, pod, volume);
        assert.ok(dir);
        assert.equal(readFileSync(join(dir, file), 'utf8'), content);
      }
      const pvrs = await pvrsOf(name);
      assert.equal(pvrs.length, 2);
      for (const pvr of pvrs) {
        assert.equal(pvr.metadata.annotations?.['skiff.io/data-only'], 'true');
        assert.equal((pvr.spec as { pod: { uid: string } }).pod.uid, pod.metadata.uid);
      }
      const results = (await store.getRestoreFile(name, 'results')) as { warnings: { velero?: string[] } };
      assert.deepEqual(results.warnings.velero, [
        `pod ${ns}/gone no longer exists: the data of its volume(s) scratch is not restored`,
      ]);
    } finally {
      await agent.stop();
      await deleteNamespaceAndWait(cluster, ns);
    }
  });

  test('a data-only restore with options it cannot honour fails validation naming them', async () => {
    const name = uniqueName('rs');
    await cluster.create(resourceRef(Kinds.Restore), {
      apiVersion: 'velero.io/v1',
      kind: 'Restore',
      metadata: { name, namespace: server.namespace, annotations: { 'skiff.io/data-only': 'true' } },
      spec: { backupName: 'whatever', existingResourcePolicy: 'update', includedResources: ['pods'] },
    });
    const restore = await waitForRestoreDone(cluster, server.namespace, name);
    assert.equal(restore.status?.phase, 'FailedValidation');
    const errors = restore.status?.validationErrors ?? [];
    assert.ok(
      errors.some((e) => e.startsWith('spec.includedResources cannot be used with a data-only restore')),
      errors.join('\n'),
    );
    assert.ok(errors.some((e) => e.startsWith('spec.existingResourcePolicy cannot be used with a data-only restore')));
  });

  test("a restic volume's PodVolumeRestore names the location's repository now, not the URL the backup recorded", async () => {
    // The backup was taken where the bucket was reached at another address (another cluster's s3Url).
    const recorded = 's3:http://minio.old-cluster:9000/velero/restic/shop';
    const { ns, backup } = await backedUpPod({ resticData: { repoIdentifier: recorded } });
    const agent = startFakeNodeAgent(cluster, {
      namespace: server.namespace,
      files: { data: { 'base/PG_VERSION': '17\n' }, scratch: { 'tmp/a.txt': 'scratch data' } },
    });
    try {
      const name = uniqueName('rs');
      const restore = await restoreAndWait(cluster, server.namespace, name, { backupName: backup });
      assert.equal(restore.status?.phase, 'Completed', JSON.stringify(restore.status));
      const env = loadTestEnv();
      const current = `s3:${env.s3.endpoint}/${env.s3.bucket}/${server.prefix}/restic/${ns}`;
      const byVolume = new Map((await pvrsOf(name)).map((p) => [(p.spec as { volume: string }).volume, p]));
      const data = byVolume.get('data')?.spec as { repoIdentifier?: string; uploaderType?: string } | undefined;
      assert.deepEqual([data?.uploaderType, data?.repoIdentifier], ['restic', current]);
      assert.equal((byVolume.get('scratch')?.spec as { repoIdentifier?: string }).repoIdentifier, '', 'kopia: none');
      const lines = await restoreLogLines(store, name);
      assert.ok(
        lines.some(
          (l) => l.includes('the backup recorded restic repository') && l.includes(recorded) && l.includes(current),
        ),
        lines.join('\n'),
      );
    } finally {
      await agent.stop();
      await deleteNamespaceAndWait(cluster, ns);
    }
  });
});
