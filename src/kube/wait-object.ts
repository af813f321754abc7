/**
 * Waiting for one object to reach a state, by watching it: the caller learns of each change as the API server
 * makes it, instead of up to a poll interval later (a moved-data backup waits on a VolumeSnapshot, a clone, a
 * claim, a pod and a DataUpload in a row, so polls add up).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Cluster } from './cluster.ts';
import type { KubeObject } from './object.ts';
import type { ResourceRef } from './resource.ts';

export interface WaitObjectOptions {
  /** Give up after this long (undefined: wait until `check` answers or the signal aborts). */
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
}

type Target = { name: string; namespace?: string | undefined };
type Check<T> = (obj: KubeObject | undefined) => T | undefined;

/** How long a failed watch waits before reading the object again. */
const RETRY_MS = 200;
/** A watch is reopened at least this often (the server may keep a stream open for a long time). */
const MAX_WATCH_SECONDS = 300;

/** What `check` threw: it ends the wait, even from inside a watch (whose own failures are retried). */
class CheckFailed extends Error {
  constructor(readonly err: unknown) {
    super('the check of a wait failed', { cause: err });
  }
}

/**
 * Reads the object, then watches it, calling `check` with each version (undefined once it does not exist).
 * Resolves with `check`'s first answer other than undefined, or undefined when `timeoutMs` passed first.
 * A watch that ends or fails (410 Gone, a dropped stream) is recovered by reading the object again. Throws
 * when the signal aborts, and what `check` throws.
 */
export async function waitForObject<T>(
  cluster: Cluster,
  rt: ResourceRef,
  target: Target,
  check: Check<T>,
  opts: WaitObjectOptions = {},
): Promise<T | undefined> {
  const deadline = opts.timeoutMs === undefined ? Infinity : Date.now() + opts.timeoutMs;
  const checked: Check<T> = (obj) => {
    try {
      return check(obj);
    } catch (err) {
      throw new CheckFailed(err);
    }
  };
  try {
    for (;;) {
      opts.signal?.throwIfAborted();
      const current = await cluster.find(rt, target.name, target.namespace);
      const answer = checked(current);
      if (answer !== undefined) return answer;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      const seen = await watchOnce(cluster, rt, target, checked, {
        fromVersion: current?.metadata.resourceVersion,
        leftMs: left,
        outer: opts.signal,
      });
      if (seen !== undefined) return seen;
    }
  } catch (err) {
    throw err instanceof CheckFailed ? err.err : err;
  }
}

/** One watch from `fromVersion` for at most `leftMs`; `check`'s answer, or undefined when the watch ended first. */
async function watchOnce<T>(
  cluster: Cluster,
  rt: ResourceRef,
  target: Target,
  check: Check<T>,
  at: { fromVersion: string | undefined; leftMs: number; outer: AbortSignal | undefined },
): Promise<T | undefined> {
  const { fromVersion, leftMs, outer } = at;
  const signals = [...(outer ? [outer] : []), ...(leftMs < Infinity ? [AbortSignal.timeout(leftMs)] : [])];
  const signal = signals.length > 0 ? AbortSignal.any(signals) : undefined;
  try {
    const events = cluster.watch(rt, {
      ...(target.namespace ? { namespace: target.namespace } : {}),
      fieldSelector: `metadata.name=${target.name}`,
      // From the version read, so no change in between is missed; without one (no object yet) the server
      // starts with the object's current state should it appear meanwhile.
      ...(fromVersion ? { resourceVersion: fromVersion } : {}),
      timeoutSeconds: Math.max(1, Math.min(MAX_WATCH_SECONDS, Math.ceil(leftMs / 1000))),
      ...(signal ? { signal } : {}),
    });
    for await (const ev of events) {
      if (ev.type === 'ERROR') break;
      if (ev.type === 'BOOKMARK') continue;
      const seen = check(ev.type === 'DELETED' ? undefined : ev.object);
      if (seen !== undefined) return seen;
    }
  } catch (err) {
    if (err instanceof CheckFailed) throw err;
    outer?.throwIfAborted();
    if (!signal?.aborted) await sleep(RETRY_MS, undefined, outer ? { signal: outer } : {});
  }
  return undefined;
}
