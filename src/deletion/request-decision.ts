/**
 * The deletion controller's decisions about one DeleteBackupRequest (reference §5.3), as
 * pure functions: housekeeping of old requests, and whether the backup may be deleted.
 */
import type { Backup } from '../api/backup.ts';
import type { DeleteBackupRequest } from '../api/requests.ts';
import { isSettled, type LocationState } from './location-state.ts';

/** Processed requests are kept this long, then deleted (reference §5.3, §10.2). */
export const REQUEST_MAX_AGE_MS = 24 * 3_600_000;

export type RequestDecision =
  /** An old request: delete it. */
  | { action: 'expire'; reason: string }
  /** Already handled, or being handled here; look again after `recheckAfterMs` (0: no need). */
  | { action: 'skip'; reason: string; recheckAfterMs: number }
  /** Malformed: mark it Processed with these errors. */
  | { action: 'reject'; errors: string[] }
  /** Carry the deletion out. */
  | { action: 'process' };

/**
 * `inProgressHere`: this process is working on the request now. A request left InProgress
 * by a server that stopped is carried out again (Velero leaves it until it expires; every
 * step of a deletion can be repeated, so finishing it is kinder to the user).
 */
export function decideRequest(req: DeleteBackupRequest, now: Date, inProgressHere: boolean): RequestDecision {
  const phase = req.status?.phase ?? '';
  if (phase === 'InProgress' && inProgressHere)
    return { action: 'skip', reason: 'being carried out', recheckAfterMs: 0 };
  const created = Date.parse(req.metadata.creationTimestamp ?? '');
  const age = Number.isNaN(created) ? 0 : Math.max(now.getTime() - created, 0);
  if (phase === 'Processed' || phase === 'InProgress') {
    if (age >= REQUEST_MAX_AGE_MS) return { action: 'expire', reason: `${phase} and more than 24h old` };
    if (phase === 'Processed') {
      return { action: 'skip', reason: 'already Processed', recheckAfterMs: REQUEST_MAX_AGE_MS - age };
    }
  }
  if (!req.spec.backupName) return { action: 'reject', errors: ['spec.backupName is required'] };
  return { action: 'process' };
}

/**
 * Why the backup cannot be deleted now, or null when it can (reference §5.3 refusals, §5.6).
 * A backup that has not finished is refused: its upload may still be running.
 */
export function refusal(
  backupName: string,
  backup: Backup | undefined,
  location: LocationState | undefined,
): string | null {
  if (!backup) return `backup ${backupName} not found`;
  if (!isSettled(backup)) {
    const phase = backup.status?.phase || 'New';
    return `backup ${backupName} is still in progress (phase ${phase}): delete it again once it has finished`;
  }
  if (!location || location.kind === 'missing') {
    return `backup storage location ${location?.name ?? backup.spec.storageLocation ?? 'default'} not found`;
  }
  if (location.kind === 'unreadable') {
    return `cannot read backup storage location ${location.name}: ${location.error}`;
  }
  if (location.readOnly) {
    return `cannot delete backup because backup storage location ${location.name} is currently in read-only mode`;
  }
  if (!location.available) {
    const why = location.message ? `, error is: ${location.message}` : '';
    return `cannot delete backup because backup storage location ${location.name} is currently unavailable${why}`;
  }
  return null;
}
