/**
 * `spec.orderedResources`: plural resource name → comma-separated `ns/name` (or `name`
 * for cluster-scoped objects); those objects are written first, in that order
 * (reference §1.1, §3.3 step 6). A key or an entry that orders nothing is warned about, as
 * Velero does for a name it does not find: an accepted field is never silently ignored.
 */
import { groupResource, type ResourceType } from '../../kube/resource.ts';

export function parseOrderedResources(spec: Record<string, string> | null | undefined): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [resource, list] of Object.entries(spec ?? {})) {
    const names = list
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (names.length > 0) out.set(resource, names);
  }
  return out;
}

/** The key an ordered entry is matched by: `ns/name` or `name`. */
export function orderKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

export interface OrderedKeyContext {
  /** The served resource types. */
  served: readonly ResourceType[];
  /** Plural names of the types the backup lists. */
  listed: ReadonlySet<string>;
  /** Why a served type is not listed, by group-resource. */
  skipped: ReadonlyMap<string, string>;
  /** Any name a user may give a type (kind, short name, `resource.group`), for a suggestion. */
  resolve: (name: string) => ResourceType | undefined;
}

/**
 * Keys that order nothing: one no served type has as its plural name (Velero matches the key
 * against the plural name alone, so `Deployment` or `deployments.apps` order nothing), and one
 * whose type the backup does not list.
 */
export function orderedKeyWarnings(ordered: ReadonlyMap<string, readonly string[]>, ctx: OrderedKeyContext): string[] {
  const out: string[] = [];
  for (const key of ordered.keys()) {
    const types = ctx.served.filter((t) => t.resource === key);
    if (types.length === 0) {
      const meant = ctx.resolve(key)?.resource;
      const use = meant !== undefined && meant !== key ? `use "${meant}"` : 'e.g. "deployments"';
      out.push(
        `spec.orderedResources key "${key}" is not the plural name of a resource this cluster serves: keys are plural ` +
          `resource names without a group (${use}); nothing is ordered for it`,
      );
    } else if (!types.some((t) => ctx.listed.has(t.resource))) {
      const reasons = types.map((t) => ctx.skipped.get(groupResource(t)) ?? 'not listed').join('; ');
      out.push(
        `spec.orderedResources key "${key}": the backup does not list ${key} (${reasons}); nothing is ordered for it`,
      );
    }
  }
  return out;
}

/**
 * The ordered entries of a resource that no listing of it returned, across the types that
 * share its plural name. Only names are kept, never the objects. A resource whose listing
 * failed is left out: the failure is already an error, and its names may well exist.
 */
export class OrderedEntriesSeen {
  private readonly found = new Map<string, { namespaced: boolean; keys: Set<string> }>();
  private readonly failed = new Set<string>();

  constructor(private readonly ordered: ReadonlyMap<string, readonly string[]>) {}

  /** An ordered type was listed in full; `found` holds its entries that matched an object. */
  listed(type: Pick<ResourceType, 'resource' | 'namespaced'>, found: Iterable<string>): void {
    const seen = this.found.get(type.resource) ?? { namespaced: type.namespaced, keys: new Set<string>() };
    for (const key of found) seen.keys.add(key);
    this.found.set(type.resource, seen);
  }

  listFailed(resource: string): void {
    this.failed.add(resource);
  }

  /** One warning per entry not found (reference §3.3 step 6), naming the resource and the entry. */
  notFoundWarnings(): string[] {
    const out: string[] = [];
    // In the spec's order: the lists end in whatever order the API server answers them.
    for (const [resource, entries] of this.ordered) {
      const seen = this.found.get(resource);
      if (!seen || this.failed.has(resource)) continue;
      for (const entry of entries)
        if (!seen.keys.has(entry)) out.push(notFoundWarning(resource, entry, seen.namespaced));
    }
    return out;
  }
}

function notFoundWarning(resource: string, entry: string, namespaced: boolean): string {
  let form = '';
  if (namespaced && !entry.includes('/')) form = `: ${resource} are namespaced, give them as namespace/name`;
  else if (!namespaced && entry.includes('/')) form = `: ${resource} are cluster-scoped, give them by name alone`;
  return (
    `spec.orderedResources ${resource} entry "${entry}" matches no listed object ` +
    `(not in the cluster, or outside the backup's namespaces or label selector)${form}; it is not ordered`
  );
}
