/**
 * The namespaces a Backup reads or a Restore writes, as the queue compares them
 * (reference §3.4: backups whose resolved namespace sets overlap never run at once).
 * Read from the raw spec, so that an object whose spec does not parse still gets a
 * scope (the widest) and reaches the controller that reports it FailedValidation.
 * Whenever the set cannot be known, the answer is every namespace: waiting too long is
 * safe, running two writers of one namespace at once is not.
 */
import { isRecord } from '../kube/object.ts';
import { expandNamespacePatterns, hasGlobChars, matchesAny } from '../selection/glob.ts';
import { ALL_NAMESPACES, namespaceScope, type NamespaceScope } from './queue-decision.ts';

/** Whether the backup's scope depends on the cluster's namespaces (its includes hold a glob). */
export function backupScopeNeedsNamespaces(spec: unknown): boolean {
  const included = isRecord(spec) ? stringList(spec.includedNamespaces) : undefined;
  return included?.some((ns) => ns !== '*' && hasGlobChars(ns)) ?? false;
}

/**
 * A backup's namespaces. Every namespace when its namespace filter includes everything, or
 * when it asks for cluster-scoped resources explicitly (those overlap anything); globs are
 * expanded against `clusterNamespaces`, as the backup itself expands them (reference §3.2).
 */
export function backupScope(spec: unknown, clusterNamespaces?: readonly string[]): NamespaceScope {
  if (!isRecord(spec)) return ALL_NAMESPACES;
  if (spec.includeClusterResources === true) return ALL_NAMESPACES;
  const clusterScoped = stringList(spec.includedClusterScopedResources);
  if (clusterScoped === undefined || clusterScoped.length > 0) return ALL_NAMESPACES;
  return namedNamespaces(spec, (patterns) =>
    clusterNamespaces ? expandNamespacePatterns(patterns, clusterNamespaces).namespaces : undefined,
  );
}

/**
 * The namespaces a restore writes: its namespace filter over the backup's namespaces (when
 * it includes everything, the backup's own scope; unknown backup, every namespace), each
 * renamed by `namespaceMapping`. `includeClusterResources: true` overlaps anything.
 */
export function restoreScope(spec: unknown, backupSpec: unknown): NamespaceScope {
  if (!isRecord(spec)) return ALL_NAMESPACES;
  if (spec.includeClusterResources === true) return ALL_NAMESPACES;
  const source = backupSpec === undefined ? ALL_NAMESPACES : backupScope(backupSpec);
  const included = stringList(spec.includedNamespaces);
  const fromSource = included !== undefined && (included.length === 0 || included.includes('*'));
  const restored = fromSource
    ? source.all
      ? source
      : without(source, stringList(spec.excludedNamespaces))
    : namedNamespaces(spec, (patterns) =>
        source.all ? undefined : expandNamespacePatterns(patterns, [...source.namespaces]).namespaces,
      );
  if (restored.all) return restored;
  const mapping = isRecord(spec.namespaceMapping) ? spec.namespaceMapping : {};
  return namespaceScope(
    [...restored.namespaces].map((ns) => {
      const target = mapping[ns];
      return typeof target === 'string' && target !== '' ? target : ns;
    }),
  );
}

/**
 * The included namespaces minus the excluded ones; every namespace when the includes are
 * empty or `*`, malformed, or hold a glob that `expand` cannot resolve.
 */
function namedNamespaces(
  spec: Record<string, unknown>,
  expand: (patterns: readonly string[]) => readonly string[] | undefined,
): NamespaceScope {
  const included = stringList(spec.includedNamespaces);
  if (included === undefined || included.length === 0 || included.includes('*')) return ALL_NAMESPACES;
  const names = included.some(hasGlobChars) ? expand(included) : included;
  if (names === undefined) return ALL_NAMESPACES;
  return without(namespaceScope(names), stringList(spec.excludedNamespaces));
}

function without(scope: NamespaceScope, excluded: readonly string[] | undefined): NamespaceScope {
  if (scope.all || !excluded?.length) return scope;
  return namespaceScope([...scope.namespaces].filter((ns) => !matchesAny(excluded, ns)));
}

/** A list of strings; `[]` when absent or null; undefined when it is anything else (malformed). */
function stringList(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) return undefined;
  return value;
}
