/** Waiting for a Backup or Restore to finish, by watching it (re-reading after each watch ends). */
import type { KindInfo } from '../api/kinds.ts';
import { resourceRef } from '../api/kinds.ts';
import type { Cluster } from '../kube/cluster.ts';
import type { KubeObject } from '../kube/object.ts';
import { CommandFailedError } from './errors.ts';

/** Phases after which the server does not touch a backup or restore again (reference §1.1, §1.2). */
export const TERMINAL_PHASES: ReadonlySet<string> = new Set([
  'Completed',
  'PartiallyFailed',
  'Failed',
  'FailedValidation',
]);

type WithPhase = KubeObject & { status?: { phase?: string } };

export function isTerminal(obj: WithPhase): boolean {
  return TERMINAL_PHASES.has(obj.status?.phase ?? '');
}

/** Resolves with the object once its phase is terminal; `onUpdate` sees every version on the way. */
export async function waitForTerminalPhase<T extends WithPhase>(
  cluster: Cluster,
  kind: KindInfo,
  target: { namespace: string; name: string },
  onUpdate: (obj: T) => void,
): Promise<T> {
  const ref = resourceRef(kind);
  const gone = (): CommandFailedError =>
    new CommandFailedError(`${kind.singular} ${target.name} was deleted while waiting for it`);
  for (;;) {
    const current = (await cluster.find(ref, target.name, target.namespace)) as T | undefined;
    if (!current) throw gone();
    onUpdate(current);
    if (isTerminal(current)) return current;
    try {
      const events = cluster.watch(ref, {
        namespace: target.namespace,
        fieldSelector: `metadata.name=${target.name}`,
        ...(current.metadata.resourceVersion ? { resourceVersion: current.metadata.resourceVersion } : {}),
        timeoutSeconds: 30,
      });
      for await (const ev of events) {
        if (ev.type === 'DELETED') throw gone();
        if (ev.type === 'ERROR') break;
        if (ev.type === 'BOOKMARK') continue;
        const obj = ev.object as T;
        onUpdate(obj);
        if (isTerminal(obj)) return obj;
      }
    } catch (err) {
      if (err instanceof CommandFailedError) throw err;
      // A watch can expire (410 Gone) or drop; re-reading the object recovers either way.
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}
