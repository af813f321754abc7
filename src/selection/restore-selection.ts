import {
  includesEverything,
  includesExcludes,
  matchingEntry,
  shouldInclude,
  validateIncludesExcludes,
  validateNamespaceIncludesExcludes,
  type IncludesExcludes,
} from './includes-excludes.ts';
import { labelSelectorFromObject, type LabelSelectorObject } from './label-selector.ts';
import { selectorErrors } from './backup-selection.ts';
import {
  firstReason,
  labelSelectionReason,
  type Decision,
  type LabelSelection,
  type Predicate,
  type SelectionItem,
} from './item.ts';
import { resolveResourceFilter, type ResourceFilter, type ResourceResolver } from './resource-filter.ts';

/** The Restore spec fields selection reads (reference §1.2). */
export interface RestoreSelectionSpec {
  includedNamespaces?: string[] | null;
  excludedNamespaces?: string[] | null;
  includedResources?: string[] | null;
  excludedResources?: string[] | null;
  includeClusterResources?: boolean | null;
  namespaceMapping?: Record<string, string> | null;
  labelSelector?: LabelSelectorObject | null;
  orLabelSelectors?: LabelSelectorObject[] | null;
  restoreStatus?: { includedResources?: string[] | null; excludedResources?: string[] | null } | null;
}

/** Never restored: appended to the excludes, and a validation error when named in the includes (reference §4.1 step 2). */
export const NON_RESTORABLE_RESOURCES = [
  'nodes',
  'events',
  'events.events.k8s.io',
  'backups.velero.io',
  'restores.velero.io',
  'resticrepositories.velero.io',
  'csinodes.storage.k8s.io',
  'volumeattachments.storage.k8s.io',
  'backuprepositories.velero.io',
  // Skiff's own operation records, for the reason Velero leaves out backups and restores: a restored
  // TenantRestore would run again, and a TenantBackup names a requester who is not the one restoring.
  'tenantbackups.tenant.skiff.dev',
  'tenantrestores.tenant.skiff.dev',
] as const;

/** Bypass the resource, namespace and label filters (reference §4.2). */
export const MUST_HAVE_RESOURCES = ['datauploads.velero.io', 'volumesnapshotcontents.snapshot.storage.k8s.io'] as const;

/** Per-object override of `restoreStatus` (Appendix A, 1.16+). */
export const RESTORE_STATUS_ANNOTATION = 'velero.io/restore-status';

export interface RestoreSelection extends LabelSelection {
  readonly namespaces: IncludesExcludes;
  /** The user's resource filter with the non-restorable resources appended to the excludes. */
  readonly resources: ResourceFilter;
  readonly includeClusterResources: boolean | undefined;
  readonly namespaceMapping: Readonly<Record<string, string>>;
  /** undefined when `restoreStatus` is unset: no status is restored. */
  readonly statusResources: ResourceFilter | undefined;
}

/** Validation messages for the selection fields, as Velero's restore controller words them (reference §1.2). */
export function validateRestoreSelection(spec: RestoreSelectionSpec): string[] {
  const errs: string[] = [];
  for (const e of validateIncludesExcludes(spec.includedResources, spec.excludedResources)) {
    errs.push(`Invalid included/excluded resource lists: ${e}`);
  }
  const included = new Set(spec.includedResources ?? []);
  for (const r of NON_RESTORABLE_RESOURCES) {
    if (included.has(r)) errs.push(`${r} are non-restorable resources`);
  }
  for (const e of validateNamespaceIncludesExcludes(spec.includedNamespaces, spec.excludedNamespaces)) {
    errs.push(`Invalid included/excluded namespace lists: ${e}`);
  }
  if (spec.orLabelSelectors != null && spec.labelSelector != null) {
    errs.push('encountered labelSelector as well as orLabelSelectors in restore spec, only one can be specified');
  }
  errs.push(...selectorErrors(spec));
  return errs;
}

/** Resolves a valid spec against the target cluster's discovery. Unknown names are kept as given. */
export function resolveRestoreSelection(spec: RestoreSelectionSpec, resolve: ResourceResolver): RestoreSelection {
  const excluded = [...(spec.excludedResources ?? []), ...NON_RESTORABLE_RESOURCES];
  const status = spec.restoreStatus;
  return {
    namespaces: includesExcludes(spec.includedNamespaces, spec.excludedNamespaces),
    resources: resolveResourceFilter(spec.includedResources, excluded, resolve),
    includeClusterResources: spec.includeClusterResources ?? undefined,
    namespaceMapping: spec.namespaceMapping ?? {},
    ...(spec.labelSelector ? { labelSelector: labelSelectorFromObject(spec.labelSelector) } : {}),
    orLabelSelectors: (spec.orLabelSelectors ?? []).map(labelSelectorFromObject),
    statusResources: status
      ? resolveResourceFilter(status.includedResources, status.excludedResources, resolve)
      : undefined,
  };
}

/** Target namespace: the mapped one, or the source namespace when unmapped (reference §4.3). */
export function mapNamespace(
  spec: { namespaceMapping?: Record<string, string> | null },
  sourceNamespace: string,
): string {
  const mapping = spec.namespaceMapping ?? {};
  return Object.hasOwn(mapping, sourceNamespace) ? (mapping[sourceNamespace] ?? sourceNamespace) : sourceNamespace;
}

export function isMustHave(groupResource: string): boolean {
  return (MUST_HAVE_RESOURCES as readonly string[]).includes(groupResource);
}

/** The type is excluded by the resource filter (or is non-restorable). Filters use the backup's group-resource. */
export const excludedRestoreResource: Predicate<RestoreSelection> = (selection, item) => {
  const gr = item.groupResource;
  if ((NON_RESTORABLE_RESOURCES as readonly string[]).includes(gr)) return `resource ${gr} is never restored`;
  const exc = matchingEntry(selection.resources.excludes, gr);
  if (exc !== undefined) return `resource ${gr} is excluded by spec.excludedResources (${exc})`;
  return shouldInclude(selection.resources, gr) ? null : `resource ${gr} is not in spec.includedResources`;
};

/** Namespaced items are filtered on their source namespace, before mapping (reference §4.3). */
export const excludedRestoreNamespace: Predicate<RestoreSelection> = (selection, item) => {
  const ns = item.namespace ?? '';
  if (ns === '') return null;
  const exc = matchingEntry(selection.namespaces.excludes, ns);
  if (exc !== undefined) return `namespace ${ns} is excluded by spec.excludedNamespaces (${exc})`;
  return shouldInclude(selection.namespaces, ns) ? null : `namespace ${ns} is not in spec.includedNamespaces`;
};

/**
 * Cluster-scoped items: skipped when includeClusterResources=false; when unset, skipped
 * unless the namespace filter includes everything (reference §4.3).
 */
export const excludedClusterScopedForRestore: Predicate<RestoreSelection> = (selection, item) => {
  if ((item.namespace ?? '') !== '') return null;
  if (selection.includeClusterResources === false) {
    return `cluster-scoped ${item.groupResource} is not restored because spec.includeClusterResources is false`;
  }
  if (selection.includeClusterResources === undefined && !includesEverything(selection.namespaces)) {
    return `cluster-scoped ${item.groupResource} is not restored: spec.includeClusterResources is unset and not every namespace is included`;
  }
  return null;
};

/** Additional items: only an explicit includeClusterResources=false keeps related cluster objects (a PV for a PVC) out. */
export const excludedAdditionalClusterScoped: Predicate<RestoreSelection> = (selection, item) =>
  (item.namespace ?? '') === '' && selection.includeClusterResources === false
    ? `cluster-scoped ${item.groupResource} is not restored because spec.includeClusterResources is false`
    : null;

export const excludedByRestoreLabelSelector: Predicate<RestoreSelection> = (selection, item) =>
  labelSelectionReason(selection, item.labels);

/** Namespace objects are never restored as items: the ensure-namespace step creates them (reference §4.3). */
export const namespaceObjectReason: Predicate<RestoreSelection> = (_selection, item) =>
  item.groupResource === 'namespaces'
    ? 'namespaces are created by the ensure-namespace step, not restored as items'
    : null;

export interface RestoreItemOrigin {
  /** `archived` (read from the tarball type by type) or `additional` (returned by a restore item action). */
  readonly origin?: 'archived' | 'additional';
}

/** Whether a restore takes an item from the backup, and if not, the first reason why. */
export function decideRestoreItem(
  selection: RestoreSelection,
  item: SelectionItem,
  opts: RestoreItemOrigin = {},
): Decision {
  if (isMustHave(item.groupResource)) return { included: true };
  return firstReason(selection, item, (opts.origin ?? 'archived') === 'archived' ? ARCHIVED_CHECKS : ADDITIONAL_CHECKS);
}

/** The checks of an item read from the tarball (built once: a restore decides every item). */
const ARCHIVED_CHECKS: readonly Predicate<RestoreSelection>[] = [
  excludedRestoreResource,
  namespaceObjectReason,
  excludedClusterScopedForRestore,
  excludedRestoreNamespace,
  excludedByRestoreLabelSelector,
];
/** Additional items are re-checked against resource and namespace filters, not selectors (reference §4.3). */
const ADDITIONAL_CHECKS: readonly Predicate<RestoreSelection>[] = [
  excludedRestoreResource,
  excludedAdditionalClusterScoped,
  excludedRestoreNamespace,
];

/**
 * Whether the item's `.status` is restored after create (reference §4.4 step 11): the
 * `velero.io/restore-status` annotation ("true"/"false") wins; otherwise the
 * `restoreStatus` filter by the original group-resource; unset means no.
 */
export function shouldRestoreStatus(selection: RestoreSelection, item: SelectionItem): boolean {
  const override = item.annotations?.[RESTORE_STATUS_ANNOTATION];
  if (override === 'true') return true;
  if (override === 'false') return false;
  return selection.statusResources ? shouldInclude(selection.statusResources, item.groupResource) : false;
}

/** Source namespaces of the backup that the restore includes (globs expanded against the backup's namespaces). */
export function namespacesToRestore(selection: RestoreSelection, backupNamespaces: readonly string[]): string[] {
  return backupNamespaces.filter((ns) => shouldInclude(selection.namespaces, ns)).sort();
}

/** The parts of an archived object that decide whether it is skipped outright. */
export interface RestoreObjectState {
  readonly groupResource: string;
  readonly annotations?: Readonly<Record<string, string>> | null;
  readonly status?: { readonly phase?: string; readonly completionTime?: string | null } | null;
}

/**
 * Items skipped outright whatever the filters say (reference §4.3): finished pods,
 * completed jobs, and mirror pods (the kubelet recreates those from static manifests).
 */
export function skippedOutright(obj: RestoreObjectState): string | null {
  if (obj.groupResource === 'pods') {
    const phase = obj.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return `pod is in phase ${phase}`;
    if (obj.annotations?.['kubernetes.io/config.mirror'] !== undefined)
      return 'mirror pods are recreated by the kubelet';
  }
  if (obj.groupResource === 'jobs.batch' && obj.status?.completionTime)
    return 'job has completed (status.completionTime is set)';
  return null;
}
