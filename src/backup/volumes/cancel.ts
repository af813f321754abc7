import { Kinds, Labels, resourceRef, type PodVolumeBackup } from '../../api/index.ts';
import { veleroListType } from '../../controllers/velero-types.ts';
import type { Cluster } from '../../kube/cluster.ts';

const ENDED = new Set(['Completed', 'Failed', 'Canceled']);

/**
 * Asks the node agents to cancel a backup's unfinished PodVolumeBackups (`spec.cancel`), as
 * Velero does for a backup found InProgress when the server starts (reference §1.1). Returns
 * how many it asked.
 */
export async function cancelPodVolumeBackupsOf(
  cluster: Cluster,
  namespace: string,
  backupUid: string,
): Promise<number> {
  let n = 0;
  for await (const o of cluster.list(veleroListType(Kinds.PodVolumeBackup), {
    namespace,
    labelSelector: `${Labels.BackupUID}=${backupUid}`,
  })) {
    const pvb = o as PodVolumeBackup;
    if (ENDED.has(pvb.status?.phase ?? '') || pvb.spec.cancel) continue;
    await cluster.patch(resourceRef(Kinds.PodVolumeBackup), { name: pvb.metadata.name ?? '', namespace }, 'merge', {
      spec: { cancel: true },
    });
    n++;
  }
  return n;
}
