import { groupVersionText, type Discovery } from '../../kube/discovery.ts';
import { splitApiVersion, type KubeObject } from '../../kube/object.ts';
import { groupResource, type ResourceType } from '../../kube/resource.ts';
import { asArray, asRecord, getPath } from '../actions/types.ts';

export type TypeLookup = { type: ResourceType } | { error: string };

/**
 * The target cluster's resource types, plus those the backup's own CRDs will add once
 * restored (reference §4.2: CRDs go first, then discovery is refreshed). Planning sees
 * both, so a custom resource is planned against the CRD that will be created before it.
 */
export class TargetTypes {
  private readonly fromCrds: ResourceType[] = [];
  /**
   * `forItem`'s answers by folder and apiVersion: a restore asks twice per item (the census and
   * the plan), and a backup holds few distinct triples, so the scan of every discovered type and
   * its temporary strings are paid once per triple, not per item.
   */
  private readonly lookups = new Map<string, TypeLookup>();

  constructor(
    private readonly discovery: Discovery,
    backupCrds: readonly KubeObject[],
  ) {
    for (const crd of backupCrds) this.fromCrds.push(...typesOfCrd(crd));
  }

  /** The folder name (`deployments.apps`) for a user's resource name, via discovery. */
  resolveName(name: string): string | undefined {
    const rt = this.discovery.resolve(name);
    return rt ? groupResource(rt) : undefined;
  }

  /** Discovery's resolver, for the selection filters. */
  resolve(name: string): ResourceType | undefined {
    return this.discovery.resolve(name);
  }

  /** The type to restore an item into: same group and resource, at the object's own version. */
  forItem(group: string, resource: string, apiVersion: string): TypeLookup {
    const key = `${group}\u0000${resource}\u0000${apiVersion}`;
    let lookup = this.lookups.get(key);
    if (!lookup) this.lookups.set(key, (lookup = this.lookUp(group, resource, apiVersion)));
    return lookup;
  }

  private lookUp(group: string, resource: string, apiVersion: string): TypeLookup {
    const { group: objGroup, version } = splitApiVersion(apiVersion);
    const gr = groupResource({ group, resource });
    if (objGroup !== group) {
      return { error: `item in folder ${gr} has apiVersion ${apiVersion}, which is not in group "${group}"` };
    }
    const same = (rt: ResourceType): boolean => rt.group === group && rt.resource === resource;
    const hit =
      this.discovery.all.find((rt) => same(rt) && rt.version === version) ??
      this.fromCrds.find((rt) => same(rt) && rt.version === version);
    if (hit) return { type: hit };
    const served = [...this.discovery.versionsOf(group, resource), ...this.fromCrds.filter(same)].map(
      (rt) => rt.version,
    );
    if (served.length > 0) {
      return { error: `the target cluster serves ${gr} at ${served.join(', ')}, not at ${version}` };
    }
    // An aggregated API whose server does not answer: its types are unknown until it does.
    const down = this.discovery.unavailable.find((gv) => gv.group === group);
    if (down) {
      return {
        error: `API group ${groupVersionText(down)} of the target cluster is unavailable (its APIService ${down.version}.${group} does not answer discovery), so ${gr} cannot be restored now`,
      };
    }
    return { error: `the target cluster does not serve ${gr} and the backup holds no CRD for it` };
  }
}

/** The types a CRD object defines: one per served version. */
export function typesOfCrd(crd: KubeObject): ResourceType[] {
  const group = getPath(crd, 'spec', 'group');
  const plural = getPath(crd, 'spec', 'names', 'plural');
  const kind = getPath(crd, 'spec', 'names', 'kind');
  if (typeof group !== 'string' || typeof plural !== 'string' || typeof kind !== 'string') return [];
  const namespaced = getPath(crd, 'spec', 'scope') !== 'Cluster';
  const versions = asArray(getPath(crd, 'spec', 'versions'))
    .map(asRecord)
    .filter((v) => v?.served !== false && typeof v?.name === 'string')
    .map((v) => String(v?.name));
  const legacy = getPath(crd, 'spec', 'version');
  if (versions.length === 0 && typeof legacy === 'string') versions.push(legacy);
  return versions.map((version) => ({ group, version, resource: plural, kind, namespaced, verbs: [] }));
}
