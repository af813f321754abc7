import type { ResourceType } from '../../kube/resource.ts';

/** Core resources Velero backs up before every other core type (reference §3.3 step 3). */
const CORE_FIRST = ['pods', 'persistentvolumeclaims', 'persistentvolumes'];

/**
 * Types served under two groups are collected once, from the group seen first;
 * `extensions` is moved to the end so the modern group wins (reference §3.3 steps 2, 4).
 */
const COHABITING = new Map<string, string>([
  ['deployments', 'deployments'],
  ['daemonsets', 'daemonsets'],
  ['replicasets', 'replicasets'],
  ['networkpolicies', 'networkpolicies'],
  ['events', 'events'],
]);

/** Velero keeps only types that support list, create, get and delete (reference §3.3 step 1). */
const REQUIRED_VERBS = ['list', 'create', 'get', 'delete'];

/** The resource types a backup iterates over, in Velero's order. Pure. */
export function backupResourceOrder(preferred: readonly ResourceType[]): ResourceType[] {
  const usable = preferred.filter((rt) => REQUIRED_VERBS.every((v) => rt.verbs.includes(v)));
  const groups: string[] = [];
  for (const rt of usable) if (!groups.includes(rt.group)) groups.push(rt.group);
  const ordered = [...groups.filter((g) => g !== 'extensions'), ...groups.filter((g) => g === 'extensions')];
  const seenCohabiting = new Set<string>();
  const out: ResourceType[] = [];
  for (const g of ordered) {
    const members = usable.filter((rt) => rt.group === g);
    if (g === '') members.sort((a, b) => coreRank(a.resource) - coreRank(b.resource));
    for (const rt of members) {
      const cohabit = COHABITING.get(rt.resource);
      if (cohabit !== undefined) {
        if (seenCohabiting.has(cohabit)) continue;
        seenCohabiting.add(cohabit);
      }
      out.push(rt);
    }
  }
  return out;
}

function coreRank(resource: string): number {
  const i = CORE_FIRST.indexOf(resource);
  return i < 0 ? CORE_FIRST.length : i;
}
