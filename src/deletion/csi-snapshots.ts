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
    // The snapshot controller never puts its finalizer on a content no VolumeSnapshot is bound
    // to: without it the delete below would remove the content before the sidecar saw it go.
    metadata: { name, labels: stored.metadata.labels ?? {}, finalizers: [CONTENT_FINALIZER] },
    spec: {
      deletionPolicy: 'Delete',
      driver: vsc.spec.driver,
      source: { snapshotHandle: handle },
      volumeSnapshotRef: { kind: 'VolumeSnapshot', name: ref?.name ?? name, namespace: ref?.namespace ?? 'default' },
    },
  });
  const state = await confirmation(cluster, name, opts);
  if (state.kind === 'pending') {
    // No sidecar took it: nothing would ever remove the finalizer.
    await cluster.patch(VOLUME_SNAPSHOT_CONTENTS, { name }, 'merge', { metadata: { finalizers: null } });
    await cluster.delete(VOLUME_SNAPSHOT_CONTENTS, name);
    throw new Error(
      `no CSI snapshotter confirmed the storage snapshot ${handle} of driver ${vsc.spec.driver} through the temporary content${state.error ? ` (${state.error})` : ''}: it may remain`,
    );
  }
  // Deleted, the content stays until the sidecar has called DeleteSnapshot (when confirmed) and
  // removed the finalizer.
  await cluster.delete(VOLUME_SNAPSHOT_CONTENTS, name);
  const gone = await poll(opts, async () => (await cluster.find(VOLUME_SNAPSHOT_CONTENTS, name)) === undefined);
  if (gone) return;
  if (state.kind === 'missing') {
    await cluster.patch(VOLUME_SNAPSHOT_CONTENTS, { name }, 'merge', { metadata: { finalizers: null } });
    return;
  }
  throw new Error(`the storage snapshot ${handle} was not deleted in time (the content is still there)`);
}

export type TemporaryContentState =
  { kind: 'confirmed' } | { kind: 'missing'; error: string } | { kind: 'pending'; error?: string };

/** The snapshot controller's finalizer on a bound content: the sidecar removes it once it has handled a deletion. */
export const CONTENT_FINALIZER = 'snapshot.storage.kubernetes.io/volumesnapshotcontent-bound-protection';

/**
 * Whether a temporary content may be deleted so that its storage snapshot goes with it. The
 * deletion needs both the finalizer (without it the API server removes the content at once and
 * no sidecar ever sees it deleted; the snapshot controller adds it only to bound contents, so the
 * deletion sets it itself) and the sidecar's status holding the handle (it confirmed the snapshot
 * through ListSnapshots; without it the sidecar only drops the finalizer and never calls
 * DeleteSnapshot: external-snapshotter). Deleting with either alone left the snapshot in the
 * storage. A snapshot the driver no longer has (ListSnapshots finds none) is `missing`: nothing
 * is left to delete. Any other status error may pass (a driver restarting): still pending.
 */
export function temporaryContentState(content: KubeObject | undefined): TemporaryContentState {
  const status = vscView(content).status;
  const finalized = content?.metadata.finalizers?.includes(CONTENT_FINALIZER) ?? false;
  if (status?.snapshotHandle !== undefined) return finalized ? { kind: 'confirmed' } : { kind: 'pending' };
  const error = status?.error?.message;
  if (error === undefined) return { kind: 'pending' };
  if (/not found|can ?not find|does not exist|no such snapshot/i.test(error)) return { kind: 'missing', error };
  return { kind: 'pending', error };
}

/** Polls the temporary content until its state is known, or the wait ends (pending). */
async function confirmation(cluster: Cluster, name: string, opts: CsiDeletionOptions): Promise<TemporaryContentState> {
  let state: TemporaryContentState = { kind: 'pending' };
  await poll(opts, async () => {
    state = temporaryContentState(await cluster.find(VOLUME_SNAPSHOT_CONTENTS, name));
    return state.kind !== 'pending';
  });
  return state;
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
