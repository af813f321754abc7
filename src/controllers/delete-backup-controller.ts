import { Kinds, Labels, resourceRef, type Backup, type DeleteBackupRequest } from '../api/index.ts';
import { deleteRequestLabels } from '../deletion/delete-request.ts';
import { backupLocationName, readLocationState } from '../deletion/location-state.ts';
import { decideRequest, refusal } from '../deletion/request-decision.ts';
import type { Cluster } from '../kube/cluster.ts';
import { isNotFound } from '../kube/errors.ts';
import type { KubeObject } from '../kube/object.ts';
import type { BackupStore } from '../storage/index.ts';
import type { Clock } from '../util/clock.ts';
import { errorMessage } from '../util/errors.ts';
import type { Logger } from '../util/log.ts';
import type { ControllerSpec, ReconcileResult } from './controller.ts';
import type { LocationResolver } from './locations.ts';
import { veleroListType } from './velero-types.ts';
import { deleteCsiSnapshots } from '../deletion/csi-snapshots.ts';
import { nativeSnapshotsLeftMessage } from '../deletion/native-snapshots.ts';
import { recordEvent } from '../kube/events.ts';
import { forgetSnapshots, snapshotsToForget } from '../volumes/repository/forget-snapshots.ts';
import { storedDataUploadSnapshots } from '../volumes/data-mover/forget-uploads.ts';
import type { RepositoryContext } from '../volumes/repository/open.ts';

/**
 * Where deletions are counted: `velero_backup_deletion_attempt_total`, `_success_total` and
 * `_failure_total`, labelled by schedule ("" for ad-hoc backups) (reference §10.3). Refusals
 * are not attempts, as in Velero.
 */
export interface DeletionRecorder {
  attempt(schedule: string): void;
  success(schedule: string): void;
  failure(schedule: string): void;
}

export interface DeleteBackupDeps {
  cluster: Cluster;
  namespace: string;
  locations: LocationResolver;
  clock: Clock;
  log: Logger;
  metrics?: DeletionRecorder;
  /** How to open file-system backup repositories, to forget the backup's pod-volume snapshots. */
  repositories?: RepositoryContext;
}

const REQUESTS = veleroListType(Kinds.DeleteBackupRequest);
const RESTORES = veleroListType(Kinds.Restore);

/** Velero re-looks at every request hourly (reference §5.3, §10.2): old processed ones go. */
const RESYNC_MS = 3_600_000;

/**
 * DeleteBackupRequest (reference §5.3). Housekeeping first (old requests deleted, one request
 * per backup kept), then the refusals (backup not finished or not found; location missing,
 * ReadOnly or unavailable), then the deletion: the Backup goes `Deleting`, its files in
 * storage go, its restores go with their files, and the Backup object goes last, only when
 * nothing failed. On full success every request for the backup is deleted too.
 */
export function deleteBackupController(deps: DeleteBackupDeps): ControllerSpec {
  const active = new Set<string>();
  return {
    name: 'backup-deletion',
    type: REQUESTS,
    namespace: deps.namespace,
    resyncMs: RESYNC_MS,
    reconcile: (obj) => reconcile(deps, active, obj),
  };
}

async function reconcile(
  deps: DeleteBackupDeps,
  active: Set<string>,
  seen: KubeObject,
): Promise<ReconcileResult | undefined> {
  const name = seen.metadata.name ?? '';
  // The informer's copy may predate our own status patches: decide on the object as it is now.
  const req = (await deps.cluster.find(resourceRef(Kinds.DeleteBackupRequest), name, deps.namespace)) as
    DeleteBackupRequest | undefined;
  if (!req) return undefined;
  const decision = decideRequest(req, deps.clock.now(), active.has(name));
  switch (decision.action) {
    case 'expire':
      await deps.cluster.delete(resourceRef(Kinds.DeleteBackupRequest), name, deps.namespace);
      deps.log.debug({ request: name, reason: decision.reason }, 'old delete backup request removed');
      return undefined;
    case 'skip':
      return decision.recheckAfterMs > 0 ? { requeueAfterMs: decision.recheckAfterMs } : undefined;
    case 'reject':
      await finish(deps, name, decision.errors);
      return undefined;
    case 'process':
      break;
  }
  active.add(name);
  try {
    await processRequest(deps, req);
  } finally {
    active.delete(name);
  }
  return undefined;
}

async function processRequest(deps: DeleteBackupDeps, req: DeleteBackupRequest): Promise<void> {
  const name = req.metadata.name ?? '';
  const backupName = req.spec.backupName;
  const others = (await requestsFor(deps, backupName)).filter((r) => r.metadata.name !== name);
  for (const other of others) {
    await deps.cluster.delete(resourceRef(Kinds.DeleteBackupRequest), other.metadata.name ?? '', deps.namespace);
  }
  if (others.length > 0)
    deps.log.info({ backup: backupName, removed: others.length }, 'duplicate delete requests removed');
  const backup = (await deps.cluster.find(resourceRef(Kinds.Backup), backupName, deps.namespace)) as Backup | undefined;
  const location = backup ? await readLocationState(deps.locations, backupLocationName(backup)) : undefined;
  // A failed read of the location is not an answer: try again (the controller retries in 5s).
  if (location?.kind === 'unreadable')
    throw new Error(`cannot read backup storage location ${location.name}: ${location.error}`);
  const refused = refusal(backupName, backup, location);
  if (refused !== null || !backup) {
    const errors = [refused ?? `backup ${backupName} not found`];
    deps.log.info({ request: name, backup: backupName, errors }, 'delete backup request refused');
    await finish(deps, name, errors);
    return;
  }
  const schedule = backup.metadata.labels?.[Labels.ScheduleName] ?? '';
  deps.metrics?.attempt(schedule);
  await deps.cluster.patch(resourceRef(Kinds.DeleteBackupRequest), { name, namespace: deps.namespace }, 'merge', {
    metadata: { labels: deleteRequestLabels(backupName, backup.metadata.uid) },
  });
  await deps.cluster.patchStatus(
    resourceRef(Kinds.DeleteBackupRequest),
    { name, namespace: deps.namespace },
    {
      phase: 'InProgress',
    },
  );
  const errors = await deleteBackupAndRestores(deps, backup);
  await finish(deps, name, errors);
  if (errors.length === 0) {
    deps.metrics?.success(schedule);
    for (const r of await requestsFor(deps, backupName)) {
      await deps.cluster.delete(resourceRef(Kinds.DeleteBackupRequest), r.metadata.name ?? '', deps.namespace);
    }
    deps.log.info({ backup: backupName }, 'backup deleted');
  } else {
    deps.metrics?.failure(schedule);
    deps.log.warn({ backup: backupName, errors }, 'backup deletion failed');
  }
}

/** Steps 1, 2 (CSI snapshots), 4 (pod-volume snapshots) and 6-8 of reference §5.3; step 3 (native snapshots) only warns, naming them. */
async function deleteBackupAndRestores(deps: DeleteBackupDeps, backup: Backup): Promise<string[]> {
  const backupName = backup.metadata.name ?? '';
  const location = backupLocationName(backup);
  const errors: string[] = [];
  await deps.cluster.patch(resourceRef(Kinds.Backup), { name: backupName, namespace: deps.namespace }, 'merge', {
    status: { phase: 'Deleting' },
  });
  let store: BackupStore | undefined;
  let nativeSnapshots: unknown = [];
  try {
    store = await deps.locations.store(await deps.locations.get(location));
    errors.push(...(await deleteCsiSnapshots(deps.cluster, store, backupName)));
    nativeSnapshots = await store.getBackupFile(backupName, 'volumeSnapshots').catch(() => []);
    if (deps.repositories) {
      const stored = await store.getBackupFile(backupName, 'podVolumeBackups');
      const moved = await storedDataUploadSnapshots(store, backupName);
      errors.push(...(await forgetSnapshots(deps.repositories, [...snapshotsToForget(stored), ...moved])));
    }
    if (errors.length === 0) await store.deleteBackup(backupName);
  } catch (err) {
    errors.push(`error deleting backup ${backupName} from backup storage location ${location}: ${errorMessage(err)}`);
  }
  for (const restore of await restoresOf(deps, backupName)) {
    const restoreName = restore.metadata.name ?? '';
    try {
      // The restore's finalizer would remove these too, but only while a server runs restores.
      await store?.deleteRestore(restoreName);
      await deps.cluster.delete(resourceRef(Kinds.Restore), restoreName, deps.namespace);
    } catch (err) {
      errors.push(`error deleting restore ${restoreName}: ${errorMessage(err)}`);
    }
  }
  if (errors.length === 0) {
    await warnOfNativeSnapshots(deps, backup, nativeSnapshots);
    await deps.cluster.delete(resourceRef(Kinds.Backup), backupName, deps.namespace);
  }
  return errors;
}

/**
 * Reference §5.3 step 3 needs a volume snapshotter, which Skiff does not have: a backup made by
 * Velero with native (provider) snapshots is deleted without them. Said where it outlives the
 * Backup (an Event on it, and the log), naming each snapshot, so they can be deleted by hand.
 */
async function warnOfNativeSnapshots(deps: DeleteBackupDeps, backup: Backup, stored: unknown): Promise<void> {
  const message = nativeSnapshotsLeftMessage(backup.metadata.name ?? '', stored);
  if (!message) return;
  deps.log.warn({ backup: backup.metadata.name }, message);
  await recordEvent(
    deps.cluster,
    backup as unknown as KubeObject,
    { type: 'Warning', reason: 'NativeSnapshotsLeft', message },
    'skiff-server',
    deps.clock.now(),
  ).catch((err: unknown) =>
    deps.log.warn({ backup: backup.metadata.name, err: errorMessage(err) }, 'could not record an event'),
  );
}

/** Every request naming the backup, labelled or not (one created by hand may lack the labels). */
async function requestsFor(deps: DeleteBackupDeps, backupName: string): Promise<DeleteBackupRequest[]> {
  const out: DeleteBackupRequest[] = [];
  for await (const obj of deps.cluster.list(REQUESTS, { namespace: deps.namespace })) {
    const r = obj as DeleteBackupRequest;
    if (r.spec.backupName === backupName) out.push(r);
  }
  return out;
}

async function restoresOf(deps: DeleteBackupDeps, backupName: string): Promise<KubeObject[]> {
  const out: KubeObject[] = [];
  for await (const r of deps.cluster.list(RESTORES, { namespace: deps.namespace })) {
    if ((r.spec as { backupName?: string } | undefined)?.backupName === backupName) out.push(r);
  }
  return out;
}

async function finish(deps: DeleteBackupDeps, name: string, errors: string[]): Promise<void> {
  try {
    await deps.cluster.patchStatus(
      resourceRef(Kinds.DeleteBackupRequest),
      { name, namespace: deps.namespace },
      {
        phase: 'Processed',
        errors,
      },
    );
  } catch (err) {
    // Deleted meanwhile (by a newer request for the same backup): nothing left to record.
    if (!isNotFound(err)) throw err;
  }
}
