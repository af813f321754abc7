/**
 * Leader election decisions over a `coordination.k8s.io/v1` Lease, as client-go's
 * leaderelection package makes them. Pure: given what the Lease says, when this process last
 * saw it change, and the time now, what to write (or to wait). The LeaderElector carries the
 * decision out with optimistic concurrency, so of two candidates that decide to acquire at
 * once only one write succeeds.
 *
 * Expiry is judged on this process's own clock, from the moment it saw the record change,
 * never from the holder's `renewTime`: two machines' clocks need not agree.
 */

/** `spec` of a Lease (coordination.k8s.io/v1). */
export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  /** MicroTime: RFC 3339 with microseconds. */
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

/** What this candidate knows of the Lease. */
export interface LeaseObservation {
  /** The Lease's spec, or undefined when no Lease exists. */
  spec: LeaseSpec | undefined;
  /** Local time at which this candidate first saw the spec as it is now. */
  changedAt: Date;
}

export type LeaseDecision =
  /** No Lease yet: create it, holding it. */
  | { action: 'create'; spec: LeaseSpec; reason: string }
  /** Write `spec` over the observed Lease: renew our own, or take over an expired or released one. */
  | { action: 'update'; spec: LeaseSpec; leading: 'renew' | 'acquire'; reason: string }
  /** Someone else holds a live Lease. */
  | { action: 'wait'; holder: string; expiresAt: Date; reason: string };

export function decideLease(
  seen: LeaseObservation,
  now: Date,
  me: string,
  leaseDurationSeconds: number,
): LeaseDecision {
  const at = microTime(now);
  if (!seen.spec) {
    return {
      action: 'create',
      spec: { holderIdentity: me, leaseDurationSeconds, acquireTime: at, renewTime: at, leaseTransitions: 0 },
      reason: 'no lease exists',
    };
  }
  const spec = seen.spec;
  const holder = spec.holderIdentity ?? '';
  if (holder === me) {
    return {
      action: 'update',
      leading: 'renew',
      spec: { ...spec, leaseDurationSeconds, renewTime: at },
      reason: 'we hold the lease',
    };
  }
  const expiresAt = new Date(seen.changedAt.getTime() + (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000);
  if (holder !== '' && now < expiresAt) {
    return { action: 'wait', holder, expiresAt, reason: `held by ${holder}` };
  }
  return {
    action: 'update',
    leading: 'acquire',
    spec: {
      holderIdentity: me,
      leaseDurationSeconds,
      acquireTime: at,
      renewTime: at,
      leaseTransitions: (spec.leaseTransitions ?? 0) + 1,
    },
    reason: holder === '' ? 'the lease was released' : `the lease of ${holder} expired unrenewed`,
  };
}

/**
 * Whether a leader whose last successful renewal was at `lastRenewed` must give up: client-go's
 * renew deadline. Past it, another candidate may soon take the Lease over, and two leaders must
 * never work at once.
 */
export function renewDeadlinePassed(lastRenewed: Date, now: Date, renewDeadlineMs: number): boolean {
  return now.getTime() - lastRenewed.getTime() >= renewDeadlineMs;
}

/**
 * The spec a leader writes when it steps down: no holder, so a standby takes over at once
 * instead of after the lease duration (client-go's ReleaseOnCancel).
 */
export function releasedSpec(spec: LeaseSpec, now: Date): LeaseSpec {
  return { ...spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(now) };
}

/** Kubernetes MicroTime: `2006-01-02T15:04:05.000000Z`. */
export function microTime(d: Date): string {
  return d.toISOString().replace(/Z$/, '000Z');
}

/** Durations of a leader election, in milliseconds, checked as client-go checks them. */
export interface LeaseTimings {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

/** Problems with the timings, each naming its flag; empty when usable. */
export function leaseTimingProblems(t: LeaseTimings): string[] {
  const problems: string[] = [];
  if (t.leaseDurationMs < 1000) problems.push('--leader-elect-lease-duration must be at least 1s');
  if (t.renewDeadlineMs >= t.leaseDurationMs) {
    problems.push('--leader-elect-renew-deadline must be shorter than --leader-elect-lease-duration');
  }
  if (t.retryPeriodMs <= 0) problems.push('--leader-elect-retry-period must be more than 0');
  else if (t.retryPeriodMs * RETRY_JITTER >= t.renewDeadlineMs) {
    problems.push(`--leader-elect-renew-deadline must be longer than ${RETRY_JITTER} × --leader-elect-retry-period`);
  }
  return problems;
}

/** A candidate waits between retryPeriod and this many times it, so candidates do not retry in step. */
export const RETRY_JITTER = 1.2;
