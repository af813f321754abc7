/**
 * The executor of the application detector (plan/app-cluster-resources.ts): lists the
 * cluster-scoped candidates it asks for and hands back what it finds, with the objects.
 * Reads, never writes; lists are made once per backup whatever the number of rounds.
 */
import { KubeApiError } from '../../kube/errors.ts';
import type { KubeObject } from '../../kube/object.ts';
import { groupResource, type ResourceType } from '../../kube/resource.ts';
import { wholeObject } from '../../kube/served-list.ts';
import { errorMessage } from '../../util/errors.ts';
import {
  appLookups,
  findAppClusterResources,
  type AppClusterResource,
  type AppFacts,
  type AppLookup,
} from '../plan/app-cluster-resources.ts';
import type { ItemSource } from './item-source.ts';

export interface FoundAppResource {
  found: AppClusterResource;
  type: ResourceType;
  item: KubeObject;
}

export interface AppLookupDeps {
  source: ItemSource;
  candidateTypes: readonly ResourceType[];
  /** Whole lists shared with the rest of the collector (the CRD list is read once per backup). */
  listWhole: (group: string, resource: string) => Promise<KubeObject[]>;
}

export class AppResourceFinder {
  private readonly types = new Map<string, ResourceType>();
  private readonly selected = new Map<string, Promise<KubeObject[]>>();
  /** Lookups that failed, so that a failure is reported once, not once per round. */
  private readonly failed = new Set<string>();

  constructor(private readonly deps: AppLookupDeps) {
    for (const type of deps.candidateTypes) this.types.set(groupResource(type), type);
  }

  /** What the facts collected so far point at, and the lists that could not be read. */
  async find(facts: AppFacts): Promise<{ found: FoundAppResource[]; problems: string[] }> {
    const candidates: { groupResource: string; item: KubeObject }[] = [];
    const problems: string[] = [];
    const forbidden = new Set<string>();
    for (const lookup of appLookups(facts, [...this.types.keys()])) {
      const key = `${lookup.groupResource}?${lookup.labelSelector ?? ''}`;
      if (this.failed.has(key)) continue;
      try {
        for (const item of await this.list(lookup)) candidates.push({ groupResource: lookup.groupResource, item });
      } catch (err) {
        this.failed.add(key);
        // A least-privilege server may list none of these kinds: one warning for all of them.
        if (err instanceof KubeApiError && err.forbidden) forbidden.add(lookup.groupResource);
        else {
          const how = lookup.labelSelector ? ` with label selector ${lookup.labelSelector}` : '';
          problems.push(
            `cannot look for the application's ${lookup.groupResource}${how}: ${errorMessage(err)}; those it uses may be missing from the backup`,
          );
        }
      }
    }
    if (forbidden.size > 0) {
      problems.push(
        `the server may not list ${[...forbidden].sort().join(', ')} (forbidden), so the ones the application uses may be missing from the backup unnamed; grant get and list on them to have them found`,
      );
    }
    const found: FoundAppResource[] = [];
    const byKey = new Map(candidates.map((c) => [`${c.groupResource}/${c.item.metadata.name ?? ''}`, c.item]));
    for (const f of findAppClusterResources(facts, candidates)) {
      const type = this.types.get(f.groupResource);
      const item = byKey.get(`${f.groupResource}/${f.name}`);
      if (type && item) found.push({ found: f, type, item });
    }
    return { found, problems };
  }

  private list(lookup: AppLookup): Promise<KubeObject[]> {
    const type = this.types.get(lookup.groupResource);
    if (!type) return Promise.resolve([]);
    if (lookup.labelSelector === undefined) return this.deps.listWhole(type.group, type.resource);
    const key = `${lookup.groupResource}?${lookup.labelSelector}`;
    let p = this.selected.get(key);
    if (!p) {
      p = (async () => {
        const out: KubeObject[] = [];
        for await (const page of this.deps.source.list(type, { labelSelector: lookup.labelSelector }))
          out.push(...page.map(wholeObject));
        return out;
      })();
      p.catch(() => undefined);
      this.selected.set(key, p);
    }
    return p;
  }
}
