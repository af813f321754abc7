/**
 * Backup sync (reference §5.4): brings the Backup objects of a namespace in line with the
 * backups in each location, so a new cluster pointed at an existing bucket (Skiff's or
 * Velero's) sees its backups and can restore them. The decisions are in backup-sync-plan.ts;
 * this file reads the cluster and the store, and carries them out.
 */
import { Kinds, Labels, resourceRef, type Backup, type BackupStorageLocation } from '../api/index.ts';
import type { Cluster } from '../kube/cluster.ts';
import { KubeApiError } from '../kube/errors.ts';
import type { KubeObject } from '../kube/object.ts';
import type { BackupStore } from '../storage/index.ts';
import { kubeTime, type Clock } from '../util/clock.ts';
import { parseDuration } from '../util/duration.ts';
import { errorMessage } from '../util/errors.ts';
import type { Logger } from '../util/log.ts';
import {
  formatSyncPlan,
  importStoredBackup,
  planBackupSync,
  syncDue,
  type ClusterBackup,
  type PlannedBackup,
} from './backup-sync-plan.ts';
import { recreatePodVolumeBackups } from './backup-sync-pod-volumes.ts';
import type { ControllerSpec, ReconcileResult } from './controller.ts';
import type { LocationResolver } from './locations.ts';
import { veleroListType } from './velero-types.ts';

export interface BackupSyncDeps {
  cluster: Cluster;
  namespace: string;
  locations: LocationResolver;
  clock: Clock;
  log: Logger;
  /** `--backup-sync-period` (Go duration; `0` disables): for locations without `spec.backupSyncPeriod`. */
  defaultSyncPeriod: string;
  /**
   * Checks each backup of a tenant namespace's location before it is synced (its seal and
   * owner, src/tenant/exec/tenant-sync.ts): the refusal, or undefined. Without it tenant
   * locations are not synced at all.
   */
  checkTenantBackup?:
    ((bsl: BackupStorageLocation, store: BackupStore, name: string) => Promise<string | undefined>) | undefined;
}

/** What one sync did, for the log and for callers that run a sync directly. */
export interface SyncOutcome {
  location: string;
  created: string[];
  deleted: string[];
  kept: string[];
  /** Backups left out, each with why (missing or unreadable metadata, unfinished, ...). */
  skipped: PlannedBackup[];
}

const TYPE = veleroListType(Kinds.BackupStorageLocation);
const BACKUPS = veleroListType(Kinds.Backup);
const SCHEDULES = veleroListType(Kinds.Schedule);

/**
 * The backup-sync controller: reconciles each location on its sync period (the location's
 * `spec.backupSyncPeriod`, else `defaultSyncPeriod`), once when the server starts, and only
 * while the location is Available.
 */
export function backupSyncController(deps: BackupSyncDeps): ControllerSpec {
  parseDuration(deps.defaultSyncPeriod, '--backup-sync-period');
  const syncedSinceStart = new Set<string>();
  return {
    name: 'backup-sync',
    type: TYPE,
    namespace: deps.namespace,
    reconcile: (obj) => reconcile(deps, syncedSinceStart, obj),
  };
}

async function reconcile(
  deps: BackupSyncDeps,
  syncedSinceStart: Set<string>,
  obj: KubeObject,
): Promise<ReconcileResult | undefined> {
  const bsl = obj as BackupStorageLocation;
  const name = bsl.metadata.name ?? '';
  // A tenant namespace's location (src/tenant/exec/tenant-location.ts): what its bucket prefix
  // holds is trusted only through the tenant seal, never synced into Backups as it is.
  if (isTenantLocation(bsl) && !deps.checkTenantBackup) return undefined;
  let periodMs: number;
  try {
    periodMs = parseDuration(
      bsl.spec.backupSyncPeriod ?? deps.defaultSyncPeriod,
      `spec.backupSyncPeriod of location ${name}`,
    );
  } catch (err) {
    deps.log.warn({ location: name, err }, 'backup sync skipped: invalid sync period');
    return undefined;
  }
  const due = syncDue({
    periodMs,
    phase: bsl.status?.phase,
    lastSyncedTime: bsl.status?.lastSyncedTime ?? undefined,
    syncedSinceStart: syncedSinceStart.has(name),
    now: deps.clock.now(),
  });
  if (!due.due) return due.inMs === undefined ? undefined : { requeueAfterMs: due.inMs };
  try {
    const outcome = await syncLocation(deps, bsl);
    syncedSinceStart.add(name);
    if (outcome.created.length > 0 || outcome.deleted.length > 0) {
      deps.log.info(
        { location: name, created: outcome.created, deleted: outcome.deleted, skipped: outcome.skipped.length },
        'backups synced from object storage',
      );
    }
  } catch (err) {
    // An unreachable store or API server: the location controller reports the store; retry next period.
    deps.log.warn({ location: name, err }, `backup sync of location ${name} failed`);
    return { requeueAfterMs: periodMs };
  }
  await deps.cluster.patchStatus(
    resourceRef(Kinds.BackupStorageLocation),
    { name, namespace: deps.namespace },
    { lastSyncedTime: kubeTime(deps.clock.now()) },
  );
  return { requeueAfterMs: periodMs };
}

/**
 * One sync of one location, whatever its period (§5.4): creates the Backup objects of
 * backups in the store that the cluster lacks, deletes those whose backup left the store
 * (not for a ReadOnly location). A backup whose metadata is missing or unreadable is
 * skipped with a log line naming it; the others carry on.
 */
export async function syncLocation(deps: BackupSyncDeps, bsl: BackupStorageLocation): Promise<SyncOutcome> {
  const location = bsl.metadata.name ?? '';
  const store = await deps.locations.store(bsl);
  // The cluster first, then the store: a backup that completes in between is in both.
  const clusterBackups = await listClusterBackups(deps);
  const storeBackups = await store.listBackups();
  const plan = planBackupSync({
    location,
    readOnly: bsl.spec.accessMode === 'ReadOnly',
    storeBackups,
    clusterBackups,
  });
  deps.log.debug({ location }, formatSyncPlan(plan));
  const outcome: SyncOutcome = { location, created: [], deleted: [], kept: plan.keep.map((k) => k.name), skipped: [] };
  const schedules = plan.create.length > 0 ? await listSchedules(deps) : new Map<string, string>();
  for (const { name } of plan.create) {
    const skip = (reason: string): void => {
      outcome.skipped.push({ name, reason });
      deps.log.warn(
        { backup: name, location },
        `backup sync: skipping backup "${name}" in location "${location}": ${reason}`,
      );
    };
    let stored: unknown;
    try {
      stored = await readMetadata(store, name);
    } catch (err) {
      skip(errorMessage(err));
      continue;
    }
    if (stored === undefined) {
      skip('its velero-backup.json is missing (a backup still uploading, or a partly deleted one)');
      continue;
    }
    const refused = await tenantRefusal(deps, bsl, store, name);
    if (refused) {
      skip(refused);
      continue;
    }
    const imported = importStoredBackup(stored, {
      name,
      location,
      namespace: deps.namespace,
      now: deps.clock.now(),
      schedules,
    });
    if (!imported.ok) {
      skip(imported.reason);
      continue;
    }
    if (imported.note) deps.log.info({ backup: name, location }, imported.note);
    let created: Backup | undefined;
    try {
      created = await createBackup(deps, imported.backup);
      if (!created) continue;
    } catch (err) {
      skip(`the API server refused its Backup object: ${errorMessage(err)}`);
      continue;
    }
    outcome.created.push(name);
    await recreatePodVolumeBackups(deps, store, created, location);
  }
  for (const { name, reason } of plan.delete) {
    if (await deps.cluster.delete(BACKUPS, name, deps.namespace)) {
      outcome.deleted.push(name);
      deps.log.info({ backup: name, location }, `backup sync: deleted Backup ${name}: ${reason}`);
    }
  }
  for (const { name, reason } of plan.keep) deps.log.debug({ backup: name, location }, reason);
  return outcome;
}

function isTenantLocation(bsl: BackupStorageLocation): boolean {
  return bsl.metadata.labels?.[Labels.TenantNamespaceUID] !== undefined;
}

/** Why a backup of a tenant location may not be synced; undefined for other locations. */
async function tenantRefusal(
  deps: BackupSyncDeps,
  bsl: BackupStorageLocation,
  store: BackupStore,
  name: string,
): Promise<string | undefined> {
  if (!isTenantLocation(bsl)) return undefined;
  if (!deps.checkTenantBackup) return 'tenant backups are synced only by a server that runs tenant operations';
  try {
    return await deps.checkTenantBackup(bsl, store, name);
  } catch (err) {
    return `its tenant seal could not be checked: ${errorMessage(err)}`;
  }
}

/** The stored metadata, or undefined when `velero-backup.json` is absent. */
async function readMetadata(store: BackupStore, name: string): Promise<unknown> {
  if (!(await store.backupExists(name))) return undefined;
  return store.getBackupMetadata(name);
}

/**
 * Creates the Backup object with its status. Backup has no status subresource (§0), so the
 * status is stored with the object; should a CRD have one, the status is written after.
 * Returns the created object, or undefined when another writer created it first.
 */
async function createBackup(deps: BackupSyncDeps, backup: Backup): Promise<Backup | undefined> {
  let created: KubeObject;
  try {
    created = await deps.cluster.create(BACKUPS, backup);
  } catch (err) {
    if (err instanceof KubeApiError && err.alreadyExists) return undefined;
    throw err;
  }
  if (backup.status && created.status === undefined) {
    await deps.cluster.patchStatus(
      BACKUPS,
      { name: backup.metadata.name ?? '', namespace: deps.namespace },
      backup.status,
    );
  }
  return created as Backup;
}

async function listClusterBackups(deps: BackupSyncDeps): Promise<ClusterBackup[]> {
  const out: ClusterBackup[] = [];
  for await (const obj of deps.cluster.list(BACKUPS, { namespace: deps.namespace })) {
    const b = obj as Backup;
    out.push({
      name: b.metadata.name ?? '',
      phase: b.status?.phase,
      locationLabel: b.metadata.labels?.[Labels.StorageLocation],
    });
  }
  return out;
}

async function listSchedules(deps: BackupSyncDeps): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const s of deps.cluster.list(SCHEDULES, { namespace: deps.namespace })) {
    out.set(s.metadata.name ?? '', s.metadata.uid ?? '');
  }
  return out;
}
