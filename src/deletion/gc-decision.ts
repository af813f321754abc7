/**
 * Garbage collection of expired backups (reference §5.2), decided as a pure function of
 * the backup, its location, its restores and its pending deletion requests. The GC
 * controller gathers the inputs and carries the decision out.
 */
import type { Backup } from '../api/backup.ts';
import { GCFailureReason, Labels } from '../api/labels.ts';
import { isSettled, type LocationState } from './location-state.ts';

/** Restore phases during which the restore still reads its backup (reference §1.2). */
const RESTORE_RUNNING_PHASES: ReadonlySet<string> = new Set(['', 'New', 'InProgress']);

/** Request phases in which a DeleteBackupRequest is still to be carried out (reference §5.2 step 4). */
const REQUEST_PENDING_PHASES: ReadonlySet<string> = new Set(['', 'New', 'InProgress']);

export interface GcInputs {
  backup: Backup;
  location: LocationState;
  /** Restores whose `spec.backupName` is this backup. */
  restores: readonly { name: string; phase?: string | undefined }[];
  /** Phases of the DeleteBackupRequests labelled with this backup's name and uid. */
  requestPhases: readonly (string | undefined)[];
}

export type GcDecision =
  /** Nothing to do now. */
  | { action: 'keep'; reason: string }
  /** Not deleted; the label `velero.io/gc-failure=<label>` says why, and the reason goes to the log. */
  | { action: 'mark'; label: GCFailureReason; reason: string }
  /** Not deleted yet; look again soon. `clearLabel`: the failure label no longer applies. */
  | { action: 'retry'; reason: string; clearLabel: boolean }
  /** A DeleteBackupRequest is already pending. */
  | { action: 'pending'; reason: string; clearLabel: boolean }
  /** Create a DeleteBackupRequest. */
  | { action: 'delete'; reason: string; clearLabel: boolean };

/** Whether the backup has expired; one without `status.expiration` never does (reference §5.2). */
export function expiredAt(backup: Backup, now: Date): Date | undefined {
  const text = backup.status?.expiration;
  if (!text) return undefined;
  const at = new Date(text);
  if (Number.isNaN(at.getTime()) || at.getTime() > now.getTime()) return undefined;
  return at;
}

/** The first step of the decision, needing nothing but the backup: is there anything to look at? */
export function gcPrecheck(backup: Backup, now: Date): GcDecision | undefined {
  const expired = expiredAt(backup, now);
  if (!expired) return { action: 'keep', reason: 'not expired' };
  if (!isSettled(backup)) {
    return {
      action: 'keep',
      reason: `expired but still ${backup.status?.phase ?? 'New'}: collected once it has finished`,
    };
  }
  return undefined;
}

/** Reference §5.2, in its order: location missing, not available, ReadOnly; then restores; then the request. */
export function decideGc(inputs: GcInputs, now: Date): GcDecision {
  const pre = gcPrecheck(inputs.backup, now);
  if (pre) return pre;
  const { location } = inputs;
  if (location.kind === 'missing') {
    return {
      action: 'mark',
      label: GCFailureReason.BSLNotFound,
      reason: `backup storage location "${location.name}" not found`,
    };
  }
  if (location.kind === 'unreadable') {
    return {
      action: 'mark',
      label: GCFailureReason.BSLCannotGet,
      reason: `backup storage location "${location.name}" cannot be read: ${location.error}`,
    };
  }
  const hasLabel = inputs.backup.metadata.labels?.[Labels.GCFailure] !== undefined;
  if (!location.available) {
    const why = location.message ? `: ${location.message}` : '';
    return {
      action: 'retry',
      reason: `backup storage location "${location.name}" is not Available${why}`,
      clearLabel: false,
    };
  }
  if (location.readOnly) {
    return {
      action: 'mark',
      label: GCFailureReason.BSLReadOnly,
      reason: `backup storage location "${location.name}" is ReadOnly: expired backups in it are kept`,
    };
  }
  const running = inputs.restores.filter((r) => RESTORE_RUNNING_PHASES.has(r.phase ?? ''));
  if (running.length > 0) {
    const names = running.map((r) => `${r.name} (${r.phase || 'New'})`).join(', ');
    return { action: 'retry', reason: `restores from this backup are running: ${names}`, clearLabel: hasLabel };
  }
  if (inputs.requestPhases.some((p) => REQUEST_PENDING_PHASES.has(p ?? ''))) {
    return { action: 'pending', reason: 'a DeleteBackupRequest for this backup is pending', clearLabel: hasLabel };
  }
  return { action: 'delete', reason: 'expired', clearLabel: hasLabel };
}

/** `--garbage-collection-frequency`: 0 means the default, 1h (reference §10.2). */
export function gcFrequencyMs(parsedMs: number): number {
  return parsedMs > 0 ? parsedMs : 3_600_000;
}

/** How soon a backup waiting for a restore or its location is looked at again. */
export function gcRetryMs(frequencyMs: number): number {
  return Math.min(frequencyMs, 30_000);
}
