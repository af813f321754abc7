import { Defaults, Kinds, Labels, parseBackup, resourceRef, type Backup, type BackupSpec } from '../api/index.ts';
import { parseIncludeAppClusterResources } from '../backup/plan/app-cluster-resources.ts';
import type { BackupPlan } from '../backup/plan/backup-plan.ts';
import { planBackupForCluster } from '../backup/plan-for-cluster.ts';
import { effectiveTtl, expirationOf } from '../backup/ttl.ts';
import { runBackup, type BackupOutcome, type BackupProgress } from '../backup/run-backup.ts';
import { cancelPodVolumeBackupsOf } from '../backup/volumes/cancel.ts';
import { csiSnapshotsFor } from '../backup/csi/for-backup.ts';
import {
  podVolumeBackupsFor,
  prepareVolumes,
  type BackupVolumeDeps,
  type PreparedVolumes,
} from '../backup/volumes/prepare.ts';
import type { Cluster } from '../kube/cluster.ts';
import type { KubeObject } from '../kube/object.ts';
import { validateLocation, type BackupStore } from '../storage/index.ts';
import { throttle } from '../util/async.ts';
import { kubeTime, type Clock } from '../util/clock.ts';
import { parseDuration } from '../util/duration.ts';
import { errorMessage } from '../util/errors.ts';
import { validLabelValue } from '../util/label-value.ts';
import type { Logger } from '../util/log.ts';
import type { ServerMetrics } from '../server/metrics.ts';
import type { ControllerSpec, ReconcileResult } from './controller.ts';
import { removeOrphanedBackupFiles } from './interrupted-backups.ts';
import type { LocationResolver } from './locations.ts';
import type { RunningOperations, RunRemainder } from './running-operations.ts';
import { veleroListType } from './velero-types.ts';

export interface BackupControllerDeps {
  cluster: Cluster;
  namespace: string;
  locations: LocationResolver;
  clock: Clock;
  log: Logger;
  defaultTtl: string;
  defaultLocation: string;
  pageSize: number;
  /** Prometheus metrics (reference §10.3); absent in tests that do not look at them. */
  metrics?: ServerMetrics;
  /** Server feature EnableAPIGroupVersions: backups take every served version (reference §2.4). */
  enableApiGroupVersions?: boolean;
  /** The backups running in this process, shared with the backup queue. */
  runs: RunningOperations;
  /** `--item-block-worker-count`: the units of work a backup processes at once (see runBackup). */
  itemBlockWorkers?: number;
  /** Server volume defaults (`--default-volumes-to-fs-backup`, `--uploader-type`, `--fs-backup-timeout`); absent = Velero's. */
  volumes?: BackupVolumeDeps;
}

const BACKUPS = veleroListType(Kinds.Backup);

/** Reason Velero gives for a backup that was running when the server stopped (reference §1.1). */
export const INTERRUPTED_REASON =
  'found a backup with status "InProgress" during the server starting, mark it as "Failed"';

interface Prepared {
  spec: BackupSpec;
  location: string;
  plan: BackupPlan;
  store: BackupStore;
  volumes: PreparedVolumes;
}

/**
 * ReadyToStart Backup (the backup queue picked it) → validate and plan → InProgress → run →
 * Completed / PartiallyFailed / Failed, or FailedValidation with every problem listed. The
 * run goes on in the background, so that the queue can start others beside it. Backup has no
 * status subresource (reference §0), so status is written with merge patches of the object.
 */
export function backupController(deps: BackupControllerDeps): ControllerSpec {
  return {
    name: 'backup',
    type: BACKUPS,
    namespace: deps.namespace,
    reconcile: (obj) => reconcileBackup(deps, obj),
    drain: () => deps.runs.drain(),
  };
}

async function reconcileBackup(deps: BackupControllerDeps, seen: KubeObject): Promise<ReconcileResult | undefined> {
  const name = seen.metadata.name ?? '';
  if (phaseOf(seen) !== 'ReadyToStart' || deps.runs.has(name)) return undefined;
  await deps.runs.run(
    name,
    async () => {
      // The informer's copy may predate the end of an earlier run of this name.
      const obj = await deps.cluster.find(resourceRef(Kinds.Backup), name, deps.namespace);
      return obj && phaseOf(obj) === 'ReadyToStart' ? startBackup(deps, obj) : undefined;
    },
    (err) => deps.log.error({ err, backup: name }, 'backup run ended with an error'),
  );
  return undefined;
}

/** Validates and plans, then moves the backup InProgress; returns the run, undefined when it cannot start. */
async function startBackup(deps: BackupControllerDeps, obj: KubeObject): Promise<RunRemainder | undefined> {
  let backup: Backup;
  try {
    backup = parseBackup(obj);
  } catch (err) {
    await patchBackup(deps, obj.metadata.name ?? '', {
      status: { phase: 'FailedValidation', validationErrors: [errorMessage(err)] },
    });
    deps.metrics?.backupFailedValidation(scheduleOf(obj));
    return undefined;
  }
  const name = backup.metadata.name ?? '';
  const schedule = scheduleOf(backup);
  const prepared = await prepare(deps, backup);
  if ('errors' in prepared) {
    deps.metrics?.backupFailedValidation(schedule);
    deps.log.info({ backup: name, errors: prepared.errors }, 'backup failed validation');
    await patchBackup(deps, name, {
      status: {
        phase: 'FailedValidation',
        validationErrors: prepared.errors,
        version: 1,
        formatVersion: Defaults.BackupFormatVersion,
      },
    });
    return undefined;
  }
  if (await prepared.store.backupExists(name)) {
    await patchBackup(deps, name, {
      status: { phase: 'Failed', failureReason: 'backup already exists in object storage' },
    });
    return undefined;
  }
  const start = deps.clock.now();
  const status = {
    phase: 'InProgress',
    version: 1,
    formatVersion: Defaults.BackupFormatVersion,
    startTimestamp: kubeTime(start),
    expiration: kubeTime(expirationOf(start, prepared.spec.ttl, deps.defaultTtl)),
    progress: {},
  } as const;
  const labels = { [Labels.StorageLocation]: validLabelValue(prepared.location) };
  const running = (await patchBackup(deps, name, { metadata: { labels }, spec: prepared.spec, status })) as Backup;
  deps.metrics?.backupAttempted(schedule);
  deps.log.info({ backup: name, location: prepared.location }, 'backup started');
  return () => runStartedBackup(deps, running, prepared, start);
}

/** The long part of a backup, from InProgress to its final phase; never throws for the backup's own failures. */
async function runStartedBackup(
  deps: BackupControllerDeps,
  running: Backup,
  prepared: Prepared,
  start: Date,
): Promise<void> {
  const name = running.metadata.name ?? '';
  const schedule = scheduleOf(running);
  const progress = { totalItems: 0, itemsBackedUp: 0 };
  const reporter = throttle(() => patchBackup(deps, name, { status: { progress } }).then(() => undefined), 1000);
  let outcome: BackupOutcome;
  let tarballBytes: number | undefined;
  try {
    outcome = await runBackup(
      {
        cluster: deps.cluster,
        store: prepared.store,
        clock: deps.clock,
        pageSize: deps.pageSize,
        ...(deps.enableApiGroupVersions ? { enableApiGroupVersions: true } : {}),
        ...(deps.itemBlockWorkers ? { listConcurrency: deps.itemBlockWorkers } : {}),
        onTarballStored: (bytes) => (tarballBytes = bytes),
        podVolumeBackups: podVolumeBackupsFor(deps, running, prepared.volumes),
        csiSnapshots: csiSnapshotsFor(deps, running, prepared.volumes),
      },
      running,
      prepared.plan,
      (p: BackupProgress) => {
        Object.assign(progress, p);
        reporter.call();
      },
    );
  } catch (err) {
    // An unexpected error must end the backup, not leave it InProgress until the next restart.
    outcome = { phase: 'Failed', failureReason: errorMessage(err), completionTimestamp: kubeTime(deps.clock.now()) };
  }
  await reporter.flush();
  await patchBackup(deps, name, { status: outcome });
  recordFinished(deps, schedule, start, outcome, tarballBytes);
  deps.log.info({ backup: name, phase: outcome.phase, items: outcome.progress?.itemsBackedUp }, 'backup finished');
}

function phaseOf(obj: KubeObject): string {
  const phase = (obj.status as { phase?: unknown } | undefined)?.phase;
  return typeof phase === 'string' ? phase : '';
}

/** Fills defaults and checks everything that would make the backup pointless to start. */
async function prepare(deps: BackupControllerDeps, backup: Backup): Promise<Prepared | { errors: string[] }> {
  const errors: string[] = [];
  const spec: BackupSpec = { ...backup.spec, ttl: effectiveTtl(backup.spec.ttl, deps.defaultTtl) };
  try {
    parseDuration(spec.ttl ?? '', 'spec.ttl');
  } catch (err) {
    errors.push(errorMessage(err));
  }
  const location = spec.storageLocation ?? (await deps.locations.defaultName(deps.defaultLocation));
  spec.storageLocation = location;
  // Planning waits on the API server and validation on object storage: done at once, and the
  // storage client is warm when the run starts.
  const appResources = parseIncludeAppClusterResources(backup.metadata.annotations);
  if ('problem' in appResources) errors.push(appResources.problem);
  const planning = planBackupForCluster(deps.cluster, spec, {
    includeAppClusterResources: 'value' in appResources && appResources.value,
    pageSize: deps.pageSize,
    ...(deps.itemBlockWorkers ? { listConcurrency: deps.itemBlockWorkers } : {}),
  });
  planning.catch(() => undefined);
  let store: BackupStore | undefined;
  try {
    const bsl = await deps.locations.get(location);
    if (bsl.spec.accessMode === 'ReadOnly') {
      errors.push(`backup storage location "${location}" is ReadOnly: choose another with --storage-location`);
    } else {
      store = await deps.locations.store(bsl);
      await validateLocation(store);
    }
  } catch (err) {
    errors.push(`backup storage location "${location}" cannot be used: ${errorMessage(err)}`);
  }
  const plan = await planning;
  errors.push(...plan.validationErrors);
  const volumes = await prepareVolumes(deps, backup, plan, location);
  if ('errors' in volumes) errors.push(...volumes.errors);
  if (errors.length > 0 || !store || 'errors' in volumes) return { errors };
  return { spec: { ...spec, ...volumes.specFields }, location, plan, store, volumes };
}

function recordFinished(
  deps: BackupControllerDeps,
  schedule: string,
  start: Date,
  outcome: BackupOutcome,
  tarballBytes: number | undefined,
): void {
  const end = deps.clock.now();
  deps.metrics?.backupFinished(schedule, {
    phase: outcome.phase ?? 'Failed',
    durationSeconds: (end.getTime() - start.getTime()) / 1000,
    completedAt: end,
    items: outcome.progress?.itemsBackedUp ?? 0,
    errors: outcome.errors ?? 0,
    warnings: outcome.warnings ?? 0,
    // A failed run's tarball was removed from storage: it has no size to report.
    ...(tarballBytes !== undefined && outcome.phase !== 'Failed' ? { tarballBytes } : {}),
  });
}

/** The `schedule` label of a backup's metrics: the schedule that made it, "" for a manual one (reference §10.3). */
export function scheduleOf(obj: KubeObject): string {
  return obj.metadata.labels?.[Labels.ScheduleName] ?? '';
}

function patchBackup(deps: BackupControllerDeps, name: string, patch: Record<string, unknown>): Promise<KubeObject> {
  return deps.cluster.patch(resourceRef(Kinds.Backup), { name, namespace: deps.namespace }, 'merge', patch);
}

/**
 * On start, a backup left InProgress by a previous server can never finish: its orphaned files
 * are removed from storage (interrupted-backups.ts), then it is marked Failed.
 */
export async function failInterruptedBackups(
  deps: Pick<BackupControllerDeps, 'cluster' | 'namespace' | 'log' | 'clock' | 'locations'>,
): Promise<number> {
  let n = 0;
  for await (const b of deps.cluster.list(BACKUPS, { namespace: deps.namespace })) {
    if ((b.status as { phase?: string } | undefined)?.phase !== 'InProgress') continue;
    await removeOrphanedBackupFiles(deps, b);
    await deps.cluster.patch(
      resourceRef(Kinds.Backup),
      { name: b.metadata.name ?? '', namespace: deps.namespace },
      'merge',
      {
        status: { phase: 'Failed', failureReason: INTERRUPTED_REASON, completionTimestamp: kubeTime(deps.clock.now()) },
      },
    );
    const canceled = await cancelPodVolumeBackupsOf(deps.cluster, deps.namespace, b.metadata.uid ?? '').catch(() => 0);
    deps.log.warn({ backup: b.metadata.name, canceledPodVolumeBackups: canceled }, 'marked interrupted backup Failed');
    n++;
  }
  return n;
}
