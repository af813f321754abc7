/**
 * CSI snapshot data movement, backup side (issue 16 acceptance; DATAMOVER-CONTRACT), on the test CSI stack with
 * real node agents: a claim holding files (one large) is backed up with `snapshotMoveData`; its DataUpload
 * completes with the kopia snapshot ID and the bytes, the data read back from the bucket's kopia repository is
 * the snapshot's tree (SHA-256), what was written after the snapshot is not in it, the backup stores the
 * DataUpload, the annotated claim and the volume info, and no snapshot, clone, mover pod or claim is left.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Kinds, resourceRef, type DataUpload } from '../../../src/api/index.ts';
import { deleteBackupRequestFor } from '../../../src/deletion/delete-request.ts';
import { planBackupForCluster } from '../../../src/backup/plan-for-cluster.ts';
import { dryRunVolumes, methodText } from '../../../src/backup/volumes/dry-run.ts';
import { DATA_UPLOAD_TYPE as DU_TYPE } from '../../../src/backup/csi/data-uploads.ts';
import { readBackupArchive } from '../../../src/archive/index.ts';
import type { KubeObject, ResourceType } from '../../../src/kube/index.ts';
import { DATA_MOVER_LABEL } from '../../../src/volumes/data-mover/mover-pod.ts';
import { DIR_TIMES_RESULT_KEY } from '../../../src/volumes/data-mover/upload-objects.ts';
import { openRepository, repositoryWorkRoot } from '../../../src/volumes/repository/index.ts';
import { adminCluster, createNamespace, deleteNamespaceAndWait, waitFor } from '../../helpers/cluster.ts';
import { createCsiVolumePod } from '../../helpers/csi-volume-pod.ts';
import { digestTree, treeSum, writeVolumeData, type TreeEntry } from '../../helpers/file-tree.ts';
import { uniqueName } from '../../helpers/names.ts';
import { useServerWithNodeAgents, useTestUploaderBinaries } from '../../helpers/node-agents.ts';
import { backupAndWait, defaultStore } from '../../helpers/skiff-server.ts';
import { loadTestEnv } from '../../helpers/testenv.ts';

const cluster = adminCluster();
const env = loadTestEnv();
const LARGE = 64 * 1024 * 1024;
const snap = (resource: string, kind: string, namespaced: boolean): ResourceType => ({
  group: 'snapshot.storage.k8s.io',
  version: 'v1',
  resource,
  kind,
  namespaced,
  verbs: [],
});
const VS = snap('volumesnapshots', 'VolumeSnapshot', true);
const VSC = snap('volumesnapshotcontents', 'VolumeSnapshotContent', false);
const core = (resource: string, kind: string): ResourceType => ({
  group: '',
  version: 'v1',
  resource,
  kind,
  namespaced: true,
  verbs: [],
});

async function list(t: ResourceType, opts: { namespace?: string; labelSelector?: string } = {}): Promise<KubeObject[]> {
  const out: KubeObject[] = [];
  for await (const o of cluster.list(t, opts)) out.push(o);
  return out;
}

type Server = Parameters<typeof defaultStore>[0];

/** The objects of the tarball of backup `name` under `groupResource` (legacy path). */
async function stored(server: Server, name: string, gr: string): Promise<KubeObject[]> {
  const out: KubeObject[] = [];
  for await (const rec of readBackupArchive(await (await defaultStore(server)).getBackupContents(name)))
    if (rec.kind === 'item' && rec.parsed.groupResource === gr && !rec.parsed.version)
      out.push(rec.object as unknown as KubeObject);
  return out;
}

/** `backup create --dry-run` names the method: CSI snapshot, data moved. */
async function assertDryRun(ns: string, pod: KubeObject): Promise<void> {
  const spec = { includedNamespaces: [ns], snapshotMoveData: true };
  const plan = await planBackupForCluster(cluster, spec);
  const out = await dryRunVolumes(cluster, { namespace: 'unused' }, { spec, metadata: {} }, plan, [pod]);
  assert.deepEqual(
    out.volumes.filter((v) => v.volume === 'data').map((v) => methodText(v)),
    ['CSI snapshot, data moved'],
  );
}

async function assertStored(server: Server, name: string, du: DataUpload): Promise<void> {
  // Stored as Velero stores it: the DataUpload (final), the claim annotated, the volume info.
  const [storedDu] = await stored(server, name, 'datauploads.velero.io');
  assert.equal((storedDu as DataUpload | undefined)?.status?.phase, 'Completed');
  const [claim] = await stored(server, name, 'persistentvolumeclaims');
  assert.equal(
    claim?.metadata.annotations?.['velero.io/data-upload-name'],
    `${server.namespace}/${du.metadata.name ?? ''}`,
  );
  assert.equal((await stored(server, name, 'volumesnapshots.snapshot.storage.k8s.io')).length, 0);
  const info = (await (await defaultStore(server)).getBackupFile(name, 'volumeInfo')) as {
    backupMethod: string;
    snapshotDataMoved: boolean;
    snapshotDataMovementInfo?: { snapshotHandle?: string; uploaderType?: string; size?: number };
  }[];
  assert.equal(info.length, 1);
  assert.equal(info[0]?.backupMethod, 'CSISnapshot');
  assert.equal(info[0]?.snapshotDataMoved, true);
  assert.equal(info[0]?.snapshotDataMovementInfo?.snapshotHandle, du.status?.snapshotID);
  assert.equal(info[0]?.snapshotDataMovementInfo?.uploaderType, 'kopia');
}

function repository(server: Server, ns: string): ReturnType<typeof openRepository> {
  return openRepository(
    {
      cluster,
      namespace: server.namespace,
      workRoot: repositoryWorkRoot(`${server.namespace}-check`),
      binaries: useTestUploaderBinaries(),
    },
    { volumeNamespace: ns, location: 'default', type: 'kopia' },
  );
}

async function assertInRepository(server: Server, ns: string, du: DataUpload, before: TreeEntry[]): Promise<void> {
  // The data, read back from the namespace's kopia repository, is the snapshot's tree.
  const repo = await openRepository(
    {
      cluster,
      namespace: server.namespace,
      workRoot: repositoryWorkRoot(`${server.namespace}-check`),
      binaries: useTestUploaderBinaries(),
    },
    { volumeNamespace: ns, location: 'default', type: 'kopia' },
  );
  const out = await mkdtemp(join(tmpdir(), 'du-restore-'));
  try {
    const dirTimes = du.status?.dataMoverResult?.[DIR_TIMES_RESULT_KEY];
    assert.ok(dirTimes, 'the directory-times snapshot is recorded');
    await repo.restore(du.status?.snapshotID ?? '', out, { dirTimesSnapshotID: dirTimes });
    const back = await digestTree(out);
    assert.ok(!back.some((e) => e.path === 'after-snapshot.txt'), 'a file written after the snapshot was uploaded');
    assert.equal(treeSum(back), treeSum(before));
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

describe('CSI snapshot data movement: backup', { concurrency: false }, () => {
  const suite = useServerWithNodeAgents(cluster);

  test('the snapshot’s data lands in the kopia repository, the backup stores its DataUpload, nothing is left', async () => {
    const server = suite.server;
    const ns = uniqueName('du');
    await createNamespace(cluster, ns);
    const node = env.nodes.at(-1) ?? '';
    const { dir, pod } = await createCsiVolumePod(cluster, env, ns, { node });
    await writeVolumeData(dir, ns, { smallFiles: 50, folders: 5, largeBytes: LARGE });
    const before = await digestTree(dir);
    await assertDryRun(ns, pod);

    const name = uniqueName('b');
    const backup = backupAndWait(
      cluster,
      server.namespace,
      name,
      { includedNamespaces: [ns], snapshotMoveData: true },
      600_000,
    );
    // The DataUpload exists once the snapshot is ready: what is written now is after the snapshot.
    await waitFor(
      'the DataUpload',
      async () => (await list(DU_TYPE, { namespace: server.namespace })).length > 0,
      300_000,
    );
    await writeFile(join(dir, 'after-snapshot.txt'), 'too late\n');
    const done = await backup;
    assert.equal(done.status?.phase, 'Completed', JSON.stringify(done.status));

    const [du] = (await list(DU_TYPE, { namespace: server.namespace })) as DataUpload[];
    assert.ok(du);
    assert.equal(du.status?.phase, 'Completed', du.status?.message);
    assert.ok(du.status?.snapshotID);
    assert.equal(du.status?.node, node);
    assert.ok((du.status?.progress?.totalBytes ?? 0) >= LARGE);
    assert.equal(du.spec.sourcePVC, 'data');
    assert.equal(du.spec.sourceNamespace, ns);
    assert.equal(du.metadata.labels?.['velero.io/backup-name'], name);
    assert.match(du.metadata.name ?? '', new RegExp(`^${name}-`));

    await assertStored(server, name, du);
    await assertInRepository(server, ns, du, before);

    // Velero's bookkeeping of the async operation: the status counters and <backup>-itemoperations.json.gz.
    assert.deepEqual(
      [
        done.status?.backupItemOperationsAttempted,
        done.status?.backupItemOperationsCompleted,
        done.status?.backupItemOperationsFailed,
      ],
      [1, 1, 0],
    );
    const ops = (await (await defaultStore(server)).getBackupFile(name, 'itemOperations')) as {
      spec: { resourceIdentifier: { Name: string }; postOperationItems: { Name: string }[]; operationID: string };
      status: { phase: string };
    }[];
    assert.deepEqual(
      ops.map((o) => [o.spec.resourceIdentifier.Name, o.spec.postOperationItems[0]?.Name, o.status.phase]),
      [['data', du.metadata.name, 'Completed']],
    );
    assert.equal(ops[0]?.spec.operationID, du.metadata.labels?.['velero.io/async-operation-id']);

    // Nothing left: no VolumeSnapshot, clone, content, mover pod or claim.
    await waitFor('the snapshots and mover objects to be gone', async () => {
      const left = [
        ...(await list(VS, { namespace: ns })),
        ...(await list(VS, { namespace: server.namespace })),
        ...(await list(VSC, { labelSelector: DATA_MOVER_LABEL })),
        ...(await list(core('pods', 'Pod'), { namespace: server.namespace })),
        ...(await list(core('persistentvolumeclaims', 'PersistentVolumeClaim'), { namespace: server.namespace })),
      ];
      return left.length === 0;
    });

    // Deleting the backup forgets its kopia snapshots.
    const b = await cluster.get(resourceRef(Kinds.Backup), name, server.namespace);
    await cluster.create(resourceRef(Kinds.DeleteBackupRequest), deleteBackupRequestFor(b as never));
    await waitFor(
      'the backup to be deleted',
      async () => (await cluster.find(resourceRef(Kinds.Backup), name, server.namespace)) === undefined,
      120_000,
    );
    const out = await mkdtemp(join(tmpdir(), 'du-deleted-'));
    try {
      await assert.rejects(
        (await repository(server, ns)).restore(du.status?.snapshotID ?? '', out),
        /snapshot|manifest|not found/i,
      );
    } finally {
      await rm(out, { recursive: true, force: true });
    }
    await deleteNamespaceAndWait(cluster, ns);
  });
});
