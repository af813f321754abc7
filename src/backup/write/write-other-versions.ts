import type { BackupArchiveWriter } from '../../archive/index.ts';
import type { Cluster } from '../../kube/cluster.ts';
import type { OperationLog } from '../../results/operation-log.ts';
import { scopeOf } from '../../results/results.ts';
import { archiveItem } from './archive-item.ts';
import { collectOtherVersions } from '../collect/other-versions.ts';
import { clusterItemSource } from '../collect/item-source.ts';
import type { BackupPlan } from '../plan/backup-plan.ts';

export interface OtherVersionsTarget {
  cluster: Cluster;
  pageSize?: number | undefined;
  writer: BackupArchiveWriter;
  log: OperationLog;
}

/**
 * EnableAPIGroupVersions (reference §2.4): after the preferred-version items, every other
 * served version of each type the backup took, written only under `resources/<gr>/<version>/`.
 * These copies are not counted as items (the backup's progress and resource list name each
 * object once, at its preferred version).
 */
export async function writeOtherVersions(
  target: OtherVersionsTarget,
  plan: BackupPlan,
  taken: ReadonlySet<string>,
): Promise<void> {
  const discovery = await target.cluster.discover();
  const events = collectOtherVersions(plan, {
    source: clusterItemSource(target.cluster, target.pageSize),
    versionsOf: (group, resource) => discovery.versionsOf(group, resource),
    taken,
  });
  for await (const ev of events) {
    if (ev.kind === 'error') {
      target.log.error(scopeOf(ev.namespace), ev.message);
      continue;
    }
    const more = target.writer.writeItem(archiveItem(ev.type, ev.item, false));
    if (!more) await target.writer.drained();
  }
}
