/**
 * Warnings and errors of one backup or restore, grouped as Velero's results file groups
 * them (reference §1.14, §4.9): `velero` for operation-level problems, `cluster` for
 * cluster-scoped items, `namespaces[ns]` for namespaced ones.
 */
export interface Result {
  velero?: string[];
  cluster?: string[];
  namespaces?: Record<string, string[]>;
}

export interface ResultsFile {
  errors: Result;
  warnings: Result;
}

/** Where a message belongs: a namespace, the cluster (cluster-scoped item), or the operation itself. */
export type ResultScope = { namespace: string } | 'cluster' | 'operation';

export class Results {
  private readonly errors: Result = {};
  private readonly warnings: Result = {};

  addError(scope: ResultScope, message: string): void {
    add(this.errors, scope, message);
  }

  addWarning(scope: ResultScope, message: string): void {
    add(this.warnings, scope, message);
  }

  get errorCount(): number {
    return count(this.errors);
  }

  get warningCount(): number {
    return count(this.warnings);
  }

  toJSON(): ResultsFile {
    return { errors: this.errors, warnings: this.warnings };
  }
}

export function scopeOf(namespace: string | undefined): ResultScope {
  return namespace ? { namespace } : 'cluster';
}

function add(result: Result, scope: ResultScope, message: string): void {
  if (scope === 'operation') (result.velero ??= []).push(message);
  else if (scope === 'cluster') (result.cluster ??= []).push(message);
  else ((result.namespaces ??= {})[scope.namespace] ??= []).push(message);
}

export function count(result: Result): number {
  let n = (result.velero?.length ?? 0) + (result.cluster?.length ?? 0);
  for (const list of Object.values(result.namespaces ?? {})) n += list.length;
  return n;
}

/** Formats a results file the way `describe --details` shows it. */
export function formatResult(title: string, result: Result): string[] {
  const lines: string[] = [];
  if (count(result) === 0) return [`${title}: <none>`];
  lines.push(`${title}:`);
  for (const m of result.velero ?? []) lines.push(`  Velero:     ${m}`);
  for (const m of result.cluster ?? []) lines.push(`  Cluster:    ${m}`);
  for (const [ns, msgs] of Object.entries(result.namespaces ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    for (const m of msgs) lines.push(`  Namespace ${ns}: ${m}`);
  }
  return lines;
}
