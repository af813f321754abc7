/** Waiting for a Backup to finish, by watching it (re-reading after each watch ends). */
import type { Backup, BackupPhase } from '../../api/backup.ts';
import { Kinds, resourceRef } from '../../api/kinds.ts';
import type { Cluster } from '../../kube/cluster.ts';
import { CommandFailedError } from '../errors.ts';

/** Phases after which the server will not touch the backup again (reference §1.1). */
export const TERMINAL_BACKUP_PHASES: ReadonlySet<string> = new Set<BackupPhase>([
  'Completed',
  'PartiallyFailed',
  'Failed',
  'FailedValidation',
]);

export function isTerminal(backup: Backup): boolean {
  return TERMINAL_BACKUP_PHASES.has(backup.status?.phase ?? '');
}

/** Resolves with the backup once its phase is terminal; `onUpdate` sees every version on the way. */
export async function waitForBackup(
  cluster: Cluster,
  namespace: string,
  name: string,
  onUpdate: (backup: Backup) => void,
): Promise<Backup> {
  const ref = resourceRef(Kinds.Backup);
  for (;;) {
    const current = (await cluster.find(ref, name, namespace)) as Backup | undefined;
    if (!current) throw new CommandFailedError(`backup ${name} was deleted while waiting for it`);
    onUpdate(current);
    if (isTerminal(current)) return current;
    try {
      const done = await watchUntilTerminal(cluster, current, onUpdate);
      if (done) return done;
    } catch {
      // A watch can expire (410 Gone) or drop; re-reading the object recovers either way.
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

async function watchUntilTerminal(
  cluster: Cluster,
  current: Backup,
  onUpdate: (backup: Backup) => void,
): Promise<Backup | undefined> {
  const name = current.metadata.name ?? '';
  const events = cluster.watch(resourceRef(Kinds.Backup), {
    namespace: current.metadata.namespace ?? '',
    fieldSelector: `metadata.name=${name}`,
    ...(current.metadata.resourceVersion ? { resourceVersion: current.metadata.resourceVersion } : {}),
    timeoutSeconds: 30,
  });
  for await (const ev of events) {
    if (ev.type === 'DELETED') throw new CommandFailedError(`backup ${name} was deleted while waiting for it`);
    if (ev.type === 'ADDED' || ev.type === 'MODIFIED') {
      const backup = ev.object as Backup;
      onUpdate(backup);
      if (isTerminal(backup)) return backup;
    }
    if (ev.type === 'ERROR') return undefined;
  }
  return undefined;
}
