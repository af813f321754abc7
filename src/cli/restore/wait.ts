/** Waiting for a Restore to finish, by watching it (re-reading after each watch ends). */
import { Kinds, resourceRef } from '../../api/kinds.ts';
import type { Restore, RestorePhase } from '../../api/restore.ts';
import type { Cluster } from '../../kube/cluster.ts';
import { CommandFailedError } from '../errors.ts';

/** Phases after which the server will not touch the restore again (reference §1.2). */
export const TERMINAL_RESTORE_PHASES: ReadonlySet<string> = new Set<RestorePhase>([
  'Completed',
  'PartiallyFailed',
  'Failed',
  'FailedValidation',
]);

export function isTerminalRestore(restore: Restore): boolean {
  return TERMINAL_RESTORE_PHASES.has(restore.status?.phase ?? '');
}

/** Resolves with the restore once its phase is terminal; `onUpdate` sees every version on the way. */
export async function waitForRestore(
  cluster: Cluster,
  namespace: string,
  name: string,
  onUpdate: (restore: Restore) => void,
): Promise<Restore> {
  const ref = resourceRef(Kinds.Restore);
  for (;;) {
    const current = (await cluster.find(ref, name, namespace)) as Restore | undefined;
    if (!current) throw new CommandFailedError(`restore ${name} was deleted while waiting for it`);
    onUpdate(current);
    if (isTerminalRestore(current)) return current;
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
  current: Restore,
  onUpdate: (restore: Restore) => void,
): Promise<Restore | undefined> {
  const name = current.metadata.name ?? '';
  const events = cluster.watch(resourceRef(Kinds.Restore), {
    namespace: current.metadata.namespace ?? '',
    fieldSelector: `metadata.name=${name}`,
    ...(current.metadata.resourceVersion ? { resourceVersion: current.metadata.resourceVersion } : {}),
    timeoutSeconds: 30,
  });
  for await (const ev of events) {
    if (ev.type === 'DELETED') throw new CommandFailedError(`restore ${name} was deleted while waiting for it`);
    if (ev.type === 'ADDED' || ev.type === 'MODIFIED') {
      const restore = ev.object as Restore;
      onUpdate(restore);
      if (isTerminalRestore(restore)) return restore;
    }
    if (ev.type === 'ERROR') return undefined;
  }
  return undefined;
}
