import { setImmediate as setImmediatePromise } from 'node:timers/promises';
import { parseJson, type KubeClient, type KubeRequest } from './client.ts';
import type { KubeList, KubeObject } from './object.ts';
import { apiVersionOf, resourcePath, type ResourceType } from './resource.ts';
import { decodeServedPage, type ListedObject, type ServedPage } from './served-list.ts';
import { JsonScanError } from '../util/json-bytes.ts';

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size (the API server's `limit`); 0 asks for everything in one answer. Default 500. */
  pageSize?: number;
  signal?: AbortSignal;
  /** The first page's answer, already asked for (Cluster.prefetchFirstPage); the rest are fetched. */
  firstPage?: Promise<Buffer>;
}

/**
 * Every object of a resource type, one page at a time. The next page is requested while the
 * caller consumes the current one, so listing overlaps with whatever the caller does.
 * Items get their `apiVersion`/`kind` filled in, as a LIST answer omits them.
 */
export function listPages(client: KubeClient, rt: ResourceType, opts: ListOptions = {}): AsyncGenerator<KubeObject[]> {
  const apiVersion = apiVersionOf(rt);
  return pagesOf(client, rt, opts, (bytes) => {
    const page = parseJson(bytes) as KubeList;
    for (const item of page.items) {
      item.apiVersion = apiVersion;
      item.kind = rt.kind;
    }
    return { items: page.items, continue: page.metadata.continue };
  });
}

/**
 * `listPages` for a consumer that reads objects' metadata and passes the objects on as they
 * are (a backup): items come as ServedObjects, each with its metadata parsed and its JSON as
 * served (served-list.ts). A page this cannot walk is parsed as `listPages` does.
 */
export function listServedPages(
  client: KubeClient,
  rt: ResourceType,
  opts: ListOptions = {},
): AsyncGenerator<ListedObject[]> {
  const type = { apiVersion: apiVersionOf(rt), kind: rt.kind };
  return pagesOf(client, rt, opts, (bytes): ServedPage => {
    try {
      return decodeServedPage(bytes, type);
    } catch (err) {
      if (!(err instanceof JsonScanError)) throw err;
      const page = parseJson(bytes) as KubeList;
      for (const item of page.items) {
        item.apiVersion = type.apiVersion;
        item.kind = type.kind;
      }
      return { items: page.items, continue: page.metadata.continue };
    }
  });
}

/** The GET of one page of a LIST: the first when `cont` is undefined, else the one that token continues to. */
export function listPageRequest(rt: ResourceType, opts: ListOptions, cont?: string): KubeRequest {
  return {
    method: 'GET',
    path: resourcePath(rt, opts.namespace),
    query: {
      limit: opts.pageSize === 0 ? undefined : (opts.pageSize ?? 500),
      continue: cont,
      labelSelector: opts.labelSelector,
      fieldSelector: opts.fieldSelector,
    },
    ...(opts.signal ? { signal: opts.signal } : {}),
  };
}

/** What identifies a LIST's first page: its path and query. */
export function firstPageKey(rt: ResourceType, opts: ListOptions): string {
  const { path, query = {} } = listPageRequest(rt, opts);
  // As the request is sent: an empty parameter is left out like an undefined one.
  return JSON.stringify([path, Object.entries(query).filter(([, v]) => v !== undefined && v !== '')]);
}

async function* pagesOf<T>(
  client: KubeClient,
  rt: ResourceType,
  opts: ListOptions,
  decode: (page: Buffer) => { items: T[]; continue?: string | undefined },
): AsyncGenerator<T[]> {
  // Pages are decoded when the caller reaches them, not when they arrive (see requestBytes).
  const fetchPage = (cont: string | undefined): Promise<Buffer> => {
    const page = client.requestBytes(listPageRequest(rt, opts, cont));
    // A rejected prefetch must not crash the process before the caller reaches it.
    page.catch(() => undefined);
    return page;
  };
  let next: Promise<Buffer> | undefined = opts.firstPage ?? fetchPage(undefined);
  while (next) {
    const bytes = await next;
    // The next page is asked for before this one is decoded and handed over, and this waits
    // until the request has left: the client's send path takes several turns, which a caller
    // handling the page synchronously (a backup writing 500 items) would otherwise hold up, so
    // that each page's round trip came after the previous page's handling instead of beside it.
    const early = continueToken(bytes);
    let following = early === undefined ? undefined : fetchPage(early);
    if (following) await setImmediatePromise();
    const page = decode(bytes);
    if (page.continue !== early) following = page.continue ? fetchPage(page.continue) : undefined;
    next = following;
    if (page.items.length > 0) yield page.items;
  }
}

/**
 * The `continue` token of a LIST answer, read from the list's metadata at its start without
 * decoding the page; undefined when there is none or the answer does not start as the API
 * server writes it (kind, apiVersion, then metadata), in which case the decoded page says.
 */
export function continueToken(page: Buffer): string | undefined {
  const head = LIST_HEAD.exec(page.toString('latin1', 0, Math.min(page.length, 4096)));
  const token = head?.[1] === undefined ? undefined : CONTINUE.exec(head[1])?.[1];
  return token === undefined || token === '' ? undefined : token;
}

/** `{"kind":…,"apiVersion":…,"metadata":{…}`, the metadata's members captured (no nested objects in a list's metadata). */
const LIST_HEAD = /^\s*\{"kind":"[^"\\]*","apiVersion":"[^"\\]*","metadata":\{([^{}]*)\}/;
/** The continue member: a token the API server sends as base64 (no escapes). */
const CONTINUE = /(?:^|,)"continue":"([^"\\]*)"/;

/** `listPages`, item by item. */
export async function* listObjects(
  client: KubeClient,
  rt: ResourceType,
  opts: ListOptions = {},
): AsyncGenerator<KubeObject> {
  for await (const page of listPages(client, rt, opts)) yield* page;
}
