/**
 * Which backup a Restore reads and where that backup lives (reference §1.2 validation).
 * The restore controller and `skiff restore create --dry-run` both go through here, so the
 * dry run opens exactly the location the server would.
 */
import { Kinds, Labels, resourceRef, type Backup, type RestoreSpec } from '../api/index.ts';
import type { Cluster } from '../kube/cluster.ts';
import { restoreHookProblems } from '../restore/hooks/restore-hook-spec.ts';
import { resourceModifierProblems } from '../restore/modifiers/load.ts';
import { dataOnlyProblems } from '../restore/volumes/data-only.ts';
import { validateRestoreSelection } from '../selection/index.ts';
import { validateLocation, type BackupStore } from '../storage/index.ts';
import { errorMessage } from '../util/errors.ts';
import { validLabelValue } from '../util/label-value.ts';
import type { LocationResolver } from './locations.ts';
import { veleroListType } from './velero-types.ts';

export interface RestoreSourceDeps {
  cluster: Cluster;
  /** Namespace of the server, where Backups, Schedules and locations live. */
  namespace: string;
  locations: LocationResolver;
}

export interface RestoreSource {
  /** The spec with `backupName` filled in (from the schedule when one was named). */
  spec: RestoreSpec;
  backup: Backup;
  store: BackupStore;
}

const BACKUPS = veleroListType(Kinds.Backup);

/** Backups a restore may read (reference §1.2: the backup must have finished writing). */
const RESTORABLE_PHASES = new Set(['Completed', 'PartiallyFailed']);

/**
 * Checks everything that makes a Restore pointless to start and opens its backup's store.
 * Every problem is listed, as `status.validationErrors` shows them.
 */
export async function resolveRestoreSource(
  deps: RestoreSourceDeps,
  spec: RestoreSpec,
  /** The Restore's annotations: `skiff.io/data-only` refuses the fields it cannot honour. */
  annotations?: Record<string, string>,
): Promise<RestoreSource | { errors: string[] }> {
  const errors = [
    ...validateRestoreSelection(spec),
    ...dataOnlyProblems(annotations, spec),
    ...policyErrors(spec),
    ...restoreHookProblems(spec),
    ...(await resourceModifierProblems(deps.cluster, deps.namespace, spec)),
  ];
  const hasBackup = (spec.backupName ?? '') !== '';
  const hasSchedule = (spec.scheduleName ?? '') !== '';
  if (hasBackup === hasSchedule) {
    errors.push('either a backup or a schedule must be given as the source of the restore, but not both');
    return { errors };
  }
  const backupName = hasBackup ? (spec.backupName ?? '') : await newestScheduledBackup(deps, spec.scheduleName ?? '');
  if (backupName === undefined) {
    errors.push(`no Completed backup found for schedule "${spec.scheduleName ?? ''}"`);
    return { errors };
  }
  const backup = (await deps.cluster.find(resourceRef(Kinds.Backup), backupName, deps.namespace)) as Backup | undefined;
  if (!backup) {
    errors.push(`backup "${backupName}" not found in namespace ${deps.namespace}`);
    return { errors };
  }
  const phase = backup.status?.phase ?? 'New';
  if (!RESTORABLE_PHASES.has(phase)) {
    errors.push(`backup "${backupName}" is ${phase}: only Completed or PartiallyFailed backups can be restored`);
  }
  const store = await openBackupLocation(deps, backup).catch((err: unknown) => {
    errors.push(errorMessage(err));
    return undefined;
  });
  if (errors.length > 0 || !store) return { errors };
  return { spec: { ...spec, backupName }, backup, store };
}

/**
 * The store of the location a backup was written to, checked for a usable layout. Restore
 * files are written even to a ReadOnly location (reference §2.3), so access mode is not checked.
 */
export async function openBackupLocation(deps: RestoreSourceDeps, backup: Backup): Promise<BackupStore> {
  const location = backup.spec.storageLocation ?? 'default';
  try {
    const store = await deps.locations.store(await deps.locations.get(location));
    await validateLocation(store);
    return store;
  } catch (err) {
    throw new Error(
      `backup storage location "${location}" of backup "${backup.metadata.name ?? ''}" cannot be used: ${errorMessage(err)}`,
      { cause: err },
    );
  }
}

/** The store a named backup lives in, or undefined when the backup is gone. */
export async function storeOfBackup(deps: RestoreSourceDeps, backupName: string): Promise<BackupStore | undefined> {
  const backup = (await deps.cluster.find(resourceRef(Kinds.Backup), backupName, deps.namespace)) as Backup | undefined;
  return backup ? openBackupLocation(deps, backup) : undefined;
}

function policyErrors(spec: RestoreSpec): string[] {
  const policy = spec.existingResourcePolicy ?? '';
  if (policy === '' || policy === 'none' || policy === 'update') return [];
  return [`invalid existingResourcePolicy "${policy}": use "none" or "update"`];
}

/**
 * Reference §1.2: the newest Completed backup labelled with the schedule, by
 * `status.startTimestamp`. `skiff restore create --allow-partially-failed` also accepts
 * PartiallyFailed ones (reference §8.4).
 */
export async function newestScheduledBackup(
  deps: Pick<RestoreSourceDeps, 'cluster' | 'namespace'>,
  schedule: string,
  phases: readonly string[] = ['Completed'],
): Promise<string | undefined> {
  let newest: Backup | undefined;
  const labelSelector = `${Labels.ScheduleName}=${validLabelValue(schedule)}`;
  for await (const obj of deps.cluster.list(BACKUPS, { namespace: deps.namespace, labelSelector })) {
    const b = obj as Backup;
    if (!phases.includes(b.status?.phase ?? '')) continue;
    if (!newest || (b.status?.startTimestamp ?? '') > (newest.status?.startTimestamp ?? '')) newest = b;
  }
  return newest?.metadata.name;
}
