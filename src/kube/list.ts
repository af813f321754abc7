import { parseJson, type KubeClient } from './client.ts';
import type { KubeList, KubeObject } from './object.ts';
import { apiVersionOf, resourcePath, type ResourceType } from './resource.ts';

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size (the API server's `limit`). */
  pageSize?: number;
  signal?: AbortSignal;
}

/**
 * Every object of a resource type, one page at a time. The next page is requested while the
 * caller consumes the current one, so listing overlaps with whatever the caller does.
 * Items get their `apiVersion`/`kind` filled in, as a LIST answer omits them.
 */
export async function* listPages(
  client: KubeClient,
  rt: ResourceType,
  opts: ListOptions = {},
): AsyncGenerator<KubeObject[]> {
  // Pages are parsed when the caller reaches them, not when they arrive (see requestBytes).
  const fetchPage = (cont: string | undefined): Promise<Buffer> =>
    client.requestBytes({
      method: 'GET',
      path: resourcePath(rt, opts.namespace),
      query: {
        limit: opts.pageSize ?? 500,
        continue: cont,
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
      },
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  const apiVersion = apiVersionOf(rt);
  let next: Promise<Buffer> | undefined = fetchPage(undefined);
  while (next) {
    const page = parseJson(await next) as KubeList;
    const cont: string | undefined = page.metadata.continue;
    next = cont ? fetchPage(cont) : undefined;
    // A rejected prefetch must not crash the process before the caller reaches it.
    next?.catch(() => undefined);
    for (const item of page.items) {
      item.apiVersion = apiVersion;
      item.kind = rt.kind;
    }
    if (page.items.length > 0) yield page.items;
  }
}

/** `listPages`, item by item. */
export async function* listObjects(
  client: KubeClient,
  rt: ResourceType,
  opts: ListOptions = {},
): AsyncGenerator<KubeObject> {
  for await (const page of listPages(client, rt, opts)) yield* page;
}
