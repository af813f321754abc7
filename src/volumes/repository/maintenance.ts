/**
 * When a repository's maintenance is due, and its history (reference §1.6): the server flag
 * `--default-repo-maintain-frequency` wins, else the repository's `spec.maintenanceFrequency`,
 * else kopia's suggestion (1h) or a week for restic. Pure, for unit tests on a fake clock.
 */
import type { BackupRepository, RepositoryType } from '../../api/index.ts';
import { parseDuration } from '../../util/duration.ts';

/** Velero keeps the last 3 runs in `status.recentMaintenance` (1.18). */
export const MAINTENANCE_HISTORY = 3;

export function defaultMaintenanceFrequency(type: RepositoryType): string {
  return type === 'kopia' ? '1h0m0s' : '168h0m0s';
}

/** The frequency to write into a repository's spec when it has none. */
export function maintenanceFrequencyFor(type: RepositoryType, serverDefault: string | undefined): string {
  return serverDefault || defaultMaintenanceFrequency(type);
}

/**
 * Milliseconds until maintenance is due (≤ 0: due now). The first run comes one period after
 * the repository was created, not at once: a new repository has nothing to compact.
 */
export function msUntilMaintenance(repo: BackupRepository, frequency: string, now: Date): number {
  const periodMs = parseDuration(frequency, 'maintenanceFrequency');
  const since = repo.status?.lastMaintenanceTime ?? repo.metadata.creationTimestamp;
  const base = since ? Date.parse(since) : now.getTime();
  return base + periodMs - now.getTime();
}

export interface MaintenanceRun {
  result: 'Succeeded' | 'Failed';
  startTimestamp: string;
  completeTimestamp: string;
  message?: string;
}

/** The status patch recording one maintenance run: newest last, at most MAINTENANCE_HISTORY. */
export function recordMaintenance(repo: BackupRepository, run: MaintenanceRun): Record<string, unknown> {
  const history = [...(repo.status?.recentMaintenance ?? []), run].slice(-MAINTENANCE_HISTORY);
  return {
    recentMaintenance: history,
    ...(run.result === 'Succeeded' ? { lastMaintenanceTime: run.completeTimestamp } : {}),
  };
}
