import { ValidationError } from '../../util/errors.ts';

/** `--restore-resource-priorities`: types restored first, in order, and types restored last (reference §4.2). */
export interface RestorePriorities {
  high: readonly string[];
  low: readonly string[];
}

/** Velero's defaults, from its code (reference §4.2; the docs page shows an older list). */
export const DEFAULT_RESTORE_PRIORITIES: RestorePriorities = {
  high: [
    'customresourcedefinitions',
    'namespaces',
    'storageclasses',
    'volumesnapshotclass.snapshot.storage.k8s.io',
    'volumesnapshotcontents.snapshot.storage.k8s.io',
    'volumesnapshots.snapshot.storage.k8s.io',
    'datauploads.velero.io',
    'persistentvolumes',
    'persistentvolumeclaims',
    'clusterroles',
    'roles',
    'serviceaccounts',
    'clusterrolebindings',
    'rolebindings',
    'secrets',
    'configmaps',
    'limitranges',
    'priorityclasses',
    'pods',
    'replicasets.apps',
    'clusterclasses.cluster.x-k8s.io',
    'endpoints',
    'services',
  ],
  low: [
    'clusterbootstraps.run.tanzu.vmware.com',
    'clusters.cluster.x-k8s.io',
    'clusterresourcesets.addons.cluster.x-k8s.io',
    'apps.kappctrl.k14s.io',
    'packageinstalls.packaging.carvel.dev',
  ],
};

/** Parses the server flag's format: a comma list where a lone `-` separates the high list from the low list. */
export function parseRestorePriorities(flag: string): RestorePriorities {
  const names = flag
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const dash = names.indexOf('-');
  if (dash >= 0 && names.indexOf('-', dash + 1) >= 0) {
    throw new ValidationError(`--restore-resource-priorities has more than one "-" separator: ${JSON.stringify(flag)}`);
  }
  return dash < 0 ? { high: names, low: [] } : { high: names.slice(0, dash), low: names.slice(dash + 1) };
}

export const CRD_GROUP_RESOURCE = 'customresourcedefinitions.apiextensions.k8s.io';
export const NAMESPACES_GROUP_RESOURCE = 'namespaces';

/**
 * Types Skiff restores after everything else, the low priorities included: admission
 * webhook configurations and APIServices. Each sends API requests to a Service of the
 * restore; created before that Service has a ready backend, a webhook can reject (or, with
 * `failurePolicy: Ignore`, slow down) every later write, and an unavailable APIService breaks
 * discovery and namespace deletion. Velero has no such rule (reference §4.2: they fall into
 * the alphabetical rest); when `--restore-resource-priorities` names one of them, the list
 * decides its place instead. APIServices go first, then mutating before validating, the
 * order in which the API server calls them.
 */
export const BACKEND_LAST_RESOURCES = [
  'apiservices.apiregistration.k8s.io',
  'mutatingwebhookconfigurations.admissionregistration.k8s.io',
  'validatingwebhookconfigurations.admissionregistration.k8s.io',
] as const;

/** One step of the restore order: a single prioritised type, or the alphabetical rest. */
export interface ResourceGroup {
  resources: string[];
}

/**
 * The order in which the backup's resource folders are restored (reference §4.2): CRDs
 * first (pass 1), then the high priorities one type at a time, then every other folder
 * (alphabetical, restored together), then the low priorities one at a time, then the
 * `BACKEND_LAST_RESOURCES` the priorities do not name, one at a time. Priority
 * names are resolved to folder names (`customresourcedefinitions` →
 * `customresourcedefinitions.apiextensions.k8s.io`); unresolvable ones are kept as given.
 * `namespaces` never appears: namespaces are ensured by their own tier.
 */
export function orderResourceGroups(
  backupResources: Iterable<string>,
  priorities: RestorePriorities,
  resolve: (name: string) => string | undefined,
): ResourceGroup[] {
  const present = new Set(backupResources);
  present.delete(NAMESPACES_GROUP_RESOURCE);
  const done = new Set<string>();
  const take = (name: string): ResourceGroup[] => {
    const gr = resolve(name) ?? name;
    if (!present.has(gr) || done.has(gr)) return [];
    done.add(gr);
    return [{ resources: [gr] }];
  };
  const groups = take(CRD_GROUP_RESOURCE);
  for (const name of priorities.high) groups.push(...take(name));
  const lowNames = new Set(priorities.low.map((n) => resolve(n) ?? n));
  const named = new Set([...priorities.high, ...priorities.low].map((n) => resolve(n) ?? n));
  const last = BACKEND_LAST_RESOURCES.filter((gr) => !named.has(gr));
  const rest = [...present]
    .filter((gr) => !done.has(gr) && !lowNames.has(gr) && !(last as readonly string[]).includes(gr))
    .sort();
  if (rest.length > 0) groups.push({ resources: rest });
  for (const gr of rest) done.add(gr);
  for (const name of priorities.low) groups.push(...take(name));
  for (const gr of last) groups.push(...take(gr));
  return groups;
}
