/**
 * Exponential backoff with jitter, for anything that retries after a failure: a controller
 * requeueing an object whose reconcile threw, an informer listing again after its watch
 * failed. A fixed delay hammers a broken API server or bucket at the same pace forever, and
 * every replica and every object retries in lock-step; doubling spreads the load out and
 * jitter breaks the lock-step.
 */

export interface BackoffPolicy {
  /** Delay after the first failure. */
  baseMs: number;
  /** The delay never grows beyond this. */
  capMs: number;
  /**
   * Share of the delay that is random: 0.5 waits between half and all of the doubled delay.
   * Never all of it, so a retry is not immediate by chance.
   */
  jitter: number;
}

/** Controllers and informers: 1 s, 2 s, 4 s, ... up to 5 minutes, the half of it random. */
export const RETRY_BACKOFF: BackoffPolicy = { baseMs: 1000, capMs: 300_000, jitter: 0.5 };

/** A random number in [0, 1), injected so tests decide it. */
export type RandomSource = () => number;

/**
 * The wait before the next attempt after `failures` consecutive failures (1 = the first):
 * `min(cap, base · 2^(failures-1))`, of which the `jitter` share is scaled by `random()`.
 */
export function backoffDelay(failures: number, policy: BackoffPolicy, random: RandomSource = Math.random): number {
  const n = Math.max(1, Math.floor(failures));
  // 2^n overflows to Infinity long after the cap is reached; min() keeps it finite.
  const full = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(n - 1, 60));
  const jitter = Math.min(1, Math.max(0, policy.jitter));
  return Math.round(full * (1 - jitter) + full * jitter * random());
}

/**
 * Consecutive failures per key (an object's name): each failure lengthens that key's next
 * wait, a success forgets it, so one broken object never slows the others down.
 */
export class FailureBackoff<K = string> {
  private readonly failures = new Map<K, number>();

  constructor(
    private readonly policy: BackoffPolicy = RETRY_BACKOFF,
    private readonly random: RandomSource = Math.random,
  ) {}

  /** Records a failure of `key`; returns the attempt count and the wait before the next attempt. */
  failed(key: K): { failures: number; delayMs: number } {
    const failures = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, failures);
    return { failures, delayMs: backoffDelay(failures, this.policy, this.random) };
  }

  /** The key succeeded (or is gone): its next failure starts again at the base delay. */
  reset(key: K): void {
    this.failures.delete(key);
  }

  /** Consecutive failures recorded for `key`. */
  count(key: K): number {
    return this.failures.get(key) ?? 0;
  }
}
