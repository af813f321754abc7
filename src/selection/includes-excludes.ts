import { globMatch, matchesAny, validateNamespacePattern } from './glob.ts';

/**
 * An include list and an exclude list, as Velero keeps them for namespaces and
 * resource names. Entries are glob patterns (reference §3.2).
 */
export interface IncludesExcludes {
  readonly includes: readonly string[];
  readonly excludes: readonly string[];
}

export function includesExcludes(
  includes?: readonly string[] | null,
  excludes?: readonly string[] | null,
): IncludesExcludes {
  return { includes: includes ?? [], excludes: excludes ?? [] };
}

/** Excludes beat includes; an empty include list or `*` means everything (reference §3.2). */
export function shouldInclude(ie: IncludesExcludes, value: string): boolean {
  if (matchesAny(ie.excludes, value)) return false;
  return ie.includes.length === 0 || ie.includes.includes('*') || matchesAny(ie.includes, value);
}

/** Whether an exclude entry matches; used alone for cluster-scoped items (reference §3.2 item check 3). */
export function isExcluded(ie: IncludesExcludes, value: string): boolean {
  return matchesAny(ie.excludes, value);
}

/** "Includes everything": includes empty or exactly `*`, and no excludes (reference §3.2). */
export function includesEverything(ie: IncludesExcludes): boolean {
  const inc = new Set(ie.includes);
  return ie.excludes.length === 0 && (inc.size === 0 || (inc.size === 1 && inc.has('*')));
}

/** The exclude entry that matches `value`, for explanations. */
export function matchingEntry(patterns: readonly string[], value: string): string | undefined {
  return patterns.find((p) => globMatch(p, value));
}

function sortedSet(list: readonly string[] | null | undefined): Set<string> {
  return new Set([...(list ?? [])].sort());
}

/** Old-style lists and namespaces (reference §3.1 step 6). Messages are Velero's. */
export function validateIncludesExcludes(
  includesList: readonly string[] | null | undefined,
  excludesList: readonly string[] | null | undefined,
): string[] {
  const includes = sortedSet(includesList);
  const excludes = sortedSet(excludesList);
  const errs: string[] = [];
  if (includes.size > 1 && includes.has('*')) {
    errs.push("includes list must either contain '*' only, or a non-empty list of items");
  }
  if (excludes.has('*')) errs.push("excludes list cannot contain '*'");
  for (const item of excludes) {
    if (includes.has(item)) errs.push(`excludes list cannot contain an item in the includes list: ${item}`);
  }
  return errs;
}

/** Scoped (new-style) lists: `*` in excludes must stand alone, and then includes must be empty. */
export function validateScopedIncludesExcludes(
  includesList: readonly string[] | null | undefined,
  excludesList: readonly string[] | null | undefined,
): string[] {
  const includes = sortedSet(includesList);
  const excludes = sortedSet(excludesList);
  const errs: string[] = [];
  if (includes.size > 1 && includes.has('*')) {
    errs.push("includes list must either contain '*' only, or a non-empty list of items");
  }
  if (excludes.size > 1 && excludes.has('*')) {
    errs.push("excludes list must either contain '*' only, or a non-empty list of items");
  }
  if (includes.size > 0 && excludes.has('*')) errs.push("when exclude is '*', include cannot have value");
  for (const item of excludes) {
    if (includes.has(item)) errs.push(`excludes list cannot contain an item in the includes list: ${item}`);
  }
  return errs;
}

/** Namespace lists: the old-style rules plus a pattern check of every entry. */
export function validateNamespaceIncludesExcludes(
  includesList: readonly string[] | null | undefined,
  excludesList: readonly string[] | null | undefined,
): string[] {
  const errs = validateIncludesExcludes(includesList, excludesList);
  for (const ns of [...sortedSet(includesList), ...sortedSet(excludesList)]) {
    const problem = validateNamespacePattern(ns);
    if (problem) errs.push(problem);
  }
  return errs;
}
