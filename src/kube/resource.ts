/** A resource type as the API server serves it (one entry of discovery). */
export interface ResourceType {
  group: string;
  version: string;
  /** Plural lower-case name used in URLs, e.g. `deployments`. */
  resource: string;
  kind: string;
  namespaced: boolean;
  verbs: string[];
  shortNames?: string[];
  singularName?: string;
}

export interface ResourceRef {
  group: string;
  version: string;
  resource: string;
}

export function apiVersionOf(rt: { group: string; version: string }): string {
  return rt.group === '' ? rt.version : `${rt.group}/${rt.version}`;
}

/** `deployments.apps`, `pods` (core group has no suffix): the name Velero uses for resource folders and filters. */
export function groupResource(rt: { group: string; resource: string }): string {
  return rt.group === '' ? rt.resource : `${rt.resource}.${rt.group}`;
}

/** URL path of a collection or a single object, optionally a subresource. */
export function resourcePath(rt: ResourceRef, namespace?: string, name?: string, subresource?: string): string {
  const base = rt.group === '' ? `/api/${rt.version}` : `/apis/${rt.group}/${rt.version}`;
  let path = base;
  if (namespace) path += `/namespaces/${encodeURIComponent(namespace)}`;
  path += `/${rt.resource}`;
  if (name) path += `/${encodeURIComponent(name)}`;
  if (subresource) path += `/${subresource}`;
  return path;
}

/** The resource type a URL path (as `resourcePath` builds it) addresses; undefined for other paths. */
export function resourceOfPath(path: string): ResourceRef | undefined {
  const m = /^\/(?:api\/([^/]+)|apis\/([^/]+)\/([^/]+))(?:\/namespaces\/[^/]+)?\/([^/?]+)/.exec(path);
  if (!m) return undefined;
  const [, coreVersion, group, version, resource] = m;
  if (resource === undefined) return undefined;
  return coreVersion !== undefined
    ? { group: '', version: coreVersion, resource }
    : { group: group ?? '', version: version ?? '', resource };
}
