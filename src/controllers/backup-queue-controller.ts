import { Kinds, resourceRef } from '../api/index.ts';
import { NAMESPACES } from '../backup/plan-for-cluster.ts';
import type { Cluster } from '../kube/cluster.ts';
import { isConflict, isNotFound } from '../kube/errors.ts';
import type { KubeObject } from '../kube/object.ts';
import { backupScope, backupScopeNeedsNamespaces } from '../queue/operation-scope.ts';
import { decideQueue, formatQueueDecision, type QueueEntry } from '../queue/queue-decision.ts';
import { coalesced } from '../util/async.ts';
import type { Logger } from '../util/log.ts';
import type { ControllerSpec } from './controller.ts';
import type { RunningOperations } from './running-operations.ts';
import { veleroListType } from './velero-types.ts';

export interface BackupQueueDeps {
  cluster: Cluster;
  namespace: string;
  log: Logger;
  /** `--concurrent-backups` (reference §10.2; default 1). */
  concurrentBackups: number;
  /** The backups the backup controller of this process is running. */
  runs: RunningOperations;
}

const BACKUPS = veleroListType(Kinds.Backup);

/** Phases of a backup waiting for its turn. */
const WAITING: ReadonlySet<string> = new Set(['', 'New', 'Queued']);

interface Listed {
  obj: KubeObject;
  phase: string;
  queuePosition: number;
}

/**
 * The `backup-queue` controller (reference §1.1 transitions, §10.1): a New backup becomes
 * Queued with its `queuePosition`, and ReadyToStart when `decideQueue` lets it run; the
 * backup controller runs ReadyToStart backups. It looks again whenever a backup arrives or
 * waits, and whenever a run of this process ends. State lives in the Backups, so a restarted
 * server picks the queue up where it was.
 */
export function backupQueueController(deps: BackupQueueDeps): ControllerSpec {
  const schedule = coalesced(() => scheduleBackups(deps));
  deps.runs.onEnded(() => {
    schedule().catch((err: unknown) => deps.log.warn({ err }, 'backup queue: could not look at the queue'));
  });
  return {
    name: 'backup-queue',
    type: BACKUPS,
    namespace: deps.namespace,
    reconcile: async (obj) => {
      if (WAITING.has(phaseOf(obj)) && !obj.metadata.deletionTimestamp) await schedule();
      return undefined;
    },
  };
}

async function scheduleBackups(deps: BackupQueueDeps): Promise<void> {
  const running: Listed[] = [];
  const waiting: Listed[] = [];
  for await (const obj of deps.cluster.list(BACKUPS, { namespace: deps.namespace })) {
    const listed = { obj, phase: phaseOf(obj), queuePosition: queuePositionOf(obj) };
    // ReadyToStart holds its slot until the backup controller takes it; an InProgress backup
    // counts only while this process runs it (at start the server fails those it finds).
    if (listed.phase === 'ReadyToStart' || deps.runs.has(obj.metadata.name ?? '')) running.push(listed);
    else if (WAITING.has(listed.phase) && !obj.metadata.deletionTimestamp) waiting.push(listed);
  }
  if (waiting.length === 0) return;
  waiting.sort(queueOrder);
  const clusterNamespaces = [...running, ...waiting].some((b) => backupScopeNeedsNamespaces(b.obj.spec))
    ? await namespaceNames(deps.cluster)
    : undefined;
  const entry = (b: Listed): QueueEntry => ({
    name: b.obj.metadata.name ?? '',
    scope: backupScope(b.obj.spec, clusterNamespaces),
  });
  const decision = decideQueue({
    running: running.map(entry),
    waiting: waiting.map(entry),
    limit: deps.concurrentBackups,
  });
  deps.log.debug({ decision: formatQueueDecision(decision) }, 'backup queue');
  const byName = new Map(waiting.map((b) => [b.obj.metadata.name ?? '', b]));
  for (const name of decision.start) {
    // Reference §1.1: the position goes back to 0 (absent) when the backup leaves the queue.
    if (await patchListed(deps, byName.get(name), { phase: 'ReadyToStart', queuePosition: null })) {
      deps.log.info({ backup: name }, 'backup ready to start');
    }
  }
  for (const { name, position, reason } of decision.wait) {
    const b = byName.get(name);
    if (!b || (b.phase === 'Queued' && b.queuePosition === position)) continue;
    if (await patchListed(deps, b, { phase: 'Queued', queuePosition: position })) {
      deps.log.info({ backup: name, queuePosition: position, reason }, 'backup queued');
    }
  }
}

/**
 * Oldest first: queued backups in their queue order, then new ones in creation order (the
 * name breaks ties between backups created in the same second).
 */
function queueOrder(a: Listed, b: Listed): number {
  const queued = (x: Listed): number => (x.phase === 'Queued' && x.queuePosition > 0 ? 0 : 1);
  return (
    queued(a) - queued(b) ||
    (queued(a) === 0 ? a.queuePosition - b.queuePosition : 0) ||
    (a.obj.metadata.creationTimestamp ?? '').localeCompare(b.obj.metadata.creationTimestamp ?? '') ||
    (a.obj.metadata.name ?? '').localeCompare(b.obj.metadata.name ?? '')
  );
}

/**
 * A compare-and-swap on the listed version: a backup changed since the list (deleted, or
 * edited) is left alone, and the change brings it back to the queue anyway.
 */
async function patchListed(
  deps: BackupQueueDeps,
  b: Listed | undefined,
  status: Record<string, unknown>,
): Promise<boolean> {
  if (!b) return false;
  try {
    await deps.cluster.patch(
      resourceRef(Kinds.Backup),
      { name: b.obj.metadata.name ?? '', namespace: deps.namespace },
      'merge',
      { metadata: { resourceVersion: b.obj.metadata.resourceVersion }, status },
    );
    return true;
  } catch (err) {
    if (isConflict(err) || isNotFound(err)) return false;
    throw err;
  }
}

async function namespaceNames(cluster: Cluster): Promise<string[]> {
  const names: string[] = [];
  for await (const ns of cluster.list(NAMESPACES)) names.push(ns.metadata.name ?? '');
  return names;
}

function phaseOf(obj: KubeObject): string {
  const phase = (obj.status as { phase?: unknown } | undefined)?.phase;
  return typeof phase === 'string' ? phase : '';
}

function queuePositionOf(obj: KubeObject): number {
  const position = (obj.status as { queuePosition?: unknown } | undefined)?.queuePosition;
  return typeof position === 'number' ? position : 0;
}
