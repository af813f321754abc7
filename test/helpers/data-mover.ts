/**
 * CSI snapshot data movement in tests (issue 16; DATAMOVER-CONTRACT): the StatefulSet's data,
 * the driver's snapshots removed after a moved-data backup, and the checks of a restore: every
 * tree identical, each claim bound to a volume a DataDownload filled, nothing left behind.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Kinds, type DataUpload } from '../../src/api/index.ts';
import { DATA_UPLOAD_TYPE } from '../../src/backup/csi/data-uploads.ts';
import { veleroListType } from '../../src/controllers/velero-types.ts';
import type { Cluster, KubeObject } from '../../src/kube/index.ts';
import type { ResourceType } from '../../src/kube/resource.ts';
import { validLabelValue } from '../../src/util/label-value.ts';
import { DATA_MOVER_LABEL } from '../../src/volumes/data-mover/mover-pod.ts';
import { core, waitFor } from './cluster.ts';
import { digestTree, treeSum, writeVolumeData, type TreeEntry } from './file-tree.ts';
import { defaultStore, type TestServer } from './skiff-server.ts';
import { claimDataDir, runningPods } from './volume-pods.ts';

/** The large file per volume: 256 MiB, as issue 16's acceptance asks. */
export const LARGE_FILE_BYTES = 256 * 1024 * 1024;
const SMALL_FILES = 200;

const listType = (resource: string, kind: string): ResourceType => ({
  ...core(resource),
  kind,
  namespaced: true,
  verbs: [],
});

async function list(cluster: Cluster, t: ResourceType, namespace: string, labelSelector?: string) {
  const out: KubeObject[] = [];
  for await (const o of cluster.list(t, { namespace, ...(labelSelector ? { labelSelector } : {}) })) out.push(o);
  return out;
}

/** Writes 200 small files and a 256 MiB one into each pod's `data` claim; returns each tree and directory by pod. */
export async function writeStatefulSetData(
  cluster: Cluster,
  pods: readonly KubeObject[],
  nodeRoot?: (node: string) => string,
): Promise<{ trees: Map<string, TreeEntry[]>; dirs: Map<string, string> }> {
  const trees = new Map<string, TreeEntry[]>();
  const dirs = new Map<string, string>();
  for (const pod of pods) {
    const name = pod.metadata.name ?? '';
    const dir = await claimDataDir(cluster, pod, 'data', nodeRoot);
    await writeVolumeData(dir, `${pod.metadata.namespace ?? ''}/${name}`, {
      smallFiles: SMALL_FILES,
      folders: 10,
      largeBytes: LARGE_FILE_BYTES,
    });
    dirs.set(name, dir);
    trees.set(name, await digestTree(dir));
  }
  return { trees, dirs };
}

/**
 * Writes a small tree (40 files in 4 folders and a 2 MiB file, seeded by `seed` and the pod) into
 * the `data` claim of each of `ns`'s 2 running StatefulSet pods; returns each tree by pod.
 */
export async function writeSmallClaimTrees(
  cluster: Cluster,
  ns: string,
  seed: string = ns,
): Promise<Map<string, TreeEntry[]>> {
  const trees = new Map<string, TreeEntry[]>();
  for (const pod of await runningPods(cluster, ns, 2)) {
    const dir = await claimDataDir(cluster, pod);
    await writeVolumeData(dir, `${seed}/${pod.metadata.name ?? ''}`, {
      smallFiles: 40,
      folders: 4,
      largeBytes: 2 * 1024 * 1024,
    });
    trees.set(pod.metadata.name ?? '', await digestTree(dir));
  }
  return trees;
}

interface VolumeInfo {
  pvcName?: string;
  pvcNamespace?: string;
  backupMethod?: string;
  snapshotDataMoved?: boolean;
  /** The storage snapshot (snapshotDataMovementInfo.snapshotHandle is the kopia snapshot, as in Velero). */
  csiSnapshotInfo?: { snapshotHandle?: string };
}

/**
 * Checks the backup's volume info records moved data for each claim of `ns`, then removes the
 * storage snapshots from every node's driver (the folders `<node root>/var/lib/skiff-csi/<handle>.snap`), so
 * that a restore can only use the bucket. Returns the handles.
 */
export async function deleteDriverSnapshots(
  server: TestServer,
  backup: string,
  ns: string,
  nodeRoots: readonly string[],
): Promise<string[]> {
  const info = ((await (await defaultStore(server)).getBackupFile(backup, 'volumeInfo')) ?? []) as VolumeInfo[];
  const mine = info.filter((i) => i.pvcNamespace === ns);
  assert.deepEqual(mine.map((i) => [i.pvcName, i.backupMethod, i.snapshotDataMoved]).sort(), [
    ['data-db-0', 'CSISnapshot', true],
    ['data-db-1', 'CSISnapshot', true],
  ]);
  const handles = mine.map((i) => i.csiSnapshotInfo?.snapshotHandle ?? '').filter((h) => h !== '');
  for (const root of nodeRoots)
    for (const h of handles) await rm(join(root, 'var/lib/skiff-csi', `${h}.snap`), { recursive: true, force: true });
  return handles;
}

/**
 * Each restored pod's claim was filled by a DataDownload (no snapshot data source; the PV carries
 * the claim's dynamic-restore label) and holds the tree backed up, identical by SHA-256.
 */
export async function assertMovedDataRestored(
  cluster: Cluster,
  pods: readonly KubeObject[],
  trees: ReadonlyMap<string, readonly TreeEntry[]>,
  nodeRoot?: (node: string) => string,
): Promise<void> {
  for (const pod of pods) {
    const name = pod.metadata.name ?? '';
    const claim = await cluster.get(core('persistentvolumeclaims'), `data-${name}`, pod.metadata.namespace);
    const spec = claim.spec as {
      dataSource?: unknown;
      volumeName?: string;
      selector?: { matchLabels?: Record<string, string> };
    };
    assert.equal(spec.dataSource, undefined, `claim data-${name} is not made from a snapshot`);
    const label = spec.selector?.matchLabels?.['velero.io/dynamic-pv-restore'];
    assert.ok(label, `claim data-${name} selects its volume by the dynamic-restore label`);
    const pv = await cluster.get(core('persistentvolumes'), spec.volumeName ?? '');
    assert.equal(pv.metadata.labels?.['velero.io/dynamic-pv-restore'], label);
    const now = await digestTree(await claimDataDir(cluster, pod, 'data', nodeRoot));
    assert.equal(treeSum(now), treeSum(trees.get(name) ?? []), `SHA-256 of ${name}'s restored tree`);
    assert.ok(!now.some((e) => e.path === 'after-backup.txt'), 'a file written after the backup is not restored');
  }
}

/**
 * What a finished data-mover restore must not leave in the server namespace: its DataUploadResult
 * ConfigMaps, mover pods and claims; and its DataDownloads must all be Completed.
 */
export async function dataMoverLeftovers(cluster: Cluster, serverNs: string, restoreUID: string): Promise<string[]> {
  const left: string[] = [];
  const byRestore = `velero.io/restore-uid=${restoreUID}`;
  for (const cm of await list(cluster, listType('configmaps', 'ConfigMap'), serverNs, byRestore))
    left.push(`ConfigMap ${cm.metadata.name ?? ''}`);
  for (const [resource, kind] of [
    ['pods', 'Pod'],
    ['persistentvolumeclaims', 'PersistentVolumeClaim'],
  ] as const) {
    for (const o of await list(cluster, listType(resource, kind), serverNs, 'skiff.io/data-mover'))
      left.push(`${kind} ${o.metadata.name ?? ''}`);
  }
  const downloads = await list(cluster, veleroListType(Kinds.DataDownload), serverNs, byRestore);
  assert.equal(downloads.length, 2, 'one DataDownload per claim');
  for (const dd of downloads) {
    const status = dd.status as { phase?: string; message?: string } | undefined;
    if (status?.phase !== 'Completed')
      left.push(`DataDownload ${dd.metadata.name ?? ''} ${status?.phase ?? ''}: ${status?.message ?? ''}`);
  }
  return left;
}

const SNAPSHOTS_V1 = { group: 'snapshot.storage.k8s.io', version: 'v1', verbs: [] };
const VOLUME_SNAPSHOTS: ResourceType = {
  ...SNAPSHOTS_V1,
  resource: 'volumesnapshots',
  kind: 'VolumeSnapshot',
  namespaced: true,
};
const VOLUME_SNAPSHOT_CONTENTS: ResourceType = {
  ...SNAPSHOTS_V1,
  resource: 'volumesnapshotcontents',
  kind: 'VolumeSnapshotContent',
  namespaced: false,
};

/** The server's DataUpload (a test backs up one claim) once `check` accepts it. */
export async function theDataUpload(
  cluster: Cluster,
  serverNs: string,
  check: (du: DataUpload) => boolean,
  timeoutMs = 300_000,
): Promise<DataUpload> {
  return waitFor(
    'the DataUpload',
    async () => {
      const [du] = (await list(cluster, DATA_UPLOAD_TYPE, serverNs)) as DataUpload[];
      return du && check(du) ? du : undefined;
    },
    timeoutMs,
  );
}

/**
 * Waits until a DataUpload left nothing behind: no VolumeSnapshot of the claim's namespace or the server's, and
 * no clone content, mover pod or claim of that DataUpload. The contents are cluster-scoped: only the ones
 * labelled with this DataUpload count, so that another file's data movement running beside it does not.
 */
export async function waitNothingLeftOfUpload(
  cluster: Cluster,
  ns: string,
  serverNs: string,
  dataUpload: string,
): Promise<void> {
  const mine = `${DATA_MOVER_LABEL}=${validLabelValue(dataUpload)}`;
  await waitFor(
    'no snapshot, clone, mover pod or claim left',
    async () =>
      [
        ...(await list(cluster, VOLUME_SNAPSHOTS, ns)),
        ...(await list(cluster, VOLUME_SNAPSHOTS, serverNs)),
        ...(await listAll(cluster, VOLUME_SNAPSHOT_CONTENTS, mine)),
        ...(await list(cluster, listType('pods', 'Pod'), serverNs)),
        ...(await list(cluster, listType('persistentvolumeclaims', 'PersistentVolumeClaim'), serverNs)),
      ].length === 0,
    120_000,
  );
}

async function listAll(cluster: Cluster, t: ResourceType, labelSelector: string): Promise<KubeObject[]> {
  const out: KubeObject[] = [];
  for await (const o of cluster.list(t, { labelSelector })) out.push(o);
  return out;
}
