import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Cluster } from '../kube/cluster.ts';
import { isAlreadyExists, isConflict } from '../kube/errors.ts';
import type { KubeObject } from '../kube/object.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/log.ts';
import {
  decideLease,
  releasedSpec,
  renewDeadlinePassed,
  RETRY_JITTER,
  type LeaseSpec,
  type LeaseTimings,
} from './lease.ts';

export const LEASES = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases' };

/** Name of the Lease in the server namespace. Velero itself runs no leader election (reference §10). */
export const DEFAULT_LEASE_NAME = 'skiff-server';

/** Hostname plus a random suffix: two processes on one host (or a restarted pod) never share one. */
export function candidateIdentity(): string {
  return `${hostname()}_${randomBytes(4).toString('hex')}`;
}

export interface LeaderElectorOptions extends LeaseTimings {
  namespace: string;
  name: string;
  identity: string;
}

/**
 * Carries out decideLease against the API server: reads the Lease, writes the decision with
 * the resourceVersion it read (a conflict means another candidate wrote first), and repeats
 * every retry period. `acquire` resolves once this process leads; `holdUntilLost` renews
 * until a renewal fails for the whole renew deadline or another holder shows up.
 */
export class LeaderElector {
  private observedVersion: string | undefined;
  private observedAt: Date;
  private lastRenewed: Date;
  private lease: KubeObject | undefined;

  constructor(
    private readonly cluster: Cluster,
    private readonly opts: LeaderElectorOptions,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.observedAt = clock.now();
    this.lastRenewed = clock.now();
  }

  get identity(): string {
    return this.opts.identity;
  }

  /** Resolves true once leading, false if `signal` aborts first; `onStandby` when another server leads. */
  async acquire(signal: AbortSignal, onStandby: () => void = () => undefined): Promise<boolean> {
    let lastHolder: string | undefined;
    while (!signal.aborted) {
      try {
        const outcome = await this.tryOnce();
        if (outcome.leading) {
          this.log.info(
            { lease: this.opts.name, identity: this.opts.identity, reason: outcome.reason },
            'became leader',
          );
          return true;
        }
        if (outcome.holder !== undefined && outcome.holder !== lastHolder) {
          lastHolder = outcome.holder;
          onStandby();
          this.log.info({ lease: this.opts.name, holder: outcome.holder }, 'standing by: another server leads');
        }
      } catch (err) {
        this.log.warn({ err, lease: this.opts.name }, 'leader election: cannot read or write the lease');
      }
      await sleep(this.opts.retryPeriodMs * (1 + Math.random() * (RETRY_JITTER - 1)), signal);
    }
    return false;
  }

  /**
   * Renews every retry period. Resolves 'lost' when leadership is gone (the caller must stop
   * all work at once), 'stopped' when `signal` aborted while still leading.
   */
  async holdUntilLost(signal: AbortSignal): Promise<'lost' | 'stopped'> {
    this.lastRenewed = this.clock.now();
    // A function, not the property: TypeScript would keep the loop condition's narrowing.
    const stopped = (): boolean => signal.aborted;
    while (!stopped()) {
      await sleep(this.opts.retryPeriodMs, signal);
      if (stopped()) break;
      try {
        const outcome = await this.tryOnce();
        if (outcome.leading) {
          this.lastRenewed = this.clock.now();
          continue;
        }
        // A write that lost a race proves nothing yet: the next read shows who holds the lease.
        if (outcome.holder !== undefined) {
          this.log.error(
            { lease: this.opts.name, holder: outcome.holder },
            'leadership lost: another server holds the lease',
          );
          return 'lost';
        }
      } catch (err) {
        this.log.warn({ err, lease: this.opts.name }, 'leader election: renewal failed');
      }
      if (renewDeadlinePassed(this.lastRenewed, this.clock.now(), this.opts.renewDeadlineMs)) {
        this.log.error(
          { lease: this.opts.name },
          'leadership lost: the lease was not renewed within the renew deadline',
        );
        return 'lost';
      }
    }
    return 'stopped';
  }

  /** Gives the Lease up so that a standby takes over at once. Only call once no work runs any more. */
  async release(): Promise<void> {
    const lease = this.lease;
    const spec = lease?.spec as LeaseSpec | undefined;
    if (!lease || !spec || spec.holderIdentity !== this.opts.identity) return;
    try {
      await this.cluster.replace(LEASES, { ...lease, spec: releasedSpec(spec, this.clock.now()) });
      this.log.info({ lease: this.opts.name }, 'lease released');
    } catch (err) {
      this.log.warn({ err, lease: this.opts.name }, 'could not release the lease');
    }
  }

  /** One read-decide-write round. */
  private async tryOnce(): Promise<{ leading: boolean; holder: string | undefined; reason: string }> {
    const { namespace, name, identity } = this.opts;
    const lease = await this.cluster.find(LEASES, name, namespace);
    const now = this.clock.now();
    const version = lease?.metadata.resourceVersion;
    if (version !== this.observedVersion) {
      this.observedVersion = version;
      this.observedAt = now;
    }
    const spec = lease?.spec as LeaseSpec | undefined;
    const decision = decideLease({ spec, changedAt: this.observedAt }, now, identity, this.leaseSeconds());
    if (decision.action === 'wait') return { leading: false, holder: decision.holder, reason: decision.reason };
    try {
      this.lease =
        decision.action === 'create'
          ? await this.cluster.create(LEASES, {
              apiVersion: 'coordination.k8s.io/v1',
              kind: 'Lease',
              metadata: { name, namespace },
              spec: decision.spec,
            })
          : await this.cluster.replace(LEASES, {
              apiVersion: 'coordination.k8s.io/v1',
              kind: 'Lease',
              // The resourceVersion read makes the write a compare-and-swap.
              metadata: { ...lease?.metadata, name, namespace },
              spec: decision.spec,
            });
    } catch (err) {
      if (isConflict(err) || isAlreadyExists(err)) {
        return { leading: false, holder: undefined, reason: 'another candidate wrote the lease first' };
      }
      throw err;
    }
    this.observedVersion = this.lease.metadata.resourceVersion;
    this.observedAt = now;
    return { leading: true, holder: identity, reason: decision.reason };
  }

  private leaseSeconds(): number {
    return Math.max(1, Math.ceil(this.opts.leaseDurationMs / 1000));
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}
