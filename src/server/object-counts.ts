import { Kinds } from '../api/index.ts';
import { veleroListType } from '../controllers/velero-types.ts';
import type { Cluster } from '../kube/cluster.ts';
import type { ResourceType } from '../kube/resource.ts';
import type { Logger } from '../util/log.ts';
import type { ServerMetrics } from './metrics.ts';

/** Velero refreshes `velero_backup_total` and `velero_restore_total` every minute (reference §10.2). */
export const OBJECT_COUNT_INTERVAL_MS = 60_000;

/** Counts the namespace's Backups and Restores now and every minute, until `signal` aborts. */
export async function countObjectsEvery(
  cluster: Cluster,
  namespace: string,
  metrics: ServerMetrics,
  signal: AbortSignal,
  log: Logger,
): Promise<void> {
  while (!signal.aborted) {
    try {
      const [backups, restores] = await Promise.all([
        count(cluster, veleroListType(Kinds.Backup), namespace),
        count(cluster, veleroListType(Kinds.Restore), namespace),
      ]);
      metrics.objectsCounted({ backups, restores });
    } catch (err) {
      log.warn({ err }, 'cannot count backups and restores for the metrics');
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, OBJECT_COUNT_INTERVAL_MS);
      function done(): void {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done);
    });
  }
}

async function count(cluster: Cluster, type: ResourceType, namespace: string): Promise<number> {
  let n = 0;
  for await (const page of cluster.listPages(type, { namespace })) n += page.length;
  return n;
}
