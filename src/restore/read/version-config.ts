import { Names } from '../../api/labels.ts';
import type { Cluster } from '../../kube/cluster.ts';
import type { Discovery } from '../../kube/discovery.ts';
import { isRecord } from '../../kube/object.ts';
import { splitGroupResource } from '../../archive/index.ts';
import {
  parseVersionPriorities,
  VersionPriority,
  versionedCopyChooser,
  type CopyChooser,
  type TargetVersions,
} from './version-choice.ts';

const CONFIG_MAPS = { group: '', version: 'v1', resource: 'configmaps' };

/** The copy chooser of a restore under EnableAPIGroupVersions, and the problems of the user's ConfigMap. */
export interface VersionedCopies {
  copies: CopyChooser;
  /** Lines of the ConfigMap that are not used, each named: the restore reports them as warnings. */
  warnings: string[];
}

/**
 * Reads what the version order needs (reference §2.4): the target cluster's served and
 * preferred versions from discovery, and the user's priority from ConfigMap
 * `enableapigroupversions`, key `restoreResourcesVersionPriority`, in the install namespace.
 */
export async function versionedCopies(
  cluster: Cluster,
  discovery: Discovery,
  namespace: string,
): Promise<VersionedCopies> {
  const cm = await cluster.find(CONFIG_MAPS, Names.EnableAPIGroupVersionsConfigMap, namespace);
  const where = `ConfigMap ${namespace}/${Names.EnableAPIGroupVersionsConfigMap}`;
  const data = cm && isRecord(cm.data) ? cm.data : undefined;
  const text = data?.[Names.EnableAPIGroupVersionsConfigMapKey];
  const warnings: string[] = [];
  let user = new Map<string, string[]>();
  if (cm && typeof text !== 'string') {
    warnings.push(`${where} has no key ${Names.EnableAPIGroupVersionsConfigMapKey}; no user version priority is used`);
  } else if (typeof text === 'string') {
    const parsed = parseVersionPriorities(text);
    user = parsed.priorities;
    for (const p of parsed.problems) warnings.push(`${where}, key ${Names.EnableAPIGroupVersionsConfigMapKey}: ${p}`);
  }
  const priority = new VersionPriority((gr) => targetVersions(discovery, gr), user);
  return { copies: versionedCopyChooser(priority), warnings };
}

function targetVersions(discovery: Discovery, gr: string): TargetVersions {
  const { group, resource } = splitGroupResource(gr);
  return {
    served: discovery.versionsOf(group, resource).map((rt) => rt.version),
    preferred: discovery.preferredVersions.get(group),
  };
}
