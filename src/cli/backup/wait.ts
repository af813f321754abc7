import type { Backup } from '../../api/backup.ts';
import { Kinds } from '../../api/kinds.ts';
import type { Cluster } from '../../kube/cluster.ts';
import { waitForTerminalPhase } from '../wait-for-phase.ts';

/** Resolves with the backup once its phase is terminal; `onUpdate` sees every version on the way. */
export function waitForBackup(
  cluster: Cluster,
  namespace: string,
  name: string,
  onUpdate: (backup: Backup) => void,
): Promise<Backup> {
  return waitForTerminalPhase<Backup>(cluster, Kinds.Backup, { namespace, name }, onUpdate);
}
