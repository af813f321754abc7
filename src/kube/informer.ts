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
  onError?: (err: unknown) => void;
}

/**
 * List, then watch from the list's resourceVersion; on a closed stream resume from the
 * last seen version, on an expired version (410 Gone / ERROR event) list again.
 * Handlers run one at a time, in order.
 */
export async function runInformer(
  cluster: Cluster,
  rt: ResourceType,
  handler: InformerHandler,
  opts: InformerOptions,
): Promise<void> {
  let synced = false;
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
      await watchUntilExpired(cluster, rt, handler, opts, page.metadata.resourceVersion);
    } catch (err) {
      if (stopped()) return;
      if (!(err instanceof KubeApiError && err.status === 410)) opts.onError?.(err);
      await new Promise((r) => setTimeout(r, 1000));
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
