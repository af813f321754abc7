import { Kinds } from '../../api/kinds.ts';
import type { Restore } from '../../api/restore.ts';
import type { Cluster } from '../../kube/cluster.ts';
import { waitForTerminalPhase } from '../wait-for-phase.ts';

/** Resolves with the restore once its phase is terminal; `onUpdate` sees every version on the way. */
export function waitForRestore(
  cluster: Cluster,
  namespace: string,
  name: string,
  onUpdate: (restore: Restore) => void,
): Promise<Restore> {
  return waitForTerminalPhase<Restore>(cluster, Kinds.Restore, { namespace, name }, onUpdate);
}
