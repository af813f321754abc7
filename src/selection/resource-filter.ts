import { includesEverything, isExcluded, shouldInclude, type IncludesExcludes } from './includes-excludes.ts';

/**
 * Resolves the user's resource names (plural, singular, kind, short name, optionally
 * `.group`) to the `resource.group` form Velero filters on. Discovery is injected:
 * `(name) => discovery.resolve(name)` from `kube/discovery.ts` fits as is.
 */
export type ResourceResolver = (name: string) => { group: string; resource: string; namespaced?: boolean } | undefined;

/** A resolved include/exclude list of group-resources (`pods`, `deployments.apps`), globs allowed. */
export interface ResourceFilter extends IncludesExcludes {
  /** Names discovery did not know; kept as given (reference §3.2), so they still match literally or as globs. */
  readonly unresolved: readonly string[];
  /** Names dropped because they resolve to the other scope (scoped filters only). */
  readonly wrongScope: readonly string[];
}

export type Scope = 'namespaced' | 'cluster';

/** `deployments.apps`, or `pods` for the core group: the form used in filters and in the tarball. */
export function groupResourceString(gr: { group: string; resource: string }): string {
  return gr.group === '' ? gr.resource : `${gr.resource}.${gr.group}`;
}

/**
 * Builds a filter as Velero does (reference §3.2, "Names are resolved through
 * discovery"): `*` is kept; a resolvable name becomes its group-resource; an
 * unresolvable one is kept as given, never an error or a warning, so that an unknown
 * include cannot widen the filter to everything. With `scope`, a name that resolves
 * to the other scope is dropped (a cluster-scoped type named in a namespace-scoped
 * list selects nothing). A `*` in an old-style exclude list is dropped: validation has
 * already rejected it.
 */
export function resolveResourceFilter(
  includes: readonly string[] | null | undefined,
  excludes: readonly string[] | null | undefined,
  resolve: ResourceResolver,
  scope?: Scope,
): ResourceFilter {
  const unresolved: string[] = [];
  const wrongScope: string[] = [];
  const map = (name: string): string | undefined => {
    if (name === '*') return name;
    const hit = resolve(name);
    if (!hit) {
      unresolved.push(name);
      return name;
    }
    if (scope && hit.namespaced !== undefined && hit.namespaced !== (scope === 'namespaced')) {
      wrongScope.push(name);
      return undefined;
    }
    return groupResourceString(hit);
  };
  const mapAll = (list: readonly string[]): string[] => [
    ...new Set(list.map(map).filter((x): x is string => x !== undefined)),
  ];
  const exc = scope ? (excludes ?? []) : (excludes ?? []).filter((e) => e !== '*');
  return { includes: mapAll(includes ?? []), excludes: mapAll(exc), unresolved, wrongScope };
}

/** Whether a group-resource passes the filter: excludes win, empty includes or `*` mean all. */
export function includesResource(filter: IncludesExcludes, groupResource: string): boolean {
  return shouldInclude(filter, groupResource);
}

/** Whether an exclude entry (or a lone `*` in a scoped list) matches the group-resource. */
export function excludesResource(filter: IncludesExcludes, groupResource: string): boolean {
  return isExcluded(filter, groupResource);
}

export { includesEverything };
