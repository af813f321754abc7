/**
 * Backup sync (reference §5.4), the deciding half: which backups found in a location get
 * their Backup object back, which Backup objects go because their backup left the store,
 * how a stored `velero-backup.json` becomes a Backup object, and when a location is due.
 * Pure: no cluster, no store, no clock.
 */
import { Labels, parseBackup, type Backup } from '../api/index.ts';
import type { OwnerReference } from '../kube/object.ts';
import { errorMessage } from '../util/errors.ts';
import { validLabelValue } from '../util/label-value.ts';

/** A Backup object in the server namespace, as much as the planner needs of it. */
export interface ClusterBackup {
  name: string;
  phase?: string | undefined;
  /** Its `velero.io/storage-location` label. */
  locationLabel?: string | undefined;
}

export interface SyncInput {
  location: string;
  readOnly: boolean;
  /** Backup names in the location's store (`backups/<name>/`). */
  storeBackups: readonly string[];
  /** Every Backup object in the server namespace, whatever its location. */
  clusterBackups: readonly ClusterBackup[];
}

export interface PlannedBackup {
  name: string;
  reason: string;
}

export interface SyncPlan {
  location: string;
  /** In the store, not in the cluster: read its metadata and create its Backup object. */
  create: PlannedBackup[];
  /** Backup objects of this location whose backup is gone from the store. */
  delete: PlannedBackup[];
  /** Gone from the store, but kept (ReadOnly location). */
  keep: PlannedBackup[];
}

/** Phases whose Backup object goes when its backup is gone from the store (§5.4 orphan removal). */
const ORPHAN_PHASES = new Set(['Completed', 'PartiallyFailed']);

export function planBackupSync(input: SyncInput): SyncPlan {
  const inCluster = new Set(input.clusterBackups.map((b) => b.name));
  const inStore = new Set(input.storeBackups);
  const label = validLabelValue(input.location);
  const plan: SyncPlan = { location: input.location, create: [], delete: [], keep: [] };
  for (const name of [...inStore].sort()) {
    if (!inCluster.has(name)) plan.create.push({ name, reason: `in location ${input.location}, not in the cluster` });
  }
  for (const b of [...input.clusterBackups].sort((x, y) => x.name.localeCompare(y.name))) {
    if (b.locationLabel !== label || inStore.has(b.name) || !ORPHAN_PHASES.has(b.phase ?? '')) continue;
    if (input.readOnly) {
      plan.keep.push({
        name: b.name,
        reason: `gone from location ${input.location}, kept because the location is ReadOnly`,
      });
    } else {
      plan.delete.push({ name: b.name, reason: `${b.phase ?? ''} and gone from location ${input.location}` });
    }
  }
  return plan;
}

/** The plan as lines a person can read, e.g. in a debug log or a test failure. */
export function formatSyncPlan(plan: SyncPlan): string {
  const lines = [`backup sync of location ${plan.location}:`];
  for (const [verb, items] of [
    ['create', plan.create],
    ['delete', plan.delete],
    ['keep', plan.keep],
  ] as const) {
    for (const i of items) lines.push(`  ${verb} ${i.name}: ${i.reason}`);
  }
  if (lines.length === 1) lines.push('  nothing to do');
  return lines.join('\n');
}

// ---- turning stored metadata into a Backup object --------------------------------------

export interface ImportContext {
  /** The backup's directory name in the store. */
  name: string;
  location: string;
  /** The server namespace. */
  namespace: string;
  now: Date;
  /** Schedules in the server namespace, name → uid, for the owner references (§5.4 step 3). */
  schedules: ReadonlyMap<string, string>;
}

export type ImportResult = { ok: true; backup: Backup; note?: string } | { ok: false; reason: string };

/** Written while plugin operations or the finalizer still run: not synced until it ends or expires (§5.4 step 2). */
const UNFINISHED_PHASES = new Set([
  'WaitingForPluginOperations',
  'WaitingForPluginOperationsPartiallyFailed',
  'Finalizing',
  'FinalizingPartiallyFailed',
]);
/** Phases the backup controller would act on: a stored backup in one of them would be run again. */
const NOT_STARTED_PHASES = new Set(['', 'New']);

/** Metadata the API server assigns on create; the stored values belong to the cluster that wrote them. */
const SERVER_SET_METADATA = ['resourceVersion', 'uid', 'creationTimestamp', 'generation', 'managedFields', 'selfLink'];

/**
 * The Backup object to create for a stored `velero-backup.json` (§5.4 step 3): in the
 * server namespace, in this location (spec.storageLocation and the label), without the
 * writing cluster's resourceVersion and identity, without owner references to Schedules
 * this cluster lacks, its status kept. Refuses metadata that is not a valid Backup.
 */
export function importStoredBackup(stored: unknown, ctx: ImportContext): ImportResult {
  let parsed: Backup;
  try {
    parsed = parseBackup(stored);
  } catch (err) {
    return { ok: false, reason: `it is not a valid Backup: ${errorMessage(err)}` };
  }
  const backup = structuredClone(parsed);
  if (backup.metadata.name !== ctx.name) {
    return {
      ok: false,
      reason: `its metadata names backup "${backup.metadata.name ?? ''}", not the directory's name "${ctx.name}"`,
    };
  }
  const phase = backup.status?.phase ?? '';
  let note: string | undefined;
  if (NOT_STARTED_PHASES.has(phase)) {
    return { ok: false, reason: `its phase is "${phase || '(none)'}": it never ran, so there is nothing to restore` };
  }
  if (UNFINISHED_PHASES.has(phase)) {
    const expiration = backup.status?.expiration ? Date.parse(backup.status.expiration) : NaN;
    if (!(expiration <= ctx.now.getTime())) {
      return { ok: false, reason: `its phase is ${phase}: synced once the server that wrote it finishes it` };
    }
    // Expired while unfinished: imported as PartiallyFailed so that garbage collection removes it.
    backup.status = { ...backup.status, phase: 'PartiallyFailed' };
    note = `phase ${phase} and expired: imported as PartiallyFailed`;
  }
  const meta = backup.metadata;
  for (const key of SERVER_SET_METADATA) delete meta[key];
  meta.namespace = ctx.namespace;
  meta.labels = { ...meta.labels, [Labels.StorageLocation]: validLabelValue(ctx.location) };
  const owners = (meta.ownerReferences ?? []).filter((ref) => keepOwner(ref, ctx.schedules));
  if (owners.length > 0) meta.ownerReferences = owners;
  else delete meta.ownerReferences;
  backup.spec = { ...backup.spec, storageLocation: ctx.location };
  return note === undefined ? { ok: true, backup } : { ok: true, backup, note };
}

function keepOwner(ref: OwnerReference, schedules: ReadonlyMap<string, string>): boolean {
  if (ref.kind !== 'Schedule' || !ref.apiVersion.startsWith('velero.io/')) return true;
  return schedules.get(ref.name) === ref.uid;
}

// ---- when a location is due ---------------------------------------------------------------

export type SyncDue = { due: true; reason: string } | { due: false; inMs?: number; reason: string };

/**
 * Whether a location is synced now (§5.4): never with a period of 0 or while it is not
 * Available; once after the server starts; then when `period` has passed since
 * `status.lastSyncedTime`.
 */
export function syncDue(input: {
  periodMs: number;
  phase: string | undefined;
  lastSyncedTime: string | undefined;
  syncedSinceStart: boolean;
  now: Date;
}): SyncDue {
  if (input.periodMs === 0) return { due: false, reason: 'sync is disabled (period 0)' };
  if (input.phase !== 'Available')
    return { due: false, reason: `the location is ${input.phase ?? 'not validated yet'}` };
  if (!input.syncedSinceStart) return { due: true, reason: 'first sync since the server started' };
  const last = input.lastSyncedTime ? Date.parse(input.lastSyncedTime) : NaN;
  if (Number.isNaN(last)) return { due: true, reason: 'never synced' };
  const elapsed = input.now.getTime() - last;
  if (elapsed >= input.periodMs) return { due: true, reason: 'the sync period has passed' };
  return { due: false, inMs: input.periodMs - elapsed, reason: 'synced recently' };
}
