/**
 * File-system backup of a StatefulSet end to end, with the real node agents, kopia and restic
 * (issue 14 acceptance): 2 replicas, each volume ~1,000 small files and one 512 MiB file. The
 * backup takes exactly the annotated volumes, its PodVolumeBackups complete, they are recorded
 * in the bucket and the repository holds the data; then the namespace and its data are deleted,
 * the backup is restored, and a SHA-256 over each restored tree matches the original's.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { rm, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Kinds, type Backup, type PodVolumeBackup } from '../../../src/api/index.ts';
import { veleroListType } from '../../../src/controllers/velero-types.ts';
import { adminCluster, apps, createNamespace, deleteNamespaceAndWait } from '../../helpers/cluster.ts';
import { digestTree, treeSum, writeVolumeData, type TreeEntry } from '../../helpers/file-tree.ts';
import { uniqueName } from '../../helpers/names.ts';
import { claimDataDir, runningPods } from '../../helpers/volume-pods.ts';
import { startNodeAgents, useTestUploaderBinaries, type NodeAgents } from '../../helpers/node-agents.ts';
import { restoreAndWait } from '../../helpers/restore-server.ts';
import { testS3Client } from '../../helpers/s3.ts';
import { backupAndWait, defaultStore, startTestServer, type TestServer } from '../../helpers/skiff-server.ts';
import { loadTestEnv } from '../../helpers/testenv.ts';

const cluster = adminCluster();
const LARGE = 512 * 1024 * 1024;
const SMALL_FILES = 1000;
let server: TestServer;
let agents: NodeAgents;

/** ~1,000 small files in nested folders and one 512 MiB file, each folder with its own older time. */
async function fillVolume(dir: string, seed: string): Promise<void> {
  await writeVolumeData(dir, seed, { smallFiles: SMALL_FILES, folders: 20, largeBytes: LARGE });
  // Directories older than the files in them, each its own time: a restore must keep a
  // directory's own time, not the newest time inside it.
  for (let i = 0; i < 20; i++) {
    const when = new Date(Date.UTC(2023, 0, 1 + i, 12, 0, 0, 456));
    await utimes(join(dir, 'small', String(i)), when, when);
  }
  const top = new Date(Date.UTC(2022, 5, 1));
  await utimes(join(dir, 'small'), top, top);
}

/** The first few entries that differ between two digests, for a readable failure. */
function differences(a: readonly TreeEntry[], b: readonly TreeEntry[]): string[] {
  const byPath = new Map(b.map((e) => [e.path, e]));
  const out: string[] = [];
  for (const e of a) {
    const other = byPath.get(e.path);
    if (JSON.stringify(other) !== JSON.stringify(e))
      out.push(`${e.path}: ${JSON.stringify(e)} -> ${JSON.stringify(other)}`);
    byPath.delete(e.path);
  }
  for (const p of byPath.keys()) out.push(`${p}: only in the restored tree`);
  return out.slice(0, 5);
}

async function createStatefulSet(ns: string): Promise<void> {
  await cluster.create(apps('statefulsets'), {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'db', namespace: ns },
    spec: {
      replicas: 2,
      serviceName: 'db',
      selector: { matchLabels: { app: 'db' } },
      template: {
        metadata: {
          labels: { app: 'db' },
          annotations: { 'backup.velero.io/backup-volumes': 'data' },
        },
        spec: {
          containers: [
            {
              name: 'db',
              image: 'postgres:17',
              volumeMounts: [
                { name: 'data', mountPath: '/var/lib/postgresql' },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            },
          ],
          volumes: [{ name: 'tmp', emptyDir: {} }],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: 'data' },
          spec: {
            storageClassName: 'node-local',
            accessModes: ['ReadWriteOnce'],
            resources: { requests: { storage: '1Gi' } },
          },
        },
      ],
    },
  });
}

/** The backup's PVBs completed with the server's uploader, are recorded in the bucket, and the repository has data. */
async function assertBackedUp(name: string, backup: Backup, type: 'kopia' | 'restic', ns: string): Promise<void> {
  const pvbs: PodVolumeBackup[] = [];
  for await (const o of cluster.list(veleroListType(Kinds.PodVolumeBackup), {
    namespace: server.namespace,
    labelSelector: `velero.io/backup-uid=${backup.metadata.uid ?? ''}`,
  }))
    pvbs.push(o as PodVolumeBackup);
  // Only the annotated claim: the emptyDir tmp is not opted in.
  assert.deepEqual(pvbs.map((p) => `${p.spec.pod.name ?? ''}/${p.spec.volume}`).sort(), ['db-0/data', 'db-1/data']);
  for (const p of pvbs) {
    assert.equal(p.status?.phase, 'Completed', p.status?.message);
    assert.equal(p.spec.uploaderType, type);
    assert.ok((p.status?.progress?.totalBytes ?? 0) >= LARGE);
  }
  const stored = (await (await defaultStore(server)).getBackupFile(name, 'podVolumeBackups')) as PodVolumeBackup[];
  assert.deepEqual(stored.map((p) => [p.spec.pod.name, p.status?.phase, Boolean(p.status?.snapshotID)]).sort(), [
    ['db-0', 'Completed', true],
    ['db-1', 'Completed', true],
  ]);
  const env = loadTestEnv();
  const listed = await testS3Client().send(
    new ListObjectsV2Command({ Bucket: env.s3.bucket, Prefix: `${server.prefix}/${type}/${ns}/` }),
  );
  assert.ok((listed.KeyCount ?? 0) > 0, `the ${type} repository is under ${server.prefix}/${type}/${ns}/`);
}

describe('file-system backup of a StatefulSet with the node agents', { concurrency: false }, () => {
  before(async () => {
    useTestUploaderBinaries();
    server = await startTestServer(cluster);
    agents = await startNodeAgents({ namespace: server.namespace });
  });
  after(async () => {
    await agents?.stop();
    await server?.stop();
  });

  for (const type of ['kopia', 'restic'] as const) {
    // Everything identical with both tools, directories' own times included (kopia's through
    // Skiff's directory-times record).
    test(`${type}: 2 replicas × (1,000 files + 512 MiB) backed up, recorded, restored identical`, async () => {
      await server.restart({ uploaderType: type });
      const ns = uniqueName(`sts-${type}`);
      await createNamespace(cluster, ns);
      await createStatefulSet(ns);
      const pods = await runningPods(cluster, ns, 2);
      const trees = new Map<string, TreeEntry[]>();
      for (const pod of pods) {
        const dir = await claimDataDir(cluster, pod);
        await fillVolume(dir, `${ns}/${pod.metadata.name ?? ''}`);
        trees.set(pod.metadata.name ?? '', await digestTree(dir));
      }

      const name = uniqueName('b');
      const backup = await backupAndWait(cluster, server.namespace, name, { includedNamespaces: [ns] }, 900_000);
      assert.equal(backup.status?.phase, 'Completed', JSON.stringify(backup.status));
      await assertBackedUp(name, backup, type, ns);

      // Lose everything, then restore: the data comes back into the new pods' new claims.
      const dirsBefore = await Promise.all(pods.map((pod) => claimDataDir(cluster, pod)));
      await deleteNamespaceAndWait(cluster, ns);
      for (const d of dirsBefore) await rm(d, { recursive: true, force: true });
      const restore = await restoreAndWait(cluster, server.namespace, uniqueName('r'), { backupName: name }, 900_000);
      assert.equal(restore.status?.phase, 'Completed', JSON.stringify(restore.status));
      const restored = await runningPods(cluster, ns, 2);
      for (const pod of restored) {
        const before = trees.get(pod.metadata.name ?? '') ?? [];
        const now = await digestTree(await claimDataDir(cluster, pod), { skipVelero: true });
        const differ = differences(before, now);
        assert.deepEqual(differ, [], `${pod.metadata.name ?? ''}'s restored tree differs`);
        assert.equal(treeSum(now), treeSum(before), `SHA-256 of ${pod.metadata.name ?? ''}'s restored tree`);
      }
      await deleteNamespaceAndWait(cluster, ns);
    });
  }
});
