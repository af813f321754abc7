import { isRecord } from '../../kube/object.ts';

const KNOWN = new Set([
  'requester',
  'backupRef',
  'includedResources',
  'excludedResources',
  'labelSelector',
  'existingResourcePolicy',
  'restorePVs',
]);

/**
 * Kinds a tenant restore leaves out unless `includedResources` names them: their controllers
 * write them again (a StatefulSet's or DaemonSet's revisions), and the namespace `admin` role
 * may not create them, so restoring them as the tenant could only fail.
 */
export const CONTROLLER_WRITTEN = [{ resource: 'controllerrevisions.apps', gvk: 'apps/v1/ControllerRevision' }];

/**
 * The velero.io Restore spec a TenantRestore runs as (pure): only the source namespace, mapped to
 * the TenantRestore's namespace, never cluster-scoped resources. Unknown fields are named.
 */
export function planTenantRestore(
  spec: Record<string, unknown>,
  target: string,
  backupName: string,
): { errors: string[] } | { ref: { namespace: string; name: string }; veleroSpec: Record<string, unknown> } {
  const errors: string[] = [];
  for (const key of Object.keys(spec)) {
    if (!KNOWN.has(key)) errors.push(`spec.${key} is not a TenantRestore field this server acts on`);
  }
  const ref = isRecord(spec.backupRef) ? spec.backupRef : {};
  const namespace = typeof ref.namespace === 'string' && ref.namespace !== '' ? ref.namespace : target;
  if (typeof ref.name !== 'string' || ref.name === '') errors.push('spec.backupRef.name is required');
  const policy = spec.existingResourcePolicy;
  if (policy !== undefined && policy !== 'none' && policy !== 'update') {
    errors.push(`spec.existingResourcePolicy ${JSON.stringify(policy)} is not none or update`);
  }
  if (errors.length > 0) return { errors };
  const veleroSpec: Record<string, unknown> = {
    backupName,
    includedNamespaces: [namespace],
    includeClusterResources: false,
    ...(namespace !== target ? { namespaceMapping: { [namespace]: target } } : {}),
  };
  for (const f of ['includedResources', 'excludedResources', 'labelSelector', 'existingResourcePolicy', 'restorePVs']) {
    if (spec[f] !== undefined) veleroSpec[f] = spec[f];
  }
  const leftOut = controllerWrittenLeftOut(spec);
  if (leftOut.length > 0) {
    const excluded = Array.isArray(spec.excludedResources) ? (spec.excludedResources as unknown[]) : [];
    veleroSpec.excludedResources = [...excluded, ...leftOut.map((k) => k.resource)];
  }
  return { ref: { namespace, name: ref.name as string }, veleroSpec };
}

/** The controller-written kinds this TenantRestore leaves out: those `includedResources` does not name. */
export function controllerWrittenLeftOut(spec: Record<string, unknown>): typeof CONTROLLER_WRITTEN {
  const included = Array.isArray(spec.includedResources) ? spec.includedResources : [];
  return CONTROLLER_WRITTEN.filter((k) => !included.some((r) => r === k.resource || r === k.resource.split('.')[0]));
}

/** The entries of a backup's resource list whose group/version/kind is one of `gvks`. */
export function itemsOfKinds(resourceList: unknown, gvks: string[]): { kind: string; name: string }[] {
  if (!isRecord(resourceList)) return [];
  const out: { kind: string; name: string }[] = [];
  for (const gvk of gvks) {
    const names = resourceList[gvk];
    if (!Array.isArray(names)) continue;
    const kind = gvk.split('/').pop() ?? gvk;
    for (const n of names) if (typeof n === 'string') out.push({ kind, name: n });
  }
  return out;
}

/** The cluster-scoped entries of a backup's resource list (`{"<gvk>": ["ns/name" | "name"]}`). */
export function clusterScopedItems(resourceList: unknown): { kind: string; name: string }[] {
  if (!isRecord(resourceList)) return [];
  const out: { kind: string; name: string }[] = [];
  for (const [gvk, names] of Object.entries(resourceList)) {
    if (!Array.isArray(names)) continue;
    const kind = gvk.split('/').pop() ?? gvk;
    for (const n of names) if (typeof n === 'string' && !n.includes('/')) out.push({ kind, name: n });
  }
  return out;
}
