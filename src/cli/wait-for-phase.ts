/** Waiting for a Backup or Restore to finish, by watching it (re-reading after each watch ends). */
import type { KindInfo } from '../api/kinds.ts';
import type { Cluster } from '../kube/cluster.ts';
import type { KubeObject } from '../kube/object.ts';
import { CommandFailedError } from './errors.ts';
import { createProgress } from './output.ts';

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

/** What waiting needs of a kind: where it is served and what to call it (velero.io and tenant.skiff.dev kinds). */
export type WaitableKind = Pick<KindInfo, 'kind' | 'plural' | 'singular'> & { group: string; version: string };

/** Resolves with the object once its phase is terminal; `onUpdate` sees every version on the way. */
export async function waitForTerminalPhase<T extends WithPhase>(
  cluster: Cluster,
  kind: WaitableKind,
  target: { namespace: string; name: string },
  onUpdate: (obj: T) => void,
): Promise<T> {
  const ref = { group: kind.group, version: kind.version, resource: kind.plural };
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

/** The status fields the CLI reports once a backup or restore is done. */
interface FinalStatus {
  phase?: string;
  errors?: number;
  warnings?: number;
  validationErrors?: string[] | null;
  failureReason?: string;
  progress?: { totalItems?: number; itemsBackedUp?: number; itemsRestored?: number };
}

type Tracked = KubeObject & { status?: FinalStatus };

/**
 * `create --wait`: shows progress (a bar on a terminal, lines otherwise) until the object
 * is done, then reports the final phase.
 */
export async function waitAndReport(
  cluster: Cluster,
  kind: KindInfo,
  target: { namespace: string; name: string },
): Promise<void> {
  const noun = kind.singular;
  console.log(
    `Waiting for ${noun} to complete. You may safely press ctrl-c to stop waiting - your ${noun} will continue in the background.`,
  );
  const progress = createProgress(`${kind.kind} ${target.name}`);
  let final: Tracked;
  try {
    final = await waitForTerminalPhase<Tracked>(cluster, kind, target, (obj) => {
      const p = obj.status?.progress;
      if (p?.totalItems) progress.update(p.itemsBackedUp ?? p.itemsRestored ?? 0, p.totalItems);
    });
  } finally {
    progress.stop();
  }
  reportFinalPhase(kind, target.name, final.status ?? {});
}

/** Prints the outcome; Failed and FailedValidation exit non-zero, PartiallyFailed is said but exits 0. */
export function reportFinalPhase(kind: KindInfo, name: string, status: FinalStatus): void {
  const noun = kind.singular;
  const phase = status.phase ?? 'New';
  console.log(`${kind.kind} ${name} finished with phase ${phase}.`);
  if (phase === 'PartiallyFailed' || (status.warnings ?? 0) > 0) {
    console.log(
      `The ${noun} completed with ${status.errors ?? 0} error(s) and ${status.warnings ?? 0} warning(s): run \`skiff ${noun} describe ${name} --details\` or \`skiff ${noun} logs ${name}\`.`,
    );
  }
  if (phase === 'FailedValidation') {
    for (const e of status.validationErrors ?? []) console.log(`  - ${e}`);
    throw new CommandFailedError(`${noun} ${name} failed validation`);
  }
  if (phase === 'Failed') {
    throw new CommandFailedError(`${noun} ${name} failed: ${status.failureReason ?? `see skiff ${noun} logs ${name}`}`);
  }
}
