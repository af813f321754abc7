/**
 * Which waiting operations (backups or restores) may start now: a pure decision, printed
 * and unit-tested on its own; the controllers only carry it out.
 *
 * The rules are Velero's for `--concurrent-backups` (reference §1.1 transitions, §3.4):
 * - at most `limit` operations run at once;
 * - two operations whose namespaces overlap never run at once;
 * - waiting operations are taken in order (FIFO): one never overtakes an earlier waiting
 *   one it overlaps with, but may pass one that waits on something else.
 */

/** The namespaces an operation reads or writes: every namespace, or a known set. */
export type NamespaceScope = { readonly all: true } | { readonly all: false; readonly namespaces: ReadonlySet<string> };

export const ALL_NAMESPACES: NamespaceScope = { all: true };

export function namespaceScope(namespaces: Iterable<string>): NamespaceScope {
  return { all: false, namespaces: new Set(namespaces) };
}

/** Whether two scopes share a namespace; "every namespace" overlaps anything. */
export function scopesOverlap(a: NamespaceScope, b: NamespaceScope): boolean {
  if (a.all || b.all) return true;
  const [small, large] = a.namespaces.size <= b.namespaces.size ? [a, b] : [b, a];
  for (const ns of small.namespaces) if (large.namespaces.has(ns)) return true;
  return false;
}

export interface QueueEntry {
  name: string;
  scope: NamespaceScope;
}

export interface QueueInput {
  /** Operations holding a slot (started, or picked and about to start). */
  running: readonly QueueEntry[];
  /** Operations waiting, oldest first. */
  waiting: readonly QueueEntry[];
  /** Most operations running at once; `Infinity` for no limit. */
  limit: number;
}

/** Why a waiting operation does not start now. */
export type WaitReason = { kind: 'limit'; limit: number } | { kind: 'overlap'; with: string; namespace: string };

export interface QueueDecision {
  /** Waiting operations to start now, in queue order. */
  start: string[];
  /** The rest, still waiting: 1-based position in the queue and the reason, in queue order. */
  wait: { name: string; position: number; reason: WaitReason }[];
}

/**
 * Walks the waiting operations oldest first. Each starts when a slot is free and it overlaps
 * neither a running operation nor any earlier waiting one (started now or not): that last
 * rule is what keeps the order FIFO among operations that touch the same namespaces.
 */
export function decideQueue(input: QueueInput): QueueDecision {
  if (!(input.limit >= 1)) throw new RangeError(`queue limit must be at least 1, got ${input.limit}`);
  const ahead: QueueEntry[] = [...input.running];
  let slots = input.limit - input.running.length;
  const decision: QueueDecision = { start: [], wait: [] };
  for (const entry of input.waiting) {
    const blocker = ahead.find((a) => scopesOverlap(a.scope, entry.scope));
    if (!blocker && slots > 0) {
      decision.start.push(entry.name);
      slots--;
    } else {
      const reason: WaitReason = blocker
        ? { kind: 'overlap', with: blocker.name, namespace: sharedNamespace(blocker.scope, entry.scope) }
        : { kind: 'limit', limit: input.limit };
      decision.wait.push({ name: entry.name, position: decision.wait.length + 1, reason });
    }
    ahead.push(entry);
  }
  return decision;
}

/** One namespace two overlapping scopes share, for messages; `*` when either is every namespace. */
function sharedNamespace(a: NamespaceScope, b: NamespaceScope): string {
  if (a.all || b.all) return '*';
  for (const ns of [...a.namespaces].sort()) if (b.namespaces.has(ns)) return ns;
  return '*';
}

/** The reason as a user reads it, e.g. in `describe`. */
export function waitReasonText(reason: WaitReason): string {
  if (reason.kind === 'limit') return `${reason.limit} already running (the most allowed at once)`;
  return reason.namespace === '*'
    ? `waiting for ${reason.with}, which covers every namespace or this one covers every namespace`
    : `waiting for ${reason.with}, which also covers namespace ${reason.namespace}`;
}

/** The decision as lines of text (for logs and tests). */
export function formatQueueDecision(decision: QueueDecision): string {
  return [
    ...decision.start.map((name) => `start ${name}`),
    ...decision.wait.map((w) => `wait  ${w.name} #${w.position}: ${waitReasonText(w.reason)}`),
  ].join('\n');
}
