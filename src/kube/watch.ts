import type { KubeClient } from './client.ts';
import type { KubeObject } from './object.ts';
import { resourcePath, type ResourceRef } from './resource.ts';

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject;
}

export interface WatchOptions {
  namespace?: string;
  resourceVersion?: string;
  labelSelector?: string;
  fieldSelector?: string;
  timeoutSeconds?: number;
  signal?: AbortSignal;
}

/** One watch stream as an async iterator of events; ends when the server closes it or the signal aborts. */
export async function* watchObjects(
  client: KubeClient,
  rt: ResourceRef,
  opts: WatchOptions = {},
): AsyncGenerator<WatchEvent> {
  const res = await client.send({
    method: 'GET',
    path: resourcePath(rt, opts.namespace),
    query: {
      watch: true,
      allowWatchBookmarks: true,
      resourceVersion: opts.resourceVersion,
      labelSelector: opts.labelSelector,
      fieldSelector: opts.fieldSelector,
      timeoutSeconds: opts.timeoutSeconds ?? 300,
    },
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  if (!res.body) return;
  const decoder = new TextDecoder();
  let buffered = '';
  try {
    for await (const chunk of res.body) {
      buffered += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (line) yield JSON.parse(line) as WatchEvent;
      }
    }
  } catch (err) {
    if (opts.signal?.aborted) return;
    throw err;
  }
}
