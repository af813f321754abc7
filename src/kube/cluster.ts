import type { KubeClient, KubeRequest } from './client.ts';
import { discover, type Discovery } from './discovery.ts';
import { isNotFound } from './errors.ts';
import { firstPageKey, listObjects, listPageRequest, listPages, listServedPages, type ListOptions } from './list.ts';
import type { ListedObject } from './served-list.ts';
import type { UserIdentity } from './impersonation.ts';
import type { KubeObject } from './object.ts';
import { resourcePath, type ResourceRef, type ResourceType } from './resource.ts';
import { watchObjects, type WatchEvent, type WatchOptions } from './watch.ts';

/** How long a prefetched first page waits for its list (Cluster.prefetchFirstPage). */
const PREFETCH_TTL_MS = 2000;

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';

/** The object a patch is for, or its subresource (`status`, `scale`). */
export interface PatchTarget {
  name: string;
  namespace?: string | undefined;
  subresource?: string;
}

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  force?: boolean;
}

/**
 * The verbs domain code uses to read and write a cluster. Planners take this
 * interface (or plain data) so that they are testable without a server.
 */
export class Cluster {
  private discovery: Promise<Discovery> | undefined;
  /** The last discovery that answered, kept while a fresh one is under way. */
  private answered: Discovery | undefined;
  /** First LIST pages asked for ahead of their list (prefetchFirstPage), by firstPageKey. */
  private readonly prefetched = new Map<string, Promise<Buffer>>();

  constructor(readonly client: KubeClient) {}

  /** The same cluster, every request made as `who` (KubeClient.impersonating). */
  impersonating(who: UserIdentity): Cluster {
    return new Cluster(this.client.impersonating(who));
  }

  /** Discovery, fetched once and cached; `refresh` forces a new read (after installing CRDs). */
  discover(refresh = false): Promise<Discovery> {
    if (refresh || !this.discovery) {
      const discovery = discover(this.client);
      this.discovery = discovery;
      discovery.then(
        (d) => (this.answered = d),
        () => {
          if (this.discovery === discovery) this.discovery = undefined;
        },
      );
    }
    return this.discovery;
  }

  /** The last discovery that answered, without asking again; undefined before the first. */
  get lastDiscovery(): Discovery | undefined {
    return this.answered;
  }

  /**
   * Asks for the first page of a served-object LIST (`listServedPages` with the same type and
   * options) before that list starts, so that its round trip overlaps whatever comes first (a
   * backup's planning). The list that matches takes it; one no list takes within
   * PREFETCH_TTL_MS is dropped, so that no list gets a page older than that.
   */
  prefetchFirstPage(rt: ResourceType, opts: ListOptions): void {
    const key = firstPageKey(rt, opts);
    if (opts.signal || this.prefetched.has(key)) return;
    const page = this.client.requestBytes(listPageRequest(rt, opts));
    page.catch(() => undefined); // the list that takes it sees the error
    this.prefetched.set(key, page);
    setTimeout(() => {
      if (this.prefetched.get(key) === page) this.prefetched.delete(key);
    }, PREFETCH_TTL_MS).unref();
  }

  list(rt: ResourceType, opts: ListOptions = {}): AsyncGenerator<KubeObject> {
    return listObjects(this.client, rt, opts);
  }

  /** `list` a page at a time, for consumers that handle many objects per turn. */
  listPages(rt: ResourceType, opts: ListOptions = {}): AsyncGenerator<KubeObject[]> {
    return listPages(this.client, rt, opts);
  }

  /** `listPages` with each object's metadata parsed and the rest kept as served (served-list.ts). */
  listServedPages(rt: ResourceType, opts: ListOptions = {}): AsyncGenerator<ListedObject[]> {
    const key = opts.signal || opts.firstPage ? undefined : firstPageKey(rt, opts);
    const firstPage = key === undefined ? undefined : this.prefetched.get(key);
    if (key === undefined || !firstPage) return listServedPages(this.client, rt, opts);
    this.prefetched.delete(key);
    return listServedPages(this.client, rt, { ...opts, firstPage });
  }

  async get(rt: ResourceRef, name: string, namespace?: string): Promise<KubeObject> {
    return this.client.request<KubeObject>({ method: 'GET', path: resourcePath(rt, namespace, name) });
  }

  /** Like `get`, but `undefined` when the object does not exist. */
  async find(rt: ResourceRef, name: string, namespace?: string): Promise<KubeObject | undefined> {
    try {
      return await this.get(rt, name, namespace);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async create(rt: ResourceRef, obj: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    return this.client.request<KubeObject>({
      method: 'POST',
      path: resourcePath(rt, obj.metadata.namespace),
      query: writeQuery(opts),
      body: obj,
    });
  }

  /** `create` for callers that do not use the created object: its answer is not parsed. */
  async createOnly(rt: ResourceRef, obj: KubeObject, opts: WriteOptions = {}): Promise<void> {
    await this.client.requestIgnoringAnswer({
      method: 'POST',
      path: resourcePath(rt, obj.metadata.namespace),
      query: writeQuery(opts),
      body: obj,
    });
  }

  async replace(rt: ResourceRef, obj: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    return this.client.request<KubeObject>({
      method: 'PUT',
      path: resourcePath(rt, obj.metadata.namespace, obj.metadata.name),
      query: writeQuery(opts),
      body: obj,
    });
  }

  async patch(
    rt: ResourceRef,
    target: PatchTarget,
    type: PatchType,
    patch: unknown,
    opts: WriteOptions = {},
  ): Promise<KubeObject> {
    return this.client.request<KubeObject>(patchRequest(rt, target, type, patch, opts));
  }

  /** `patch` when the patched object is not needed (a restore's managedFields): the answer is not parsed. */
  async patchOnly(
    rt: ResourceRef,
    target: PatchTarget,
    type: PatchType,
    patch: unknown,
    opts: WriteOptions = {},
  ): Promise<void> {
    await this.client.requestIgnoringAnswer(patchRequest(rt, target, type, patch, opts));
  }

  /** Merge-patches the status subresource. */
  patchStatus(
    rt: ResourceRef,
    target: { name: string; namespace?: string | undefined },
    status: unknown,
  ): Promise<KubeObject> {
    return this.patch(rt, { ...target, subresource: 'status' }, 'merge', { status });
  }

  /** Deletes an object; a missing object is not an error. Returns whether it existed. */
  async delete(rt: ResourceRef, name: string, namespace?: string, propagationPolicy = 'Background'): Promise<boolean> {
    try {
      await this.client.request({
        method: 'DELETE',
        path: resourcePath(rt, namespace, name),
        body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy },
      });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  watch(rt: ResourceRef, opts: WatchOptions = {}): AsyncGenerator<WatchEvent> {
    return watchObjects(this.client, rt, opts);
  }
}

function writeQuery(opts: WriteOptions): Record<string, string | boolean | undefined> {
  return {
    dryRun: opts.dryRun ? 'All' : undefined,
    fieldManager: opts.fieldManager ?? 'skiff',
    force: opts.force,
  };
}

function patchRequest(
  rt: ResourceRef,
  target: PatchTarget,
  type: PatchType,
  patch: unknown,
  opts: WriteOptions,
): KubeRequest {
  return {
    method: 'PATCH',
    path: resourcePath(rt, target.namespace, target.name, target.subresource),
    query: writeQuery(opts),
    body: patch,
    contentType: PATCH_CONTENT_TYPES[type],
  };
}
