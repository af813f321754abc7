import { includesEverything, isExcluded, matchingEntry, shouldInclude } from './includes-excludes.ts';
import {
  AUTO_EXCLUDED_RESOURCES,
  EXCLUDE_FROM_BACKUP_LABEL,
  type BackupSelection,
  type OldStyleResources,
  type ScopedResources,
} from './backup-selection.ts';
import {
  firstReason,
  hasLabelSelection,
  labelSelectionReason,
  type Decision,
  type Predicate,
  type SelectionItem,
} from './item.ts';
import type { ResourceFilter } from './resource-filter.ts';

/**
 * The backup-side decision, as named predicates in Velero's order (reference §3.2).
 * Each returns the reason an item is out, or null.
 */

const NAMESPACES = 'namespaces';

/** A resource type as discovery lists it. */
export interface ResourceTypeRef {
  readonly groupResource: string;
  readonly namespaced: boolean;
}

function listReason(filter: ResourceFilter, gr: string, incField: string, excField: string): string | null {
  const exc = matchingEntry(filter.excludes, gr);
  if (exc !== undefined) return `resource ${gr} is excluded by spec.${excField} (${exc})`;
  if (shouldInclude(filter, gr)) return null;
  return `resource ${gr} is not in spec.${incField}`;
}

function autoExcludedReason(gr: string): string | null {
  return AUTO_EXCLUDED_RESOURCES.includes(gr)
    ? `resource ${gr} is always excluded: Velero only backs up the snapshot objects it creates itself`
    : null;
}

function oldStyleTypeReason(selection: BackupSelection, r: OldStyleResources, type: ResourceTypeRef): string | null {
  const gr = type.groupResource;
  if (!type.namespaced && r.includeClusterResources === false) {
    return `cluster-scoped resource ${gr} is excluded because spec.includeClusterResources is false`;
  }
  // Auto mode: cluster-scoped types are listed only in a backup of every namespace;
  // related ones (a PV for a PVC) still come in as additional items. Namespaces are
  // let through here and filtered by `decideNamespaceObject`.
  if (
    !type.namespaced &&
    gr !== NAMESPACES &&
    r.includeClusterResources === undefined &&
    !includesEverything(selection.namespaces)
  ) {
    return `cluster-scoped resource ${gr} is only backed up when related to an included item: spec.includeClusterResources is unset and not every namespace is included`;
  }
  return listReason(r.filter, gr, 'includedResources', 'excludedResources');
}

function scopedTypeReason(selection: BackupSelection, r: ScopedResources, type: ResourceTypeRef): string | null {
  const gr = type.groupResource;
  if (type.namespaced) {
    return listReason(r.namespaceScoped, gr, 'includedNamespaceScopedResources', 'excludedNamespaceScopedResources');
  }
  const exc = matchingEntry(r.clusterScoped.excludes, gr);
  if (exc !== undefined)
    return `cluster-scoped resource ${gr} is excluded by spec.excludedClusterScopedResources (${exc})`;
  const noClusterLists = r.clusterScoped.includes.length === 0 && r.clusterScoped.excludes.length === 0;
  if (noClusterLists && includesEverything(selection.namespaces) && includesEverything(r.namespaceScoped)) return null;
  if (
    r.clusterScoped.includes.includes('*') ||
    shouldIncludeListed(r.clusterScoped.includes, gr) ||
    gr === NAMESPACES
  ) {
    return null;
  }
  return noClusterLists
    ? `cluster-scoped resource ${gr} is only backed up when related to an included item: no cluster-scoped filter is set and the backup is not of every namespace and every namespace-scoped type`
    : `cluster-scoped resource ${gr} is not in spec.includedClusterScopedResources`;
}

function shouldIncludeListed(includes: readonly string[], gr: string): boolean {
  return matchingEntry(includes, gr) !== undefined;
}

/**
 * Type-level decision: whether the planner lists this resource type at all
 * (Velero's `ShouldInclude` for a type, reference §3.2 "Resource types").
 */
export function excludedResourceType(selection: BackupSelection, type: ResourceTypeRef): string | null {
  const auto = autoExcludedReason(type.groupResource);
  if (auto) return auto;
  const r = selection.resources;
  return r.style === 'old' ? oldStyleTypeReason(selection, r, type) : scopedTypeReason(selection, r, type);
}

/** Check 1: the item carries `velero.io/exclude-from-backup=true`. */
export const excludedByLabel: Predicate<BackupSelection> = (_selection, item) =>
  item.labels?.[EXCLUDE_FROM_BACKUP_LABEL] === 'true' ? `label ${EXCLUDE_FROM_BACKUP_LABEL}=true is set` : null;

/** Check 2: a namespaced item whose namespace is not included. Excludes beat includes. */
export const excludedByNamespace: Predicate<BackupSelection> = (selection, item) => {
  const ns = item.namespace ?? '';
  if (!item.namespaced || ns === '') return null;
  const exc = matchingEntry(selection.namespaces.excludes, ns);
  if (exc !== undefined) return `namespace ${ns} is excluded by spec.excludedNamespaces (${exc})`;
  return shouldInclude(selection.namespaces, ns) ? null : `namespace ${ns} is not in spec.includedNamespaces`;
};

/**
 * Check 3: a cluster-scoped item (other than a Namespace) is skipped only when its
 * type is excluded outright (Velero's `ShouldExclude`), so that a PV pulled in by a
 * PVC gets in with cluster resources on "auto". In the old style with
 * `includeClusterResources` unset, a type missing from a non-empty
 * `includedResources` counts as excluded too (Velero's GlobalIncludesExcludes).
 */
export const excludedClusterScopedType: Predicate<BackupSelection> = (selection, item) => {
  const gr = item.groupResource;
  if (item.namespaced || gr === NAMESPACES) return null;
  const auto = autoExcludedReason(gr);
  if (auto) return auto;
  const r = selection.resources;
  if (r.style === 'scoped') {
    return isExcluded(r.clusterScoped, gr)
      ? `cluster-scoped resource ${gr} is excluded by spec.excludedClusterScopedResources`
      : null;
  }
  if (isExcluded(r.filter, gr)) return `resource ${gr} is excluded by spec.excludedResources`;
  if (r.includeClusterResources === false) {
    return `cluster-scoped resource ${gr} is excluded because spec.includeClusterResources is false`;
  }
  if (r.includeClusterResources === undefined && !shouldInclude(r.filter, gr))
    return `resource ${gr} is not in spec.includedResources`;
  return null;
};

/** Check 4: a namespaced item whose type is not included. */
export const excludedNamespacedType: Predicate<BackupSelection> = (selection, item) =>
  item.namespaced ? excludedResourceType(selection, item) : null;

/** Check 5: objects being deleted are never backed up, whatever else applies. */
export const excludedAsDeleting: Predicate<BackupSelection> = (_selection, item) =>
  item.deletionTimestamp ? 'the item is being deleted (metadata.deletionTimestamp is set)' : null;

/** Listed items only: label selectors are applied when listing, never to additional items. */
export const excludedByLabelSelector: Predicate<BackupSelection> = (selection, item) =>
  labelSelectionReason(selection, item.labels);

/** Listed items only: the type-level decision for cluster-scoped types (namespaced ones are check 4). */
export const excludedClusterTypeFromListing: Predicate<BackupSelection> = (selection, item) =>
  item.namespaced ? null : excludedResourceType(selection, item);

const ITEM_CHECKS = [excludedByLabel, excludedByNamespace, excludedClusterScopedType, excludedNamespacedType];

export interface BackupItemOrigin {
  /** `listed` (from a List call) or `additional` (returned by an item action). Default `listed`. */
  readonly origin?: 'listed' | 'additional';
  /** The action set `backup.velero.io/must-include-additional-items: "true"`: checks 1–4 are bypassed. */
  readonly mustInclude?: boolean;
}

/**
 * Whether a backup takes one item, and if not, the first reason why. Namespace
 * objects are decided by `decideNamespaceObject`, which needs the collected items.
 */
export function decideBackupItem(
  selection: BackupSelection,
  item: SelectionItem,
  opts: BackupItemOrigin = {},
): Decision {
  const listed = (opts.origin ?? 'listed') === 'listed';
  const checks: Predicate<BackupSelection>[] = [];
  if (listed) checks.push(excludedClusterTypeFromListing, excludedByLabelSelector);
  if (!(opts.mustInclude ?? false) || listed) checks.push(...ITEM_CHECKS);
  checks.push(excludedAsDeleting);
  return firstReason(selection, item, checks);
}

/** The checks of a listed item that read only its type and namespace. */
const TYPE_AND_NAMESPACE_CHECKS = [
  excludedClusterTypeFromListing,
  excludedByNamespace,
  excludedClusterScopedType,
  excludedNamespacedType,
];
/** The rest of a listed item's checks, in Velero's order: they read the item's own fields. */
const OWN_FIELD_CHECKS = [excludedByLabelSelector, excludedByLabel, excludedAsDeleting];

/**
 * `decideBackupItem` for listed items, with the checks that read only the type and the
 * namespace (globs included) made once per pair instead of once per item: a page holds
 * hundreds of items of one type, mostly in one namespace. An item that fails them gets the
 * full decision, so the reason given is always the first one in Velero's order.
 */
export function listedItemDecider(selection: BackupSelection): (item: SelectionItem) => Decision {
  const passes = new Map<string, Map<string, boolean>>();
  return (item) => {
    let byNamespace = passes.get(item.groupResource);
    if (!byNamespace) {
      byNamespace = new Map();
      passes.set(item.groupResource, byNamespace);
    }
    const namespace = item.namespaced ? (item.namespace ?? '') : '';
    let pass = byNamespace.get(namespace);
    if (pass === undefined) {
      pass = firstReason(selection, item, TYPE_AND_NAMESPACE_CHECKS).included;
      byNamespace.set(namespace, pass);
    }
    return pass
      ? firstReason(selection, item, OWN_FIELD_CHECKS)
      : decideBackupItem(selection, item, { origin: 'listed' });
  };
}

/**
 * Which Namespace objects are written (reference §3.2, since 1.14): a namespace is kept
 * if it passes the namespace filter or holds a collected item; when the namespace
 * filter is the default and a label selector is set, only namespaces holding selected
 * items or whose own labels match are kept.
 */
export function decideNamespaceObject(
  selection: BackupSelection,
  ns: SelectionItem,
  namespacesWithItems: ReadonlySet<string>,
): Decision {
  const tracked: Predicate<BackupSelection> = (s, item) => {
    if (namespacesWithItems.has(item.name)) return null;
    if (includesEverything(s.namespaces) && hasLabelSelection(s)) {
      const why = labelSelectionReason(s, item.labels);
      return why ? `namespace ${item.name} holds no selected item and its ${why}` : null;
    }
    if (shouldInclude(s.namespaces, item.name)) return null;
    return `namespace ${item.name} is not included by spec.includedNamespaces/excludedNamespaces and holds no backed-up item`;
  };
  const type: Predicate<BackupSelection> = (s) =>
    excludedResourceType(s, { groupResource: NAMESPACES, namespaced: false });
  return firstReason(selection, ns, [type, excludedByLabel, tracked, excludedAsDeleting]);
}
