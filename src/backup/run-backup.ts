import { readFile } from 'node:fs/promises';
import { setImmediate as setImmediatePromise } from 'node:timers/promises';
import { BackupArchiveWriter } from '../archive/index.ts';
import type { Backup, BackupStatus } from '../api/backup.ts';
import type { Cluster } from '../kube/cluster.ts';
import { groupResource, type ResourceType } from '../kube/resource.ts';
import { wholeObject, type ListedObject } from '../kube/served-list.ts';
import { OperationLog } from '../results/operation-log.ts';
import { scopeOf } from '../results/results.ts';
import type { BackupStore } from '../storage/index.ts';
import type { Clock } from '../util/clock.ts';
import { kubeTime } from '../util/clock.ts';
import { errorMessage } from '../util/errors.ts';
import { defaultBackupActions } from './actions/registry.ts';
import { collectBackupItemBatches, type CollectedEvent } from './collect/collect-items.ts';
import { clusterItemSource } from './collect/item-source.ts';
import { describeLeftOut } from './plan/app-cluster-resources.ts';
import type { BackupPlan } from './plan/backup-plan.ts';
import { runInPod } from '../kube/exec.ts';
import { BackupHookRunner, type HookExec } from './hooks/hook-runner.ts';
import { NO_BACKUP_HOOKS } from './hooks/hook-spec.ts';
import { archiveItem } from './write/archive-item.ts';
import { ResourceListBuilder } from './write/resource-list.ts';
import { writeOtherVersions } from './write/write-other-versions.ts';
import type { PodVolumeBackups } from './volumes/run-pod-volumes.ts';
import type { CsiSnapshots } from './csi/csi-snapshots.ts';
import { DATA_UPLOAD_TYPE } from './csi/data-uploads.ts';
import { itemOperationCounts } from './csi/item-operations.ts';

export interface BackupProgress {
  totalItems: number;
  itemsBackedUp: number;
}

export interface BackupRunDeps {
  cluster: Cluster;
  store: BackupStore;
  clock: Clock;
  pageSize?: number;
  listConcurrency?: number;
  /** Told the compressed size of the tarball once it is in storage (the metrics' tarball size). */
  onTarballStored?: (bytes: number) => void;
  /** Server feature EnableAPIGroupVersions: every served version of each type goes in (reference §2.4). */
  enableApiGroupVersions?: boolean;
  /** Runs hook commands in pods; by default `pods/exec` through the API server. */
  hookExec?: HookExec;
  /** Backup hook phases running at once across pods. */
  hookConcurrency?: number;
  /**
   * The pods' file-system volume backups (src/backup/volumes/), which pre and post hooks
   * surround (VOLUMES-CONTRACT §7); absent: no volume is backed up.
   */
  podVolumeBackups?: PodVolumeBackups;
  /** The claims' CSI snapshots (src/backup/csi/); absent: none is taken. */
  csiSnapshots?: CsiSnapshots;
}

/** The status a finished run leaves, already uploaded with the backup's metadata. */
export type BackupOutcome = Pick<
  BackupStatus,
  | 'phase'
  | 'completionTimestamp'
  | 'errors'
  | 'warnings'
  | 'progress'
  | 'failureReason'
  | 'hookStatus'
  | 'csiVolumeSnapshotsAttempted'
  | 'csiVolumeSnapshotsCompleted'
  | 'backupItemOperationsAttempted'
  | 'backupItemOperationsCompleted'
  | 'backupItemOperationsFailed'
>;

/**
 * Carries out a planned backup: collect → stream into the tarball upload → companion
 * files → metadata last (so a backup visible in storage always has its tarball).
 * `backup` must already carry its InProgress status (start time, expiration).
 */
export async function runBackup(
  deps: BackupRunDeps,
  backup: Backup,
  plan: BackupPlan,
  onProgress: (p: BackupProgress) => void = () => undefined,
): Promise<BackupOutcome> {
  const name = backup.metadata.name ?? '';
  const hooks = hookRunner(deps, plan);
  // The first LIST requests leave before the log file and the archive are set up.
  const items = await startCollecting(deps, name, plan, hooks);
  let log: OperationLog;
  try {
    log = await OperationLog.create({ backup: `${backup.metadata.namespace ?? ''}/${name}` });
  } catch (err) {
    await items.iterator.return(undefined);
    throw err;
  }
  hooks.attachLog(log);
  try {
    log.info('backup started');
    deps.podVolumeBackups?.report({
      warn: (ns, m) => log.warn(scopeOf(ns), m),
      error: (ns, m) => log.error(scopeOf(ns), m),
      info: (m, fields) => log.info(m, fields),
    });
    for (const e of plan.errors) log.error('operation', e);
    for (const w of plan.warnings) log.warn('operation', w);
    let failure: string | undefined;
    let progress: BackupProgress = { totalItems: 0, itemsBackedUp: 0 };
    const resourceList = new ResourceListBuilder();
    // Files whose content is known up front go while the items stream, off the critical path;
    // on the next turn, so the first LIST requests leave before the S3 client's set-up work.
    const sideUploads: Promise<void>[] = [];
    const startSideUpload = (upload: Promise<void>): void => {
      upload.catch(() => undefined); // awaited later, with the others
      sideUploads.push(upload);
    };
    const fixedFiles = setImmediatePromise().then(() => uploadFixedFiles(deps.store, name));
    startSideUpload(fixedFiles);
    // The resource list and the results are complete with the last item: they go while the
    // tarball's last bytes do. Should the tarball's upload still fail, the failure path
    // removes them and uploads the results again.
    const itemsDone = (): void => {
      startSideUpload(deps.store.putBackupFile(name, 'podVolumeBackups', deps.podVolumeBackups?.records() ?? []));
      startSideUpload(deps.store.putBackupFile(name, 'volumeInfo', deps.csiSnapshots?.volumeInfos() ?? []));
      // The DataUploads have ended: their operations replace the empty list the fixed files wrote.
      const operations = deps.csiSnapshots?.itemOperations() ?? [];
      if (operations.length > 0)
        startSideUpload(fixedFiles.then(() => deps.store.putBackupFile(name, 'itemOperations', operations)));
      startSideUpload(deps.store.putBackupFile(name, 'results', log.results.toJSON()));
    };
    // The resource list is complete once the last item is in the archive: it is gzipped and
    // uploaded while the tarball's last blocks are deflated and uploaded, not after them (its
    // gzip, on the thread pool, otherwise put it behind the tarball's PUT, and the metadata
    // behind it).
    const resourceListDone = (): void =>
      startSideUpload(deps.store.putBackupFilePieces(name, 'resourceList', resourceList.jsonPieces()));
    try {
      progress = await writeTarball(
        { deps, backup, plan, items, log, resourceList, resourceListDone, itemsDone, hooks },
        onProgress,
      );
    } catch (err) {
      failure = errorMessage(err);
      log.error('operation', `backup failed: ${failure}`);
      await abandonVolumes(deps);
      // Pods whose pre hooks ran get their post hooks, failed backup or not.
      await hooks.drain();
      // Nothing may land after the cleanup.
      await Promise.allSettled(sideUploads);
      await deps.store.deleteBackup(name).catch(() => undefined);
    }
    const outcome: BackupOutcome = {
      phase: failure ? 'Failed' : log.results.errorCount > 0 ? 'PartiallyFailed' : 'Completed',
      completionTimestamp: kubeTime(deps.clock.now()),
      errors: log.results.errorCount,
      warnings: log.results.warningCount,
      progress,
      ...(failure ? { failureReason: failure } : {}),
      ...(hooks.status ? { hookStatus: hooks.status } : {}),
      ...csiCounts(deps.csiSnapshots),
      ...itemOperationCounts(deps.csiSnapshots?.itemOperations() ?? []),
    };
    log.info(`backup ended with phase ${outcome.phase ?? ''}`, { items: progress.itemsBackedUp });
    try {
      await uploadCompanions(
        deps.store,
        { ...backup, status: { ...backup.status, ...outcome } },
        log,
        failure ? [] : sideUploads,
      );
    } catch (err) {
      // Without its metadata a backup does not exist in storage (ADR 0002): whatever did land
      // is removed, and the run is Failed, never reported Completed.
      await Promise.allSettled(sideUploads);
      await deps.store.deleteBackup(name).catch(() => undefined);
      await abandonVolumes(deps);
      const detail = errorMessage(err);
      const reason = `uploading the backup's files to object storage failed: ${detail}`;
      const failureReason = !failure ? reason : detail === failure ? failure : `${failure}; then ${reason}`;
      return { ...outcome, phase: 'Failed', failureReason };
    }
    return outcome;
  } finally {
    await log.dispose();
  }
}

/** The backup failed: running volume backups are canceled and its snapshots are not kept. */
async function abandonVolumes(deps: BackupRunDeps): Promise<void> {
  await deps.podVolumeBackups?.cancelAll();
  await deps.csiSnapshots?.discardAll();
}

/**
 * Velero's finalize step for CSI snapshots (reference §7.3 step 7): once the tarball holding
 * the snapshots' objects is stored, the storage snapshots are retained and the cluster objects removed.
 */
async function finalizeCsiSnapshots(
  csi: CsiSnapshots | undefined,
  upload: Promise<void>,
  log: OperationLog,
): Promise<void> {
  if (!csi || csi.counts().completed === 0) return;
  await upload;
  for (const problem of await csi.retainAndCleanUp()) log.error('operation', problem);
}

/** The Backup's CSI snapshot counters (reference §1.1), when any claim was CSI-snapshotted. */
function csiCounts(
  csi: CsiSnapshots | undefined,
): Pick<BackupOutcome, 'csiVolumeSnapshotsAttempted' | 'csiVolumeSnapshotsCompleted'> {
  const c = csi?.counts();
  if (!c || c.attempted === 0) return {};
  return { csiVolumeSnapshotsAttempted: c.attempted, csiVolumeSnapshotsCompleted: c.completed };
}

/** Runs the pods' pre and post hooks around their items (reference §3.6). */
function hookRunner(deps: BackupRunDeps, plan: BackupPlan): BackupHookRunner {
  return new BackupHookRunner({
    exec: deps.hookExec ?? ((target) => runInPod(deps.cluster.client, target)),
    hooks: plan.hooks ?? NO_BACKUP_HOOKS,
    ...(deps.hookConcurrency ? { concurrency: deps.hookConcurrency } : {}),
    ...(deps.podVolumeBackups ? { podVolumeBackups: deps.podVolumeBackups } : {}),
  });
}

interface RunContext {
  deps: BackupRunDeps;
  backup: Backup;
  plan: BackupPlan;
  items: StartedCollection;
  log: OperationLog;
  resourceList: ResourceListBuilder;
  /** Called once every item is in the archive and the resource list, before the archive is finalized. */
  resourceListDone: () => void;
  /** Called once every item is in the archive, before the upload has finished. */
  itemsDone: () => void;
  /** Post hooks still running once the last item is written. */
  hooks: BackupHookRunner;
}

/** The backup's items, in batches (collectBackupItemBatches), with the first batch already asked for. */
interface StartedCollection {
  first: Promise<IteratorResult<CollectedEvent[]>>;
  iterator: AsyncGenerator<CollectedEvent[]>;
}

async function startCollecting(
  deps: BackupRunDeps,
  name: string,
  plan: BackupPlan,
  podGate: BackupHookRunner,
): Promise<StartedCollection> {
  const discovery = await deps.cluster.discover();
  const iterator = collectBackupItemBatches(plan, {
    backupName: name,
    source: clusterItemSource(deps.cluster, deps.pageSize),
    actions: defaultBackupActions(),
    typeOf: (group, resource) => discovery.preferred.find((rt) => rt.group === group && rt.resource === resource),
    ...(deps.listConcurrency ? { listConcurrency: deps.listConcurrency } : {}),
    podGate,
    ...(deps.csiSnapshots ? { csi: deps.csiSnapshots } : {}),
  });
  const first = iterator.next();
  first.catch(() => undefined); // awaited by writeTarball
  return { first, iterator };
}

async function writeTarball(
  { deps, backup, plan, items, log, resourceList, resourceListDone, itemsDone, hooks }: RunContext,
  onProgress: (p: BackupProgress) => void,
): Promise<BackupProgress> {
  const name = backup.metadata.name ?? '';
  const start = backup.status?.startTimestamp ? new Date(backup.status.startTimestamp) : deps.clock.now();
  const writer = new BackupArchiveWriter({ mtime: start });
  const upload = deps.store.putBackupContents(name, writer.stream);
  upload.catch(() => undefined);
  const progress: BackupProgress = { totalItems: 0, itemsBackedUp: 0 };
  // Group-resources taken, for EnableAPIGroupVersions' second pass; not kept without the feature.
  const taken = deps.enableApiGroupVersions ? new Set<string>() : undefined;
  let done = false;
  try {
    for (let next = await items.first; !next.done; next = await items.iterator.next()) {
      const batch = next.value;
      for (let i = 0; i < batch.length; i++) {
        const ev = batch[i] as CollectedEvent;
        // Handled items die young, as the collector's listed pages do.
        (batch as (CollectedEvent | undefined)[])[i] = undefined;
        if (ev.kind !== 'included') {
          logEvent(log, ev);
          continue;
        }
        progress.totalItems++;
        const { type, item } = ev;
        if (deps.podVolumeBackups) noteVolumeItem(deps.podVolumeBackups, type, item);
        const more = writer.writeItem(archiveItem(type, item, true));
        resourceList.add(item);
        taken?.add(groupResource(type));
        progress.itemsBackedUp++;
        onProgress(progress);
        // Only wait when gzip or the upload falls behind: an await per item would cost an event-loop turn each.
        if (!more) await writer.drained();
      }
    }
    done = true;
    if (taken) await writeOtherVersions({ cluster: deps.cluster, pageSize: deps.pageSize, writer, log }, plan, taken);
    await writeDataUploads(deps.csiSnapshots, writer, resourceList, log);
    resourceListDone();
    await writer.finalize();
    if (deps.podVolumeBackups) {
      // The backup's results are final once its pod volume backups have ended (reference §6.3).
      await upload;
      await deps.podVolumeBackups.waitAll();
    }
    await finalizeCsiSnapshots(deps.csiSnapshots, upload, log);
    // The results go up with the last item: the post hooks' outcomes must be in them.
    await hooks.drain();
    itemsDone();
  } catch (err) {
    writer.abort(err instanceof Error ? err : new Error(String(err)));
    await upload.catch(() => undefined);
    throw err;
  } finally {
    // Stops the listings when the loop did not run to its end.
    if (!done) await items.iterator.return(undefined).catch(() => undefined);
  }
  await upload;
  deps.onTarballStored?.(writer.compressedBytes);
  log.info('backup tarball uploaded', {
    items: progress.itemsBackedUp,
    types: plan.steps.map((s) => groupResource(s.type)).length,
  });
  return progress;
}

/** The collector's warnings and errors go to the backup's log; excluded items are not logged. */
function logEvent(log: OperationLog, ev: CollectedEvent): void {
  if (ev.kind === 'warning') log.warn(scopeOf(ev.namespace), ev.message);
  else if (ev.kind === 'error') log.error(scopeOf(ev.namespace), ev.message);
  else if (ev.kind === 'app-left-out') log.warn('cluster', describeLeftOut(ev.found));
}

/**
 * The backup waits for its DataUploads and stores each in its final state, as Velero's post-operation items
 * (reference §7.3 step 8); one that did not complete is an error of the backup.
 */
async function writeDataUploads(
  csi: CsiSnapshots | undefined,
  writer: BackupArchiveWriter,
  resourceList: ResourceListBuilder,
  log: OperationLog,
): Promise<void> {
  if (!csi?.movesData()) return;
  const { uploads, problems } = await csi.waitDataUploads();
  for (const problem of problems) log.error('operation', problem);
  for (const du of uploads) {
    writer.writeItem(archiveItem(DATA_UPLOAD_TYPE, du, true));
    resourceList.add(du);
  }
}

/** A pod starts its pod volume backups; a PV is remembered (run-pod-volumes.ts). */
function noteVolumeItem(podVolumes: PodVolumeBackups, type: ResourceType, item: ListedObject): void {
  if (type.group !== '') return;
  if (type.resource === 'pods') void podVolumes.startPodVolumeBackups(wholeObject(item));
  else if (type.resource === 'persistentvolumes') podVolumes.notePersistentVolume(wholeObject(item));
}

/**
 * The companion files that are the same for every backup: no async operations (a backup that moved
 * snapshot data writes its DataUploads' operations over it once they ended), no native snapshots. (The pod volume backups and the volume info go with the results, once they have ended.)
 */
async function uploadFixedFiles(store: BackupStore, name: string): Promise<void> {
  await Promise.all([
    store.putBackupFile(name, 'itemOperations', []),
    store.putBackupFile(name, 'volumeSnapshots', []),
  ]);
}

/**
 * The files still to upload once the tarball is complete, then `velero-backup.json` last
 * among the files a backup needs (ADR 0002).
 *
 * After a complete tarball, the results and resource list are already under way: the log goes
 * alongside the metadata. A log is best-effort (reference §2.2), so it is the one file that
 * may land a moment after the metadata; the Backup reports its phase only once both settled.
 * After a failure, the results go again, with the log, before the metadata.
 */
async function uploadCompanions(
  store: BackupStore,
  backup: Backup,
  log: OperationLog,
  underWay: Promise<void>[],
): Promise<void> {
  const name = backup.metadata.name ?? '';
  const failed = backup.status?.phase === 'Failed';
  const results = log.results.toJSON();
  // The log is closed (its gzip flushed to the file) while the other uploads finish, not before
  // waiting for them: closing takes a few thread-pool hops that would delay the metadata.
  const logUpload = log
    .close()
    .then(() => readFile(log.path))
    .then((gzipped) => store.putBackupLog(name, { gzipped }))
    .catch(() => undefined);
  // Every upload settles before a failure is reported, so a cleanup after it is not raced by a late one.
  const before = await Promise.allSettled([
    ...underWay,
    ...(failed ? [store.putBackupFile(name, 'results', results), logUpload] : []),
  ]);
  for (const r of before)
    if (r.status === 'rejected') {
      await logUpload;
      throw r.reason;
    }
  const [metadata] = await Promise.allSettled([store.putBackupMetadata(name, backup), logUpload]);
  if (metadata.status === 'rejected') throw metadata.reason;
}
