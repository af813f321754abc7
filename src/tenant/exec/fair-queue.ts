/**
 * The fair queue of tenant operations (issue 17 §7), decided without touching the cluster.
 *
 * Velero's queue is FIFO: one tenant creating 50 backups would hold every other tenant behind
 * them. Here each namespace's waiting operations keep their own order (oldest first), and the
 * namespaces take turns (round-robin): a free slot goes to the namespace served longest ago,
 * one never served first, ties to the one whose oldest waiting operation is older. A tenant's
 * first operation therefore waits only for the slot that is busy when it arrives.
 *
 * "Served" is read from the operations themselves (when each namespace's latest one started),
 * so the decision needs no memory of its own and a restarted server takes turns where the
 * last one stopped.
 *
 * Per namespace, `maxConcurrent` bounds what runs at once and `maxQueued` what may wait; the
 * newest operations beyond `maxQueued` are rejected. Positions are tenant-local: an operation
 * learns how many of its own namespace's operations are ahead of it, never anything of another.
 *
 * An operation may also name `exclusive` namespaces: a backup names those it backs up, because
 * the server's backup queue runs two backups that share a namespace one after the other. Such
 * an operation does not start while a running (or just picked) one shares one of them: it keeps
 * waiting in its tenant's queue, with that reason, rather than taking a slot to wait in the
 * server's queue while `maxConcurrent` pretends it runs.
 */

export interface QueuedOperation {
  namespace: string;
  name: string;
  /** RFC 3339 creation time; with the name, the order within a namespace. */
  created: string;
  /** Namespaces no other running operation may share (a backup's). */
  exclusive?: readonly string[];
}

/** An operation holding a slot. */
export interface RunningOperation {
  namespace: string;
  name: string;
  exclusive?: readonly string[];
}

/**
 * Why the first waiting operation of a namespace did not start: every slot of the server is
 * busy, the namespace runs its maxConcurrent, or a running operation shares an exclusive
 * namespace (named). Those further back wait behind it.
 */
export type WaitReason =
  | { kind: 'slots' }
  | { kind: 'maxConcurrent'; maxConcurrent: number }
  | { kind: 'exclusive'; namespace: string }
  | { kind: 'behind' };

export interface NamespaceLimits {
  maxConcurrent?: number;
  maxQueued?: number;
}

export interface FairQueueInput {
  /** Operations holding a slot, by namespace. */
  running: readonly RunningOperation[];
  waiting: readonly QueuedOperation[];
  /** When each namespace's latest operation started (RFC 3339); absent = never. */
  lastStarted: ReadonlyMap<string, string>;
  /** Operations of all tenants running at once (`--concurrent-backups`); at least 1. */
  slots: number;
  limits: (namespace: string) => NamespaceLimits;
}

export interface FairQueueDecision {
  /** To start now, in the order they were picked. */
  start: QueuedOperation[];
  /** Still waiting, with their 1-based position in their own namespace's queue. */
  wait: (QueuedOperation & { position: number; reason: WaitReason })[];
  /** Refused: more would wait in the namespace than its maxQueued allows. */
  reject: (QueuedOperation & { maxQueued: number })[];
}

/** Oldest first within a namespace; the name breaks ties of the same second. */
export function olderFirst(a: QueuedOperation, b: QueuedOperation): number {
  return a.created.localeCompare(b.created) || a.name.localeCompare(b.name);
}

export function decideFairQueue(input: FairQueueInput): FairQueueDecision {
  if (!(input.slots >= 1)) throw new RangeError(`the queue needs at least one slot, got ${input.slots}`);
  const byNamespace = new Map<string, QueuedOperation[]>();
  for (const w of input.waiting) {
    const list = byNamespace.get(w.namespace) ?? [];
    list.push(w);
    byNamespace.set(w.namespace, list);
  }
  for (const list of byNamespace.values()) list.sort(olderFirst);
  const { start, blocked } = pickStarts(input, byNamespace);
  const started = new Set(start);
  const wait: FairQueueDecision['wait'] = [];
  const reject: FairQueueDecision['reject'] = [];
  for (const [namespace, list] of byNamespace) {
    const maxQueued = input.limits(namespace).maxQueued;
    let position = 0;
    for (const op of list) {
      if (started.has(op)) continue;
      position++;
      if (maxQueued !== undefined && position > maxQueued) reject.push({ ...op, maxQueued });
      else
        wait.push({
          ...op,
          position,
          reason: position === 1 ? (blocked.get(namespace) ?? { kind: 'slots' }) : { kind: 'behind' },
        });
    }
  }
  return { start, wait, reject };
}

/**
 * Fills the free slots one at a time, each with the oldest operation of the namespace whose turn
 * it is; also says, per namespace left waiting, what held its oldest operation back.
 */
function pickStarts(
  input: FairQueueInput,
  byNamespace: ReadonlyMap<string, QueuedOperation[]>,
): { start: QueuedOperation[]; blocked: Map<string, WaitReason> } {
  const runningIn = new Map<string, number>();
  for (const r of input.running) runningIn.set(r.namespace, (runningIn.get(r.namespace) ?? 0) + 1);
  // Exclusive namespaces held by running operations, and by those picked now.
  const held = new Set(input.running.flatMap((r) => r.exclusive ?? []));
  const holdReason = (namespace: string, op: QueuedOperation): WaitReason | undefined => {
    const max = input.limits(namespace).maxConcurrent;
    if (max !== undefined && (runningIn.get(namespace) ?? 0) >= max)
      return { kind: 'maxConcurrent', maxConcurrent: max };
    const shared = (op.exclusive ?? []).find((n) => held.has(n));
    return shared === undefined ? undefined : { kind: 'exclusive', namespace: shared };
  };
  // When each namespace was last served; picks made now count as later than anything read.
  const served = servedTimes(input.lastStarted);
  let latest = Math.max(0, ...served.values());
  const next = new Map<string, number>();
  const start: QueuedOperation[] = [];
  for (let free = input.slots - input.running.length; free > 0; free--) {
    let pick: QueuedOperation | undefined;
    for (const [namespace, list] of byNamespace) {
      const op = list[next.get(namespace) ?? 0];
      if (!op || holdReason(namespace, op)) continue;
      if (!pick || turnOrder(op, pick, served) < 0) pick = op;
    }
    if (!pick) break;
    start.push(pick);
    next.set(pick.namespace, (next.get(pick.namespace) ?? 0) + 1);
    runningIn.set(pick.namespace, (runningIn.get(pick.namespace) ?? 0) + 1);
    for (const n of pick.exclusive ?? []) held.add(n);
    served.set(pick.namespace, ++latest);
  }
  const blocked = new Map<string, WaitReason>();
  for (const [namespace, list] of byNamespace) {
    const op = list[next.get(namespace) ?? 0];
    const reason = op && holdReason(namespace, op);
    if (reason) blocked.set(namespace, reason);
  }
  return { start, blocked };
}

function servedTimes(lastStarted: ReadonlyMap<string, string>): Map<string, number> {
  const served = new Map<string, number>();
  for (const [namespace, at] of lastStarted) {
    const t = Date.parse(at);
    if (Number.isFinite(t)) served.set(namespace, t);
  }
  return served;
}

/** Whose turn it is between the oldest waiting operations of two namespaces. */
function turnOrder(a: QueuedOperation, b: QueuedOperation, served: ReadonlyMap<string, number>): number {
  const never = Number.NEGATIVE_INFINITY;
  return (
    (served.get(a.namespace) ?? never) - (served.get(b.namespace) ?? never) ||
    olderFirst(a, b) ||
    a.namespace.localeCompare(b.namespace)
  );
}

/**
 * Whether creating `op` went over the namespace's `createsPerMinute`: how many of the
 * namespace's operations were created in the minute up to it (itself included, ordered by
 * creation time then name) exceeds the limit. Decided from creation times, so every server
 * pass reaches the same answer.
 */
export function overCreateRate(
  op: QueuedOperation,
  sameNamespace: readonly QueuedOperation[],
  createsPerMinute: number,
): boolean {
  const at = Date.parse(op.created);
  if (!Number.isFinite(at)) return false;
  const inWindow = sameNamespace.filter((o) => {
    const t = Date.parse(o.created);
    return Number.isFinite(t) && t > at - 60_000 && olderFirst(o, op) <= 0;
  });
  const self = inWindow.some((o) => o.name === op.name) ? 0 : 1;
  return inWindow.length + self > createsPerMinute;
}
