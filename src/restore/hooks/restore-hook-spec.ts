/**
 * `spec.hooks.resources[]` of a Restore (reference §1.2, §4.7), checked and resolved: which
 * pods an entry applies to (label selector, and the namespace the pod is restored INTO), its
 * init containers and its exec hooks. `includedResources`/`excludedResources` are ignored by
 * Velero (restore hooks apply only to pods); Skiff says so in a warning.
 */
import type { RestoreResourceHookSpec, RestoreSpec } from '../../api/restore.ts';
import { HookErrorMode } from '../../api/schema.ts';
import { DEFAULT_HOOK_TIMEOUT_MS, parseTimeout } from '../../hooks/hook-values.ts';
import type { KubeObject } from '../../kube/object.ts';
import {
  includesExcludes,
  labelSelectorFromObject,
  matches,
  shouldInclude,
  validateNamespaceIncludesExcludes,
  type IncludesExcludes,
  type LabelSelector,
} from '../../selection/index.ts';
import { errorMessage } from '../../util/errors.ts';
import { asRecord } from '../actions/types.ts';

export interface RestoreExecSpec {
  container?: string;
  command: string[];
  onError: HookErrorMode;
  execTimeoutMs: number;
  /** 0: wait for the container as long as it takes. */
  waitTimeoutMs: number;
  waitForReady: boolean;
}

export interface ResolvedRestoreHook {
  name: string;
  namespaces: IncludesExcludes;
  selector: LabelSelector;
  /** Raw core/v1 Containers, in order. */
  initContainers: Record<string, unknown>[];
  exec: RestoreExecSpec[];
}

/** Every problem of the restore's hook spec, each naming its field (the Restore goes FailedValidation). */
export function restoreHookProblems(spec: RestoreSpec): string[] {
  return (spec.hooks?.resources ?? []).flatMap((entry, i) => resolveEntry(entry, i).problems);
}

/** Fields Skiff accepts but that do nothing (as in Velero): named, not silently ignored. */
export function restoreHookWarnings(spec: RestoreSpec): string[] {
  return (spec.hooks?.resources ?? []).flatMap((entry, i) => {
    const out: string[] = [];
    for (const f of ['includedResources', 'excludedResources'] as const)
      if ((entry[f] ?? []).length > 0)
        out.push(`spec.hooks.resources[${i}].${f} is ignored: restore hooks apply only to pods (as in Velero)`);
    (entry.postHooks ?? []).forEach((h, j) => {
      if (h.init?.timeout)
        out.push(
          `spec.hooks.resources[${i}].postHooks[${j}].init.timeout is not used (as in Velero): init containers run as long as they run`,
        );
    });
    return out;
  });
}

/** The entries as the restore applies them; entries with problems are left out (validation refused them). */
export function resolveRestoreHooks(
  entries: readonly RestoreResourceHookSpec[] | null | undefined,
): ResolvedRestoreHook[] {
  return (entries ?? []).flatMap((entry, i) => {
    const r = resolveEntry(entry, i);
    return r.problems.length === 0 && r.hook ? [r.hook] : [];
  });
}

/** The entries that apply to a pod restored into `namespace`, in spec order. */
export function matchingRestoreHooks(
  hooks: readonly ResolvedRestoreHook[],
  pod: KubeObject,
  namespace: string,
): ResolvedRestoreHook[] {
  const labels = pod.metadata.labels ?? {};
  return hooks.filter((h) => shouldInclude(h.namespaces, namespace) && matches(h.selector, labels));
}

function resolveEntry(entry: RestoreResourceHookSpec, i: number): { hook?: ResolvedRestoreHook; problems: string[] } {
  const field = `spec.hooks.resources[${i}]`;
  const problems: string[] = [];
  const problem = (where: string, detail: string): void => void problems.push(`${field}.${where}: ${detail}`);
  if (!entry.name) problem('name', 'a hook entry needs a name');
  for (const p of validateNamespaceIncludesExcludes(entry.includedNamespaces, entry.excludedNamespaces))
    problem('includedNamespaces', p);
  let selector = labelSelectorFromObject(null);
  try {
    selector = labelSelectorFromObject(entry.labelSelector);
  } catch (err) {
    problem('labelSelector', errorMessage(err));
  }
  const initContainers: Record<string, unknown>[] = [];
  const exec: RestoreExecSpec[] = [];
  (entry.postHooks ?? []).forEach((h, j) => {
    const at = `postHooks[${j}]`;
    if (!h.exec && !h.init) problem(at, 'needs exec or init');
    (h.init?.initContainers ?? []).forEach((c, k) => {
      const where = `${at}.init.initContainers[${k}]`;
      const container = asRecord(c);
      if (!container) return problem(where, 'must be a container object');
      if (typeof container.name !== 'string' || container.name === '') problem(`${where}.name`, 'is required');
      if (typeof container.image !== 'string' || container.image === '') problem(`${where}.image`, 'is required');
      const cmd = container.command;
      if (cmd !== undefined && !(Array.isArray(cmd) && cmd.every((a) => typeof a === 'string')))
        problem(`${where}.command`, 'must be a list of strings');
      initContainers.push(container);
    });
    const e = h.exec;
    if (!e) return;
    const ex = `${at}.exec`;
    if (e.command.length === 0 || e.command[0] === '') problem(`${ex}.command`, 'the command is empty');
    const time = (value: string | undefined, name: string, fallback: number): number => {
      if (value === undefined || value === '') return fallback;
      const t = parseTimeout(value, `${field}.${ex}.${name}`);
      if ('problem' in t) {
        problems.push(t.problem);
        return fallback;
      }
      return t.value;
    };
    const execTimeoutMs = time(e.execTimeout, 'execTimeout', DEFAULT_HOOK_TIMEOUT_MS);
    exec.push({
      ...(e.container ? { container: e.container } : {}),
      command: e.command,
      onError: e.onError === 'Fail' ? HookErrorMode.Fail : HookErrorMode.Continue,
      execTimeoutMs: execTimeoutMs > 0 ? execTimeoutMs : DEFAULT_HOOK_TIMEOUT_MS,
      waitTimeoutMs: time(e.waitTimeout, 'waitTimeout', 0),
      waitForReady: e.waitForReady === true,
    });
  });
  if (problems.length > 0) return { problems };
  return {
    hook: {
      name: entry.name,
      namespaces: includesExcludes(entry.includedNamespaces, entry.excludedNamespaces),
      selector,
      initContainers,
      exec,
    },
    problems,
  };
}
