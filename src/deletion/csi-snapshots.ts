/**
 * Backup deletion's CSI step (reference §5.3 step 2, Velero's
 * `velero.io/csi-volumesnapshotcontent-delete`): every VolumeSnapshotContent the backup holds
 * and labels with its name is removed with its storage snapshot: the content itself when it is
 * still in the cluster (set to Delete first), otherwise a temporary static content with
 * deletionPolicy Delete for the stored snapshot handle, deleted once the snapshotter took it.
 * Without a tarball, the VolumeSnapshots labelled with the backup are deleted.
 */
import { Labels } from '../api/labels.ts';
import { readBackupArchive } from '../archive/index.ts';
import type { Cluster } from '../kube/cluster.ts';
import { isNotFound } from '../kube/errors.ts';
import type { KubeObject } from '../kube/object.ts';
import type { ResourceType } from '../kube/resource.ts';
import type { BackupStore } from '../storage/index.ts';
import { errorMessage } from '../util/errors.ts';
import { validLabelValue } from '../util/label-value.ts';
import {
  SNAPSHOT_API_VERSION,
  VOLUME_SNAPSHOT_CONTENTS,
  VOLUME_SNAPSHOTS,
  VSC_GROUP_RESOURCE,
  vscView,
} from '../volumes/csi/snapshot-objects.ts';

export interface CsiDeletionOptions {
  /** How long a temporary content may take to be seen by the snapshotter, and to go; default 60 s. */
  waitMs?: number;
  pollMs?: number;
}

/** Returns one problem per snapshot that could not be deleted. */
export async function deleteCsiSnapshots(
  cluster: Cluster,
  store: BackupStore,
  backupName: string,
  opts: CsiDeletionOptions = {},
): Promise<string[]> {
  const label = validLabelValue(backupName);
  const taken = await snapshotContentsTaken(store, backupName);
  const legacy = await store.getBackupFile(backupName, 'csiVolumeSnapshotContents').catch(() => undefined);
  if (taken.size === 0 && !Array.isArray(legacy)) return [];
  let contents: KubeObject[];
  try {
    contents = await backedUpContents(store, backupName, label, taken, Array.isArray(legacy) ? legacy : []);
  } catch (err) {
    if (!isNotFound(err) && !/NoSuchKey|not found/i.test(errorMessage(err)))
      return [`reading the VolumeSnapshotContents of backup ${backupName}: ${errorMessage(err)}`];
    return deleteLabelledSnapshots(cluster, label);
  }
  const problems: string[] = [];
  for (const content of contents) {
    try {
      await deleteContent(cluster, content, opts);
    } catch (err) {
      problems.push(
        `deleting the CSI snapshot of VolumeSnapshotContent ${content.metadata.name ?? ''} (backup ${backupName}): ${errorMessage(err)}`,
      );
    }
  }
  return problems;
}

/**
 * The contents of the snapshots the backup took, by the volume info's `csiSnapshotInfo.vscName`
 * (reference §1.14): a VolumeSnapshotContent the user made and the backup merely holds is not
 * deleted with it. Reading the volume info first also spares the tarball's download for a
 * backup without CSI snapshots.
 */
async function snapshotContentsTaken(store: BackupStore, backupName: string): Promise<Set<string>> {
  const info = await store.getBackupFile(backupName, 'volumeInfo').catch(() => undefined);
  const names = new Set<string>();
  for (const entry of Array.isArray(info) ? info : []) {
    const e = entry as { backupMethod?: string; csiSnapshotInfo?: { vscName?: string } } | null;
    if (e?.backupMethod === 'CSISnapshot' && e.csiSnapshotInfo?.vscName) names.add(e.csiSnapshotInfo.vscName);
  }
  return names;
}

/** The contents in the tarball labelled with the backup, and those of the legacy `-csi-volumesnapshotcontents.json.gz`. */
async function backedUpContents(
  store: BackupStore,
  backupName: string,
  label: string,
  taken: ReadonlySet<string>,
  legacy: readonly unknown[],
): Promise<KubeObject[]> {
  const byName = new Map<string, KubeObject>();
  if (taken.size > 0)
    for await (const rec of readBackupArchive(await store.getBackupContents(backupName))) {
      if (rec.kind !== 'item' || rec.parsed.groupResource !== VSC_GROUP_RESOURCE || rec.parsed.version !== undefined)
        continue;
      const o = rec.object as unknown as KubeObject;
      if (o.metadata.labels?.[Labels.BackupName] === label && taken.has(o.metadata.name ?? ''))
        byName.set(o.metadata.name ?? '', o);
    }
  for (const o of legacy as KubeObject[]) {
    if (o.metadata.name && !byName.has(o.metadata.name)) byName.set(o.metadata.name, o);
  }
  return [...byName.values()];
}

/** Deletes the storage snapshot of a content as stored in a backup (see the module comment). */
export async function deleteContent(
  cluster: Cluster,
  stored: KubeObject,
  opts: CsiDeletionOptions = {},
): Promise<void> {
  const name = stored.metadata.name ?? '';
  const live = await cluster.find(VOLUME_SNAPSHOT_CONTENTS, name);
  if (live) {
    await cluster.patch(VOLUME_SNAPSHOT_CONTENTS, { name }, 'merge', { spec: { deletionPolicy: 'Delete' } });
    await cluster.delete(VOLUME_SNAPSHOT_CONTENTS, name);
    return;
  }
  const vsc = vscView(stored);
  const handle = vsc.status?.snapshotHandle ?? vsc.spec?.source?.snapshotHandle;
  if (!handle || !vsc.spec?.driver) throw new Error('the stored content has no snapshot handle or driver');
  const ref = vsc.spec.volumeSnapshotRef;
  await cluster.create(VOLUME_SNAPSHOT_CONTENTS, {
    apiVersion: SNAPSHOT_API_VERSION,
    kind: 'VolumeSnapshotContent',
    metadata: { name, labels: stored.metadata.labels ?? {} },
    spec: {
      deletionPolicy: 'Delete',
      driver: vsc.spec.driver,
      source: { snapshotHandle: handle },
      volumeSnapshotRef: { kind: 'VolumeSnapshot', name: ref?.name ?? name, namespace: ref?.namespace ?? 'default' },
    },
  });
  // The snapshotter must have taken the content (its status set) before the delete, or the
  // content would go without the storage snapshot.
  const seen = await poll(opts, async () => {
    const c = await cluster.find(VOLUME_SNAPSHOT_CONTENTS, name);
    return vscView(c).status?.snapshotHandle !== undefined || (c?.metadata.finalizers?.length ?? 0) > 0;
  });
  await cluster.delete(VOLUME_SNAPSHOT_CONTENTS, name);
  if (!seen)
    throw new Error(
      `no CSI snapshotter took the temporary content for driver ${vsc.spec.driver}: the storage snapshot ${handle} may remain`,
    );
  const gone = await poll(opts, async () => (await cluster.find(VOLUME_SNAPSHOT_CONTENTS, name)) === undefined);
  if (!gone) throw new Error(`the storage snapshot ${handle} was not deleted in time (the content is still there)`);
}

async function deleteLabelledSnapshots(cluster: Cluster, label: string): Promise<string[]> {
  const problems: string[] = [];
  const discovery = await cluster.discover();
  const type: ResourceType | undefined = discovery.preferred.find(
    (t) => t.group === VOLUME_SNAPSHOTS.group && t.resource === VOLUME_SNAPSHOTS.resource,
  );
  if (!type) return problems;
  for await (const vs of cluster.list(type, { labelSelector: `${Labels.BackupName}=${label}` })) {
    try {
      await cluster.delete(VOLUME_SNAPSHOTS, vs.metadata.name ?? '', vs.metadata.namespace);
    } catch (err) {
      problems.push(
        `deleting VolumeSnapshot ${vs.metadata.namespace ?? ''}/${vs.metadata.name ?? ''}: ${errorMessage(err)}`,
      );
    }
  }
  return problems;
}

async function poll(opts: CsiDeletionOptions, check: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + (opts.waitMs ?? 60_000);
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 500));
  }
}
