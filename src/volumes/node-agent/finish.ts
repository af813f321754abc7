/**
 * How a PodVolumeBackup or PodVolumeRestore that threw ends: Canceled when its own cancel
 * aborted it, Failed naming the agent's stop when the agent is shutting down (the next agent
 * does not resume it), otherwise Failed with the error, naming pod and volume.
 */
import { DataPathPhase } from '../../api/index.ts';
import { KubeApiError, type Cluster, type KubeObject, type ResourceRef } from '../../kube/index.ts';
import { kubeTime } from '../../util/clock.ts';
import { errorMessage } from '../../util/errors.ts';
import type { Logger } from '../../util/log.ts';
import type { NodeAgentContext } from './context.ts';

export interface DataPathEnd {
  ctx: NodeAgentContext;
  /** `backup` or `restore`, for the messages. */
  what: 'backup' | 'restore';
  pod: { namespace?: string | undefined; name?: string | undefined };
  volume: string;
  /** What was backed up or restored, for the message, when not a pod volume (e.g. `the snapshot of claim ns/pvc`). */
  subject?: string;
  signal: AbortSignal;
  log: Logger;
  patch: (status: {
    phase: typeof DataPathPhase.Canceled | typeof DataPathPhase.Failed;
    message: string;
    completionTimestamp: string;
  }) => Promise<KubeObject>;
}

export async function recordDataPathError(end: DataPathEnd, err: unknown): Promise<void> {
  const { ctx, what, signal, log } = end;
  const canceled = signal.aborted && !ctx.work.stopping;
  const message = canceled
    ? `canceled: spec.cancel was set while the ${what} was in progress`
    : ctx.work.stopping
      ? `node agent on ${ctx.node} stopped while the ${what} was in progress`
      : `${what} of ${end.subject ?? `volume "${end.volume}" of pod ${end.pod.namespace ?? ''}/${end.pod.name ?? ''}`} failed: ${errorMessage(err)}`;
  if (!canceled) log.warn({ err }, `pod volume ${what} failed`);
  await end
    .patch({
      phase: canceled ? DataPathPhase.Canceled : DataPathPhase.Failed,
      message,
      completionTimestamp: kubeTime(ctx.clock.now()),
    })
    .catch((patchErr: unknown) => log.error({ err: patchErr }, `cannot record the end of the ${what}`));
}

/**
 * Phase Canceling, written only while the phase is still `seen` (a JSON-patch test): a run that
 * finished a moment ago keeps its Completed. Returns false when the phase had moved on (the
 * caller looks again at the fresh object). Written before the run is aborted, so the run's own
 * Canceled always lands after it.
 */
export async function markCanceling(
  cluster: Cluster,
  ref: ResourceRef,
  target: { name: string; namespace: string },
  seen: string,
): Promise<boolean> {
  if (seen === DataPathPhase.Canceling) return true;
  try {
    await cluster.patch(ref, { ...target, subresource: 'status' }, 'json', [
      { op: 'test', path: '/status/phase', value: seen },
      { op: 'replace', path: '/status/phase', value: DataPathPhase.Canceling },
    ]);
    return true;
  } catch (err) {
    if (err instanceof KubeApiError && err.status === 422) return false;
    throw err;
  }
}
