/**
 * What garbage collection and deletion need to know about a backup's storage location,
 * as plain data, so their decisions are pure functions.
 */
import type { BackupStorageLocation } from '../api/backup-storage-location.ts';
import type { Backup } from '../api/backup.ts';
import { isNotFound } from '../kube/errors.ts';
import { errorMessage } from '../util/errors.ts';

export type LocationState =
  | { kind: 'found'; name: string; readOnly: boolean; available: boolean; message: string }
  | { kind: 'missing'; name: string }
  /** Reading the location failed for another reason than not-found (API server trouble, RBAC). */
  | { kind: 'unreadable'; name: string; error: string };

/** Reads a location's state; a failed read is a state too (Velero labels it `BSLCannotGet`). */
export async function readLocationState(
  locations: { find(name: string): Promise<BackupStorageLocation | undefined> },
  name: string,
): Promise<LocationState> {
  try {
    return locationState(name, await locations.find(name));
  } catch (err) {
    if (isNotFound(err)) return { kind: 'missing', name };
    return { kind: 'unreadable', name, error: errorMessage(err) };
  }
}

export function locationState(name: string, bsl: BackupStorageLocation | undefined): LocationState {
  if (!bsl) return { kind: 'missing', name };
  return {
    kind: 'found',
    name,
    readOnly: bsl.spec.accessMode === 'ReadOnly',
    available: bsl.status?.phase === 'Available',
    message: bsl.status?.message ?? '',
  };
}

/** The location a backup lives in; Velero fills `spec.storageLocation` when the backup starts. */
export function backupLocationName(backup: Backup): string {
  return backup.spec.storageLocation ?? 'default';
}

/**
 * Phases after which no server writes the backup again (reference §1.1). A backup in any
 * other phase (`""`, New, Queued, ReadyToStart, InProgress, WaitingForPluginOperations*,
 * Finalizing*) may still be uploading, so neither deletion nor garbage collection touches it.
 */
const SETTLED_PHASES: ReadonlySet<string> = new Set([
  'Completed',
  'PartiallyFailed',
  'Failed',
  'FailedValidation',
  'Deleting',
]);

export function isSettled(backup: Backup): boolean {
  return SETTLED_PHASES.has(backup.status?.phase ?? '');
}
