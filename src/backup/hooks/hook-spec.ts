/**
 * `spec.hooks.resources[]` of a Backup, checked and resolved once per backup (reference §3.6):
 * a bad field is a validation error naming it; the result is plain data the per-pod planner,
 * the dry run and the runner share.
 */
import type { BackupSpec } from '../../api/backup.ts';
import { HookErrorMode } from '../../api/schema.ts';
import { DEFAULT_HOOK_TIMEOUT_MS, parseTimeout } from '../../hooks/hook-values.ts';
import {
  includesExcludes,
  labelSelectorFromObject,
  resolveResourceFilter,
  shouldInclude,
  validateIncludesExcludes,
  validateNamespaceIncludesExcludes,
  type IncludesExcludes,
  type LabelSelector,
  type ResourceResolver,
} from '../../selection/index.ts';
import { errorMessage } from '../../util/errors.ts';

export type HookPhase = 'pre' | 'post';

/** One exec hook as written in the spec, with its time limit parsed. */
export interface SpecExecHook {
  container?: string;
  command: string[];
  onError: HookErrorMode;
  timeoutMs: number;
}

export interface ResolvedResourceHook {
  name: string;
  namespaces: IncludesExcludes;
  selector: LabelSelector;
  pre: SpecExecHook[];
  post: SpecExecHook[];
}

export interface ResolvedBackupHooks {
  /** Entries that apply to pods, in spec order (hooks only run in pods, reference §3.6). */
  resources: ResolvedResourceHook[];
  validationErrors: string[];
  warnings: string[];
}

export const NO_BACKUP_HOOKS: ResolvedBackupHooks = { resources: [], validationErrors: [], warnings: [] };

/** Checks and resolves `spec.hooks`; `resolve` maps resource names through discovery. */
export function resolveBackupHooks(spec: BackupSpec, resolve: ResourceResolver): ResolvedBackupHooks {
  const out: ResolvedBackupHooks = { resources: [], validationErrors: [], warnings: [] };
  (spec.hooks?.resources ?? []).forEach((entry, i) => {
    const field = `spec.hooks.resources[${i}]`;
    const errors: string[] = [];
    const problem = (where: string, detail: string): void => void errors.push(`${field}.${where}: ${detail}`);
    if (!entry.name) problem('name', 'a hook entry needs a name');
    for (const p of validateNamespaceIncludesExcludes(entry.includedNamespaces, entry.excludedNamespaces))
      problem('includedNamespaces', p);
    for (const p of validateIncludesExcludes(entry.includedResources, entry.excludedResources))
      problem('includedResources', p);
    let selector: LabelSelector = labelSelectorFromObject(null);
    try {
      selector = labelSelectorFromObject(entry.labelSelector);
    } catch (err) {
      problem('labelSelector', errorMessage(err));
    }
    const execs = (phase: HookPhase): SpecExecHook[] =>
      (entry[phase] ?? []).flatMap((h, j) => {
        const at = `${phase}[${j}].exec`;
        const exec = h.exec as Partial<typeof h.exec> | undefined;
        if (!exec) return (problem(`${phase}[${j}]`, 'exec is required'), []);
        if (!Array.isArray(exec.command) || exec.command.length === 0 || exec.command[0] === '')
          return (problem(`${at}.command`, 'the command is empty'), []);
        let timeoutMs = DEFAULT_HOOK_TIMEOUT_MS;
        if (exec.timeout !== undefined && exec.timeout !== '') {
          const t = parseTimeout(exec.timeout, `${field}.${at}.timeout`);
          if ('problem' in t) errors.push(t.problem);
          else if (t.value > 0) timeoutMs = t.value;
        }
        return [
          {
            ...(exec.container ? { container: exec.container } : {}),
            command: exec.command,
            // Only an explicit Fail is fail-mode (reference §3.6).
            onError: exec.onError === 'Fail' ? HookErrorMode.Fail : HookErrorMode.Continue,
            timeoutMs,
          },
        ];
      });
    const pre = execs('pre');
    const post = execs('post');
    out.validationErrors.push(...errors);
    if (errors.length > 0) return;
    const resources = resolveResourceFilter(entry.includedResources, entry.excludedResources, resolve);
    if (!shouldInclude(resources, 'pods')) {
      out.warnings.push(
        `${field} (${entry.name}) does not include pods: hooks run only in pods, so its hooks run nowhere`,
      );
      return;
    }
    out.resources.push({
      name: entry.name,
      namespaces: includesExcludes(entry.includedNamespaces, entry.excludedNamespaces),
      selector,
      pre,
      post,
    });
  });
  return out;
}
