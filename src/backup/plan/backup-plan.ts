import type { BackupSpec } from '../../api/backup.ts';
import { groupResource, type ResourceType } from '../../kube/resource.ts';
import {
  excludedClusterScopedType,
  excludedResourceType,
  labelSelectorFromObject,
  namespacesToBackUp,
  resolveBackupSelection,
  selectorToString,
  validateBackupSelection,
  withLabelExcludedNamespaces,
  type BackupSelection,
} from '../../selection/index.ts';
import { errorMessage } from '../../util/errors.ts';
import { resolveBackupHooks, type ResolvedBackupHooks } from '../hooks/hook-spec.ts';
import { orderedKeyWarnings, parseOrderedResources } from './ordered-resources.ts';
import { backupResourceOrder } from './resource-order.ts';

export interface NamespaceInfo {
  name: string;
  labels?: Record<string, string>;
  phase?: string;
}

/** What the planner needs to know about the cluster, as plain data. */
export interface BackupPlanInput {
  spec: BackupSpec;
  /** Preferred-version resource types, in discovery order. */
  resourceTypes: readonly ResourceType[];
  resolve: (name: string) => ResourceType | undefined;
  namespaces: readonly NamespaceInfo[];
  /** Annotation skiff.io/include-app-cluster-resources: take the application's cluster-scoped objects (issue 13). */
  includeAppClusterResources?: boolean;
  /** Group-versions discovery could not read (an aggregated API that does not answer), with why. */
  unavailableGroupVersions?: readonly UnavailableApiGroup[];
}

export interface UnavailableApiGroup {
  groupVersion: string;
  reason: string;
}

/** One resource type to list, and where. */
export interface ListStep {
  type: ResourceType;
  groupResource: string;
  /** Namespaces to list in; `[undefined]` = one cluster-wide List. */
  namespaces: (string | undefined)[];
  /**
   * Set when one cluster-wide List stands in for a List per namespace (`listsClusterWide`):
   * only items in these namespaces are taken.
   */
  onlyNamespaces?: readonly string[];
  /** One List per selector (OR-selectors); `[undefined]` = no selector. */
  labelSelectors: (string | undefined)[];
}

export interface SkippedType {
  groupResource: string;
  reason: string;
}

/**
 * A backup, decided: which types are listed where, with which selectors, and why the
 * others are not. Pure data: `--dry-run` prints it, the collector runs it.
 */
export interface BackupPlan {
  selection: BackupSelection;
  steps: ListStep[];
  skippedTypes: SkippedType[];
  /** Included, existing, active namespaces (all active ones for a whole-cluster backup). */
  namespaces: readonly string[];
  allNamespaces: boolean;
  orderedResources: Map<string, string[]>;
  validationErrors: string[];
  /** Problems that do not stop the backup but make it PartiallyFailed (errors) or are noted (warnings). */
  errors: string[];
  warnings: string[];
  /** Whether the CRD type was named in a filter: then CRDs are not added automatically (§3.3 step 7). */
  crdTypeExplicit: boolean;
  /**
   * Cluster-scoped types the backup does not list but whose objects it may take as additional
   * items: where the application's cluster-scoped objects are looked for (app-cluster-resources.ts).
   * Empty for a backup that lists every cluster-scoped type, which then has nothing to find.
   */
  appCandidateTypes: ResourceType[];
  /** Take what the detector finds, instead of warning about it. */
  includeAppClusterResources: boolean;
  /** `spec.hooks`, checked and resolved (reference §3.6); absent in plans built by hand. */
  hooks?: ResolvedBackupHooks;
}

const CRD_GR = 'customresourcedefinitions.apiextensions.k8s.io';

export function planBackup(input: BackupPlanInput): BackupPlan {
  const { spec } = input;
  const validationErrors = [...validateBackupSelection(spec), ...unknownIncludedResources(spec, input.resolve)];
  const active = input.namespaces.filter((ns) => (ns.phase ?? 'Active') === 'Active');
  const effectiveSpec: BackupSpec = {
    ...spec,
    excludedNamespaces: withLabelExcludedNamespaces(spec.excludedNamespaces, active),
  };
  let selection: BackupSelection;
  let labelSelectors: (string | undefined)[] = [undefined];
  try {
    selection = resolveBackupSelection(effectiveSpec, (n) => input.resolve(n));
    labelSelectors = selectorStrings(spec);
  } catch (err) {
    validationErrors.push(errorMessage(err));
    selection = resolveBackupSelection({ ...effectiveSpec, labelSelector: null, orLabelSelectors: null }, (n) =>
      input.resolve(n),
    );
  }
  const nsChoice = namespacesToBackUp(
    selection,
    active.map((n) => n.name),
  );
  const errors = nsChoice.missing.map(
    (ns) => `namespace ${ns} is included by spec.includedNamespaces but does not exist`,
  );
  const warnings = nsChoice.unmatchedPatterns.map((p) => `namespace pattern ${p} matched no namespace`);
  const hooks = resolveBackupHooks(spec, input.resolve);
  validationErrors.push(...hooks.validationErrors);
  warnings.push(...hooks.warnings);

  if (input.includeAppClusterResources && spec.includeClusterResources === false) {
    // The user's word wins over the annotation, but not silently.
    warnings.push(
      'annotation skiff.io/include-app-cluster-resources is "true" but spec.includeClusterResources is false: no cluster-scoped object is taken',
    );
  }
  for (const gv of input.unavailableGroupVersions ?? []) {
    warnings.push(`API group ${gv.groupVersion} is unavailable (${gv.reason}): not backed up`);
  }

  const steps: ListStep[] = [];
  const skippedTypes: SkippedType[] = [];
  const appCandidateTypes: ResourceType[] = [];
  for (const type of backupResourceOrder(input.resourceTypes)) {
    const gr = groupResource(type);
    const reason = excludedResourceType(selection, { groupResource: gr, namespaced: type.namespaced });
    if (reason) {
      skippedTypes.push({ groupResource: gr, reason });
      if (!type.namespaced && mayBeAdditional(selection, gr)) appCandidateTypes.push(type);
      continue;
    }
    if (type.namespaced && !nsChoice.all && nsChoice.namespaces.length === 0) {
      skippedTypes.push({ groupResource: gr, reason: 'no included namespace exists' });
      continue;
    }
    const perNamespace = type.namespaced && !nsChoice.all;
    const clusterWide = perNamespace && listsClusterWide(nsChoice.namespaces.length, active.length);
    // Namespace objects are filtered later (they depend on which items were collected), so
    // they are listed without a label selector (reference §3.2 "Which Namespace objects").
    steps.push({
      type,
      groupResource: gr,
      namespaces: perNamespace && !clusterWide ? [...nsChoice.namespaces] : [undefined],
      ...(clusterWide ? { onlyNamespaces: nsChoice.namespaces } : {}),
      labelSelectors: gr === 'namespaces' ? [undefined] : labelSelectors,
    });
  }
  const orderedResources = parseOrderedResources(spec.orderedResources);
  warnings.push(
    ...orderedKeyWarnings(orderedResources, {
      served: input.resourceTypes,
      listed: new Set(steps.map((s) => s.type.resource)),
      skipped: new Map(skippedTypes.map((s) => [s.groupResource, s.reason])),
      resolve: input.resolve,
    }),
  );
  return {
    selection,
    steps,
    skippedTypes,
    namespaces: nsChoice.namespaces,
    allNamespaces: nsChoice.all,
    orderedResources,
    validationErrors,
    errors,
    warnings,
    crdTypeExplicit: isNamed(spec, CRD_GR, input.resolve),
    appCandidateTypes,
    includeAppClusterResources: input.includeAppClusterResources ?? false,
    hooks,
  };
}

/**
 * Whether a type is listed once cluster-wide, keeping the included namespaces' items, instead
 * of once per included namespace: when the backup names many namespaces and they are most of
 * the cluster's. Why: each LIST costs a round trip and the API server's fixed work, so 2,100
 * named namespaces of two objects each took ~4,200 LISTs and 15-21 s through the server
 * (bench:scale), and 2.1 s as one LIST per type. That LIST also reads the other namespaces'
 * objects; at most half of the namespaces are others, so with objects spread evenly it reads at
 * most twice what is kept. Below these bounds the lists per namespace read less.
 */
export function listsClusterWide(includedNamespaces: number, activeNamespaces: number): boolean {
  return includedNamespaces >= CLUSTER_WIDE_MIN_NAMESPACES && includedNamespaces * 2 >= activeNamespaces;
}

const CLUSTER_WIDE_MIN_NAMESPACES = 50;

/** Whether an object of this unlisted cluster-scoped type would pass the checks of an additional item. */
function mayBeAdditional(selection: BackupSelection, gr: string): boolean {
  if (gr === 'namespaces') return false;
  return excludedClusterScopedType(selection, { groupResource: gr, namespaced: false, name: '', labels: {} }) === null;
}

function selectorStrings(spec: BackupSpec): (string | undefined)[] {
  if (spec.orLabelSelectors && spec.orLabelSelectors.length > 0) {
    return spec.orLabelSelectors.map((s) => selectorToString(labelSelectorFromObject(s)) || undefined);
  }
  if (spec.labelSelector) return [selectorToString(labelSelectorFromObject(spec.labelSelector)) || undefined];
  return [undefined];
}

function isNamed(spec: BackupSpec, gr: string, resolve: (n: string) => ResourceType | undefined): boolean {
  const lists = [
    spec.includedResources,
    spec.excludedResources,
    spec.includedClusterScopedResources,
    spec.excludedClusterScopedResources,
  ];
  return lists.some((l) =>
    (l ?? []).some((n) => {
      const rt = resolve(n);
      return (rt ? groupResource(rt) : n) === gr;
    }),
  );
}

/**
 * A name in an include list that no served type answers to would silently back up
 * nothing of what the user asked for; Velero keeps such names as given, we refuse them.
 */
function unknownIncludedResources(spec: BackupSpec, resolve: (n: string) => ResourceType | undefined): string[] {
  const fields = ['includedResources', 'includedNamespaceScopedResources', 'includedClusterScopedResources'] as const;
  const out: string[] = [];
  for (const field of fields) {
    for (const name of spec[field] ?? []) {
      if (name === '*' || /[*?[\]]/.test(name) || resolve(name)) continue;
      out.push(`resource "${name}" in spec.${field} is not served by this cluster`);
    }
  }
  return out;
}
