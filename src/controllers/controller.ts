import type { Cluster } from '../kube/cluster.ts';
import { runInformer } from '../kube/informer.ts';
import type { KubeObject } from '../kube/object.ts';
import type { ResourceType } from '../kube/resource.ts';
import { FailureBackoff, RETRY_BACKOFF, type BackoffPolicy, type RandomSource } from '../util/backoff.ts';
import type { Logger } from '../util/log.ts';

/** What a reconcile asks for next: nothing, or another look after a delay. */
export interface ReconcileResult {
  requeueAfterMs?: number;
}

export interface ControllerSpec {
  name: string;
  type: ResourceType;
  namespace: string;
  reconcile: (obj: KubeObject) => Promise<ReconcileResult | undefined>;
  /** Periodic re-look at every known object (e.g. BSL validation, expiry); 0 = none. */
  resyncMs?: number;
  /** Settles once work the reconciles left running in the background is done (awaited on stop). */
  drain?: () => Promise<void>;
}

/** How a controller waits before retrying an object whose reconcile failed (tests shorten it). */
export interface ControllerRetry {
  backoff?: BackoffPolicy;
  random?: RandomSource;
}

/**
 * One reconciler per kind: an informer feeds object names into a de-duplicating queue,
 * worked off one at a time (Velero runs one backup and one restore at a time by
 * default). State lives only in the objects, so a restart simply reconciles again.
 * A failed reconcile is retried after an exponential backoff with jitter, per object, reset
 * by its next success; the informer lists again after the same kind of backoff.
 */
export class Controller {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly latest = new Map<string, KubeObject>();
  private wake: (() => void) | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly failures: FailureBackoff;

  constructor(
    private readonly cluster: Cluster,
    private readonly spec: ControllerSpec,
    private readonly log: Logger,
    private readonly retry: ControllerRetry = {},
  ) {
    this.failures = new FailureBackoff(retry.backoff ?? RETRY_BACKOFF, retry.random);
  }

  /** Runs until `signal` aborts; `onSynced` is called once the informer's first list has been queued. */
  async run(signal: AbortSignal, onSynced?: () => void): Promise<void> {
    const informer = runInformer(
      this.cluster,
      this.spec.type,
      (type, obj) => {
        const name = this.keyOf(obj);
        if (type === 'DELETED') {
          this.latest.delete(name);
          this.failures.reset(name);
          return;
        }
        this.latest.set(name, obj);
        this.enqueue(name);
      },
      {
        namespace: this.spec.namespace,
        signal,
        ...(onSynced ? { onSynced } : {}),
        onError: (err, retryInMs) =>
          this.log.warn({ err, controller: this.spec.name, retryInMs }, 'watch failed; listing again after a backoff'),
        ...(this.retry.backoff ? { backoff: this.retry.backoff } : {}),
        ...(this.retry.random ? { random: this.retry.random } : {}),
      },
    );
    const resync = this.spec.resyncMs
      ? setInterval(() => {
          for (const name of this.latest.keys()) this.enqueue(name);
        }, this.spec.resyncMs)
      : undefined;
    signal.addEventListener('abort', () => this.wake?.());
    try {
      await Promise.all([informer, this.work(signal)]);
      await this.spec.drain?.();
    } finally {
      if (resync) clearInterval(resync);
      for (const t of this.timers) clearTimeout(t);
    }
  }

  /**
   * The queue's key of an object: its name, or `namespace/name` for a controller that watches
   * every namespace (its spec's namespace is empty), where names repeat across namespaces.
   */
  private keyOf(obj: KubeObject): string {
    const name = obj.metadata.name ?? '';
    return this.spec.namespace === '' && obj.metadata.namespace ? `${obj.metadata.namespace}/${name}` : name;
  }

  enqueue(name: string): void {
    if (this.queued.has(name)) return;
    this.queued.add(name);
    this.queue.push(name);
    this.wake?.();
  }

  private async work(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const name = this.queue.shift();
      if (name === undefined) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      this.queued.delete(name);
      const obj = this.latest.get(name);
      if (!obj) continue;
      await this.reconcileOne(name, obj);
    }
  }

  private async reconcileOne(name: string, obj: KubeObject): Promise<void> {
    try {
      const res = await this.spec.reconcile(obj);
      this.failures.reset(name);
      if (res?.requeueAfterMs !== undefined) this.later(name, res.requeueAfterMs);
    } catch (err) {
      const { failures, delayMs } = this.failures.failed(name);
      this.log.error(
        { err, controller: this.spec.name, name, failures, retryInMs: delayMs },
        `reconcile failed; retrying in ${formatSeconds(delayMs)}`,
      );
      this.later(name, delayMs);
    }
  }

  private later(name: string, ms: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.enqueue(name);
    }, ms);
    t.unref();
    this.timers.add(t);
  }
}

function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
}
