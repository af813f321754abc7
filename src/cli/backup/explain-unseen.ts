/**
 * `--explain` for items the collector never saw. Namespaces outside the backup are never
 * listed, and the label selector is applied by the API server while listing, so those
 * items produce no verdict; we look each one up directly and say which rule kept it out.
 */
import type { BackupDryRun } from '../../backup/dry-run.ts';
import type { BackupPlan } from '../../backup/plan/backup-plan.ts';
import type { Cluster } from '../../kube/cluster.ts';
import { labelSelectionReason } from '../../selection/item.ts';

/** User text (KIND/NAME or KIND/NS/NAME) → why it is out; only for the asked items with no verdict. */
export async function explainUnseen(
  cluster: Cluster,
  plan: BackupPlan,
  report: BackupDryRun,
  asked: readonly string[],
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const discovery = await cluster.discover();
  for (const text of asked) {
    const parts = text.split('/');
    const tail = parts.slice(1).join('/');
    if (report.explained.some((e) => e.ref.endsWith(`/${tail}`))) continue;
    const ns = parts.length >= 3 ? parts[1] : undefined;
    const name = parts[parts.length - 1] ?? '';
    const type = discovery.resolve(parts[0] ?? '');
    if (!type) {
      out.set(text, `not seen: the cluster serves no resource type called ${parts[0] ?? ''}`);
      continue;
    }
    const item = await cluster.find(type, name, type.namespaced ? ns : undefined);
    if (!item) out.set(text, 'not seen: no such item exists in the cluster');
    else if (ns !== undefined && type.namespaced && !plan.namespaces.includes(ns)) {
      out.set(text, `excluded: namespace ${ns} is not among the namespaces this backup covers`);
    } else {
      const reason = labelSelectionReason(plan.selection, item.metadata.labels);
      out.set(text, reason ? `excluded: ${reason}` : 'not seen: its resource type or namespace was not listed');
    }
  }
  return out;
}
