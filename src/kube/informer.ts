import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay, RETRY_BACKOFF, type BackoffPolicy, type RandomSource } from '../util/backoff.ts';
import type { Cluster } from './cluster.ts';
import { KubeApiError } from './errors.ts';
import type { KubeObject } from './object.ts';
import { apiVersionOf, resourcePath, type ResourceType } from './resource.ts';

export type InformerEvent = 'ADDED' | 'MODIFIED' | 'DELETED';
export type InformerHandler = (type: InformerEvent, obj: KubeObject) => Promise<void> | void;

export interface InformerOptions {
  namespace?: string;
  labelSelector?: string;
  signal: AbortSignal;
  /** Called once after the initial list has been handled. */
  onSynced?: () => void;
  /** A list or watch failed; the informer lists again after `retryInMs`. */
  onError?: (err: unknown, retryInMs: number) => void;
  /** Wait before listing again after failures in a row (default RETRY_BACKOFF). */
  backoff?: BackoffPolicy;
  random?: RandomSource;
}

/**
 * List, then watch from the list's resourceVersion; on a closed stream resume from the
 * last seen version, on an expired version (410 Gone / ERROR event) list again.
 * Handlers run one at a time, in order. Failures in a row (an API server that is down, a
 * CRD that is missing) wait longer and longer before the next list, up to the backoff's cap.
 */
export async function runInformer(
  cluster: Cluster,
  rt: ResourceType,
  handler: InformerHandler,
  opts: InformerOptions,
): Promise<void> {
  let synced = false;
  let failures = 0;
  // A function, not the property: TypeScript would keep the loop condition's narrowing.
  const stopped = (): boolean => opts.signal.aborted;
  while (!stopped()) {
    try {
      const page = await cluster.client.request<{ metadata: { resourceVersion: string }; items: KubeObject[] }>({
        method: 'GET',
        path: resourcePath(rt, opts.namespace),
        query: { labelSelector: opts.labelSelector },
      });
      for (const item of page.items) await handler('ADDED', { ...item, apiVersion: apiVersionOf(rt), kind: rt.kind });
      if (!synced) {
        synced = true;
        opts.onSynced?.();
      }
      failures = 0;
      await watchUntilExpired(cluster, rt, handler, opts, page.metadata.resourceVersion);
    } catch (err) {
      if (stopped()) return;
      // An expired resourceVersion is routine: list again at once.
      if (err instanceof KubeApiError && err.status === 410) continue;
      failures++;
      const delay = backoffDelay(failures, opts.backoff ?? RETRY_BACKOFF, opts.random);
      opts.onError?.(err, delay);
      await sleep(delay, undefined, { signal: opts.signal }).catch(() => undefined);
    }
  }
}

/** Watches, resuming after each server-side timeout, until the version expires or the signal aborts. */
async function watchUntilExpired(
  cluster: Cluster,
  rt: ResourceType,
  handler: InformerHandler,
  opts: InformerOptions,
  fromVersion: string,
): Promise<void> {
  let rv = fromVersion;
  while (!opts.signal.aborted) {
    const events = cluster.watch(rt, {
      resourceVersion: rv,
      signal: opts.signal,
      ...(opts.namespace ? { namespace: opts.namespace } : {}),
      ...(opts.labelSelector ? { labelSelector: opts.labelSelector } : {}),
    });
    for await (const ev of events) {
      if (ev.type === 'ERROR') return;
      rv = ev.object.metadata.resourceVersion ?? rv;
      if (ev.type !== 'BOOKMARK') await handler(ev.type, ev.object);
    }
  }
}
