import { expandNamespacePatterns, hasGlobChars } from './glob.ts';
import {
  includesEverything,
  includesExcludes,
  shouldInclude,
  validateIncludesExcludes,
  validateNamespaceIncludesExcludes,
  validateScopedIncludesExcludes,
  type IncludesExcludes,
} from './includes-excludes.ts';
import { labelSelectorFromObject, LabelSelectorError, type LabelSelectorObject } from './label-selector.ts';
import { resolveResourceFilter, type ResourceFilter, type ResourceResolver } from './resource-filter.ts';
import type { LabelSelection } from './item.ts';

/** The Backup spec fields selection reads (reference §1.1). The full type lives in api/. */
export interface BackupSelectionSpec {
  includedNamespaces?: string[] | null;
  excludedNamespaces?: string[] | null;
  includedResources?: string[] | null;
  excludedResources?: string[] | null;
  includeClusterResources?: boolean | null;
  includedClusterScopedResources?: string[] | null;
  excludedClusterScopedResources?: string[] | null;
  includedNamespaceScopedResources?: string[] | null;
  excludedNamespaceScopedResources?: string[] | null;
  labelSelector?: LabelSelectorObject | null;
  orLabelSelectors?: LabelSelectorObject[] | null;
}

/**
 * Pre-existing CSI snapshot objects are never collected directly; only those Velero
 * creates enter the backup, as additional items (reference §3.1 step 7).
 */
export const AUTO_EXCLUDED_NAMESPACE_SCOPED = ['volumesnapshots.snapshot.storage.k8s.io'] as const;
export const AUTO_EXCLUDED_CLUSTER_SCOPED = ['volumesnapshotcontents.snapshot.storage.k8s.io'] as const;
export const AUTO_EXCLUDED_RESOURCES: readonly string[] = [
  ...AUTO_EXCLUDED_NAMESPACE_SCOPED,
  ...AUTO_EXCLUDED_CLUSTER_SCOPED,
];

/** Label that keeps an object, or every object of a labelled namespace, out of backups (Appendix A). */
export const EXCLUDE_FROM_BACKUP_LABEL = 'velero.io/exclude-from-backup';

export interface OldStyleResources {
  readonly style: 'old';
  readonly filter: ResourceFilter;
  /** undefined = "auto" (reference §3.2). */
  readonly includeClusterResources: boolean | undefined;
}

export interface ScopedResources {
  readonly style: 'scoped';
  readonly namespaceScoped: ResourceFilter;
  readonly clusterScoped: ResourceFilter;
}

/** A spec resolved against discovery: what the predicates read. Build it with `resolveBackupSelection`. */
export interface BackupSelection extends LabelSelection {
  readonly namespaces: IncludesExcludes;
  readonly resources: OldStyleResources | ScopedResources;
}

function nonEmpty(list: readonly unknown[] | null | undefined): boolean {
  return (list?.length ?? 0) > 0;
}

/** Old-style fields in use: Velero then ignores the scoped ones (and validation rejects the mix). */
export function usesOldResourceFilters(spec: BackupSelectionSpec): boolean {
  return (
    (spec.includeClusterResources ?? undefined) !== undefined ||
    nonEmpty(spec.includedResources) ||
    nonEmpty(spec.excludedResources)
  );
}

function usesScopedResourceFilters(spec: BackupSelectionSpec): boolean {
  return (
    nonEmpty(spec.includedClusterScopedResources) ||
    nonEmpty(spec.excludedClusterScopedResources) ||
    nonEmpty(spec.includedNamespaceScopedResources) ||
    nonEmpty(spec.excludedNamespaceScopedResources)
  );
}

/**
 * Validation messages for the selection fields, worded and ordered as Velero's backup
 * controller lists them in `status.validationErrors` (reference §3.1 steps 5–6, §1.1).
 * Namespaces labelled `velero.io/exclude-from-backup=true` should already be merged
 * into `excludedNamespaces` (see `withLabelExcludedNamespaces`), as Velero does before validating.
 */
export function validateBackupSelection(spec: BackupSelectionSpec): string[] {
  const errs: string[] = [];
  if (usesOldResourceFilters(spec) && usesScopedResourceFilters(spec)) {
    errs.push(
      'include-resources, exclude-resources and include-cluster-resources are old filter parameters.\n' +
        'include-cluster-scoped-resources, exclude-cluster-scoped-resources, include-namespace-scoped-resources and exclude-namespace-scoped-resources are new filter parameters.\n' +
        'They cannot be used together',
    );
  }
  if (usesOldResourceFilters(spec)) {
    for (const e of validateIncludesExcludes(spec.includedResources, spec.excludedResources)) {
      errs.push(`Invalid included/excluded resource lists: ${e}`);
    }
  } else {
    const cluster = validateScopedIncludesExcludes(
      spec.includedClusterScopedResources,
      spec.excludedClusterScopedResources,
    );
    for (const e of cluster) errs.push(`Invalid cluster-scoped included/excluded resource lists: ${e}`);
    const ns = validateScopedIncludesExcludes(
      spec.includedNamespaceScopedResources,
      spec.excludedNamespaceScopedResources,
    );
    for (const e of ns) errs.push(`Invalid namespace-scoped included/excluded resource lists: ${e}`);
  }
  // Velero normalises empty includes to ["*"] before validating namespaces.
  const included = nonEmpty(spec.includedNamespaces) ? spec.includedNamespaces : ['*'];
  for (const e of validateNamespaceIncludesExcludes(included, spec.excludedNamespaces)) {
    errs.push(`Invalid included/excluded namespace lists: ${e}`);
  }
  if (spec.orLabelSelectors != null && spec.labelSelector != null) {
    errs.push('encountered labelSelector as well as orLabelSelectors in backup spec, only one can be specified');
  }
  errs.push(...selectorErrors(spec));
  return errs;
}

/** A malformed selector object would fail the List calls; we report it up front instead. */
export function selectorErrors(spec: {
  labelSelector?: LabelSelectorObject | null;
  orLabelSelectors?: LabelSelectorObject[] | null;
}): string[] {
  const errs: string[] = [];
  for (const obj of [spec.labelSelector, ...(spec.orLabelSelectors ?? [])]) {
    try {
      labelSelectorFromObject(obj);
    } catch (err) {
      if (err instanceof LabelSelectorError) errs.push(err.message);
      else throw err;
    }
  }
  return errs;
}

/**
 * Resolves a valid spec (call `validateBackupSelection` first: a malformed selector
 * throws LabelSelectorError here). Resource names go through `resolve`; unknown
 * names are kept as given (reference §3.2) and listed in each filter's `unresolved`.
 */
export function resolveBackupSelection(spec: BackupSelectionSpec, resolve: ResourceResolver): BackupSelection {
  const resources: OldStyleResources | ScopedResources = usesOldResourceFilters(spec)
    ? {
        style: 'old',
        filter: resolveResourceFilter(spec.includedResources, spec.excludedResources, resolve),
        includeClusterResources: spec.includeClusterResources ?? undefined,
      }
    : {
        style: 'scoped',
        namespaceScoped: resolveResourceFilter(
          spec.includedNamespaceScopedResources,
          spec.excludedNamespaceScopedResources,
          resolve,
          'namespaced',
        ),
        clusterScoped: resolveResourceFilter(
          spec.includedClusterScopedResources,
          spec.excludedClusterScopedResources,
          resolve,
          'cluster',
        ),
      };
  return {
    namespaces: includesExcludes(spec.includedNamespaces, spec.excludedNamespaces),
    resources,
    ...(spec.labelSelector ? { labelSelector: labelSelectorFromObject(spec.labelSelector) } : {}),
    orLabelSelectors: (spec.orLabelSelectors ?? []).map(labelSelectorFromObject),
  };
}

/**
 * Velero appends namespaces labelled `velero.io/exclude-from-backup=true` to
 * `excludedNamespaces` before anything else (reference §3.1 step 4); the result is
 * sorted and de-duplicated as Velero stores it.
 */
export function withLabelExcludedNamespaces(
  excludedNamespaces: readonly string[] | null | undefined,
  namespaces: readonly { name: string; labels?: Readonly<Record<string, string>> | null }[],
): string[] {
  const labelled = namespaces.filter((ns) => ns.labels?.[EXCLUDE_FROM_BACKUP_LABEL] === 'true').map((ns) => ns.name);
  const all = [...(excludedNamespaces ?? []), ...labelled];
  return all.length === 0 ? [] : [...new Set(all)].sort();
}

export interface NamespacesToBackUp {
  /** True when one cluster-wide List per type is enough (reference §3.3 step 5). */
  readonly all: boolean;
  /** Included, not excluded, active namespaces (sorted), or every active one when `all`. */
  readonly namespaces: readonly string[];
  /** Plainly named includes that do not exist: Velero logs each as an error (reference §3.2). */
  readonly missing: readonly string[];
  /** Include patterns that matched no namespace: a warning each. */
  readonly unmatchedPatterns: readonly string[];
}

/** Which active namespaces a backup lists items from. */
export function namespacesToBackUp(
  selection: BackupSelection,
  activeNamespaces: readonly string[],
): NamespacesToBackUp {
  const ie = selection.namespaces;
  const all = includesEverything(ie);
  const namespaces = activeNamespaces.filter((ns) => shouldInclude(ie, ns)).sort();
  const explicit = ie.includes.filter((p) => p !== '*' && !hasGlobChars(p));
  const missing = explicit.filter((ns) => !activeNamespaces.includes(ns));
  const patterns = ie.includes.filter((p) => p !== '*' && hasGlobChars(p));
  const { unmatchedPatterns } = expandNamespacePatterns(patterns, activeNamespaces);
  return { all, namespaces, missing, unmatchedPatterns };
}
