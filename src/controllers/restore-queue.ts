import { Kinds, resourceRef } from '../api/index.ts';
import type { Cluster } from '../kube/cluster.ts';
import { isConflict, isNotFound } from '../kube/errors.ts';
import type { KubeObject } from '../kube/object.ts';
import { restoreScope } from '../queue/operation-scope.ts';
import { decideQueue, formatQueueDecision, type QueueEntry } from '../queue/queue-decision.ts';
import type { Logger } from '../util/log.ts';
import type { RunningOperations } from './running-operations.ts';
import { veleroListType } from './velero-types.ts';

export interface RestoreQueueDeps {
  cluster: Cluster;
  namespace: string;
  log: Logger;
  /** The restores this process is running. */
  runs: RunningOperations;
  /** Starts a restore the queue lets run (its validation and InProgress transition). */
  start: (obj: KubeObject) => Promise<void>;
}

const RESTORES = veleroListType(Kinds.Restore);

/**
 * Restores into disjoint namespaces run at once; one whose target namespaces overlap a
 * running or earlier waiting restore stays New, with `status.queuePosition` saying where it
 * is in line, until they are done. The same decision as the backup queue, without a limit
 * (Velero has no queue for restores: there is no flag to honour). Every InProgress restore
 * holds its namespaces: this process runs it, or resumes it (see the restore controller).
 */
export async function scheduleRestores(deps: RestoreQueueDeps): Promise<void> {
  const { running, waiting } = await listRestores(deps);
  if (waiting.length === 0) return;
  const backupSpec = backupSpecs(deps);
  const entry = async (obj: KubeObject): Promise<QueueEntry> => {
    const spec = obj.spec as { backupName?: unknown } | undefined;
    return { name: obj.metadata.name ?? '', scope: restoreScope(spec, await backupSpec(spec?.backupName)) };
  };
  const decision = decideQueue({
    running: await Promise.all(running.map(entry)),
    waiting: await Promise.all(waiting.map(entry)),
    limit: Infinity,
  });
  deps.log.debug({ decision: formatQueueDecision(decision) }, 'restore queue');
  const byName = new Map(waiting.map((r) => [r.metadata.name ?? '', r]));
  const failures: unknown[] = [];
  for (const name of decision.start) {
    const obj = byName.get(name);
    if (obj) await deps.start(obj).catch((err: unknown) => failures.push(err));
  }
  for (const { name, position, reason } of decision.wait) {
    const obj = byName.get(name);
    if (!obj || (obj.status as { queuePosition?: unknown } | undefined)?.queuePosition === position) continue;
    try {
      await deps.cluster.patch(resourceRef(Kinds.Restore), { name, namespace: deps.namespace }, 'merge', {
        metadata: { resourceVersion: obj.metadata.resourceVersion },
        status: { queuePosition: position },
      });
      deps.log.info({ restore: name, queuePosition: position, reason }, 'restore waits for its namespaces');
    } catch (err) {
      // Changed or gone since the list: the change brings it back here.
      if (!isConflict(err) && !isNotFound(err)) failures.push(err);
    }
  }
  // Each restore that could start was tried; the first failure is retried with the reconcile.
  if (failures.length > 0) throw failures[0];
}

/** Restores holding namespaces (InProgress, or run here), and those waiting, oldest first. */
async function listRestores(deps: RestoreQueueDeps): Promise<{ running: KubeObject[]; waiting: KubeObject[] }> {
  const running: KubeObject[] = [];
  const waiting: KubeObject[] = [];
  for await (const obj of deps.cluster.list(RESTORES, { namespace: deps.namespace })) {
    const phase = (obj.status as { phase?: unknown } | undefined)?.phase ?? '';
    if (phase === 'InProgress' || deps.runs.has(obj.metadata.name ?? '')) running.push(obj);
    else if ((phase === '' || phase === 'New') && !obj.metadata.deletionTimestamp) waiting.push(obj);
  }
  waiting.sort(
    (a, b) =>
      (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') ||
      (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''),
  );
  return { running, waiting };
}

/** The spec of a named Backup, read once per look at the queue; undefined when unnamed or gone. */
function backupSpecs(deps: RestoreQueueDeps): (name: unknown) => Promise<unknown> {
  const specs = new Map<string, Promise<unknown>>();
  return (name) => {
    if (typeof name !== 'string' || name === '') return Promise.resolve(undefined);
    let spec = specs.get(name);
    if (!spec) {
      spec = deps.cluster.find(resourceRef(Kinds.Backup), name, deps.namespace).then((b) => b?.spec);
      specs.set(name, spec);
    }
    return spec;
  };
}
