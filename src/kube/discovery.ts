import type { KubeClient } from './client.ts';
import { errorMessage } from '../util/errors.ts';
import { groupResource, type ResourceType } from './resource.ts';

interface ApiResource {
  name: string;
  singularName?: string;
  namespaced: boolean;
  kind: string;
  verbs?: string[];
  shortNames?: string[];
}
interface ApiResourceList {
  groupVersion: string;
  resources: ApiResource[];
}
interface ApiGroup {
  name: string;
  versions: { groupVersion: string; version: string }[];
  preferredVersion?: { groupVersion: string; version: string };
}

export interface UnavailableGroupVersion {
  group: string;
  version: string;
  /** What discovery said, when it said anything (legacy discovery's error). */
  detail?: string;
}

/** `group/version` (`v1` for the core group). */
export function groupVersionText(gv: { group: string; version: string }): string {
  return gv.group === '' ? gv.version : `${gv.group}/${gv.version}`;
}

/** What the API server serves: every resource type of every version, and the preferred version of each group. */
export class Discovery {
  private readonly byName = new Map<string, ResourceType[]>();

  constructor(
    /** All served (group, version, resource) triples, preferred versions first. */
    readonly all: ResourceType[],
    /** Preferred version per group, keyed by group name ('' for core). */
    readonly preferredVersions: ReadonlyMap<string, string>,
    /**
     * Group-versions the API server lists but could not describe: an aggregated API whose
     * server does not answer (its APIService is not Available). Their types are not in `all`.
     */
    readonly unavailable: readonly UnavailableGroupVersion[] = [],
  ) {
    for (const rt of all) {
      const names = new Set([rt.resource, rt.kind.toLowerCase(), rt.singularName ?? '', ...(rt.shortNames ?? [])]);
      for (const n of names) {
        if (!n) continue;
        this.index(n, rt);
        this.index(`${n}.${rt.group}`, rt);
      }
    }
  }

  private index(key: string, rt: ResourceType): void {
    const list = this.byName.get(key);
    if (list) list.push(rt);
    else this.byName.set(key, [rt]);
  }

  /** Resource types in their group's preferred version (one entry per group+resource). */
  get preferred(): ResourceType[] {
    const seen = new Set<string>();
    const out: ResourceType[] = [];
    for (const rt of this.all) {
      const key = groupResource(rt);
      if (seen.has(key)) continue;
      if (
        this.preferredVersions.get(rt.group) !== rt.version &&
        this.all.some((o) => groupResource(o) === key && this.preferredVersions.get(o.group) === o.version)
      )
        continue;
      seen.add(key);
      out.push(rt);
    }
    return out;
  }

  /**
   * Resolves a user's resource name the way kubectl and Velero do: plural, singular,
   * kind or short name, optionally suffixed with `.group`. Core group wins ties
   * (as kubectl's RESTMapper prefers it). Returns the preferred version.
   */
  resolve(name: string): ResourceType | undefined {
    const candidates = this.byName.get(name.toLowerCase()) ?? [];
    if (candidates.length === 0) return undefined;
    const preferred = candidates.filter((rt) => this.preferredVersions.get(rt.group) === rt.version);
    const pool = preferred.length > 0 ? preferred : candidates;
    return pool.find((rt) => rt.group === '') ?? pool[0];
  }

  /** All versions of a group+resource (e.g. for `preferred-version` folders). */
  versionsOf(group: string, resource: string): ResourceType[] {
    return this.all.filter((rt) => rt.group === group && rt.resource === resource);
  }

  findByKind(apiVersion: string, kind: string): ResourceType | undefined {
    const slash = apiVersion.indexOf('/');
    const group = slash < 0 ? '' : apiVersion.slice(0, slash);
    const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
    return (
      this.all.find((rt) => rt.group === group && rt.version === version && rt.kind === kind) ??
      this.all.find((rt) => rt.group === group && rt.kind === kind && this.preferredVersions.get(group) === rt.version)
    );
  }
}

/**
 * Aggregated discovery (Kubernetes ≥ 1.26 beta, 1.30 GA): every group, version and resource
 * in two answers instead of one request per group-version. Older servers ignore the media
 * type parameters and answer with the classic lists, which `discover` then walks.
 */
const AGGREGATED_ACCEPT = [
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
  'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList',
  'application/json',
].join(',');

interface DiscoveryResource {
  resource: string;
  responseKind?: { kind?: string };
  scope: 'Namespaced' | 'Cluster';
  singularResource?: string;
  shortNames?: string[];
  verbs?: string[];
}
interface DiscoveryVersion {
  version: string;
  resources?: DiscoveryResource[];
  /** `Stale` when an aggregated API server did not answer: its resources cannot be listed now. */
  freshness?: string;
}
interface DiscoveryGroup {
  metadata?: { name?: string };
  /** In preference order: the first is the group's preferred version. */
  versions?: DiscoveryVersion[];
}
interface AggregatedList {
  kind?: string;
  items?: DiscoveryGroup[];
}

export async function discover(client: KubeClient): Promise<Discovery> {
  const [core, groups] = await Promise.all([
    client.request<AggregatedList & { versions?: string[] }>({
      method: 'GET',
      path: '/api',
      accept: AGGREGATED_ACCEPT,
    }),
    client.request<AggregatedList & { groups?: ApiGroup[] }>({
      method: 'GET',
      path: '/apis',
      accept: AGGREGATED_ACCEPT,
    }),
  ]);
  if (core.kind === 'APIGroupDiscoveryList' && groups.kind === 'APIGroupDiscoveryList') {
    return fromAggregated([...(core.items ?? []), ...(groups.items ?? [])]);
  }
  return discoverLegacy(client, core.versions ?? [], groups.groups ?? []);
}

function fromAggregated(groups: DiscoveryGroup[]): Discovery {
  const preferred = new Map<string, string>();
  const all: ResourceType[] = [];
  const unavailable: UnavailableGroupVersion[] = [];
  for (const g of groups) {
    const group = g.metadata?.name ?? '';
    const versions = g.versions ?? [];
    const first = versions[0];
    if (first) preferred.set(group, first.version);
    for (const v of versions) {
      if (v.freshness === 'Stale') {
        // Its resources may be listed from an old answer, but cannot be read now.
        unavailable.push({ group, version: v.version });
        continue;
      }
      for (const r of v.resources ?? []) {
        const verbs = r.verbs ?? [];
        if (!verbs.includes('list') || !r.responseKind?.kind) continue;
        all.push(
          resourceType({ group, version: v.version }, r.resource, r.responseKind.kind, r.scope === 'Namespaced', {
            verbs,
            shortNames: r.shortNames,
            singularName: r.singularResource,
          }),
        );
      }
    }
  }
  return new Discovery(all, preferred, unavailable);
}

async function discoverLegacy(client: KubeClient, coreVersions: string[], groups: ApiGroup[]): Promise<Discovery> {
  const preferred = new Map<string, string>([['', coreVersions[0] ?? 'v1']]);
  const gvs: { group: string; version: string; path: string }[] = coreVersions.map((v) => ({
    group: '',
    version: v,
    path: `/api/${v}`,
  }));
  for (const g of groups) {
    preferred.set(g.name, g.preferredVersion?.version ?? g.versions[0]?.version ?? '');
    // Preferred version first so that `all` lists it before older ones.
    const versions = [...g.versions].sort(
      (a, b) => Number(b.version === g.preferredVersion?.version) - Number(a.version === g.preferredVersion?.version),
    );
    for (const v of versions) gvs.push({ group: g.name, version: v.version, path: `/apis/${v.groupVersion}` });
  }
  const lists = await Promise.all(
    gvs.map(async (gv) => {
      try {
        return { gv, list: await client.request<ApiResourceList>({ method: 'GET', path: gv.path }) };
      } catch (err) {
        // An unavailable aggregated API (its backing service is down) must not stop discovery
        // of the rest; it is named, so that a backup can say what it could not take.
        return { gv, list: { groupVersion: gv.path, resources: [] }, error: errorMessage(err) };
      }
    }),
  );
  const all: ResourceType[] = [];
  const unavailable: UnavailableGroupVersion[] = [];
  for (const { gv, list, error } of lists) {
    if (error !== undefined) unavailable.push({ group: gv.group, version: gv.version, detail: error });
    for (const r of list.resources) {
      if (r.name.includes('/')) continue; // subresources
      if (!(r.verbs ?? []).includes('list')) continue;
      all.push(
        resourceType(gv, r.name, r.kind, r.namespaced, {
          verbs: r.verbs ?? [],
          shortNames: r.shortNames,
          singularName: r.singularName,
        }),
      );
    }
  }
  return new Discovery(all, preferred, unavailable);
}

/** One discovered type, in the shape both discovery formats are read into. */
function resourceType(
  gv: { group: string; version: string },
  resource: string,
  kind: string,
  namespaced: boolean,
  names: { verbs: string[]; shortNames?: string[] | undefined; singularName?: string | undefined },
): ResourceType {
  return {
    group: gv.group,
    version: gv.version,
    resource,
    kind,
    namespaced,
    verbs: names.verbs,
    ...(names.shortNames ? { shortNames: names.shortNames } : {}),
    ...(names.singularName ? { singularName: names.singularName } : {}),
  };
}
