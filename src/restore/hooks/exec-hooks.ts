/**
 * Restore exec hooks of one restored pod (reference §4.7), in the order they run: from the
 * pod's `post.hook.restore.velero.io/*` annotations when `command` is set (then only that
 * one), else every matching spec entry's `postHooks[].exec`, grouped per container (groups in
 * the order their containers first appear; hooks of a container in spec order). Pure.
 */
import { RestoreExecHookAnnotations } from '../../api/labels.ts';
import { HookErrorMode } from '../../api/schema.ts';
import {
  DEFAULT_HOOK_TIMEOUT_MS,
  ANNOTATION_HOOK_NAME,
  parseCommandValue,
  parseErrorMode,
  parseTimeout,
  podRef,
  withHookContainer,
} from '../../hooks/hook-values.ts';
import type { KubeObject } from '../../kube/object.ts';
import { matchingRestoreHooks, type ResolvedRestoreHook, type RestoreExecSpec } from './restore-hook-spec.ts';

export interface RestoreExecHook {
  /** The spec entry's name, or `<from-annotation>`. */
  name: string;
  container: string;
  command: string[];
  onError: HookErrorMode;
  execTimeoutMs: number;
  /** 0: no limit. */
  waitTimeoutMs: number;
  waitForReady: boolean;
  /** Set when the hook cannot run as written (an unknown container): it counts as failed. */
  invalid?: string;
}

export interface ContainerHooks {
  container: string;
  hooks: RestoreExecHook[];
}

export interface PodExecHookPlan {
  groups: ContainerHooks[];
  warnings: string[];
}

export function planRestoreExecHooks(
  pod: KubeObject,
  namespace: string,
  hooks: readonly ResolvedRestoreHook[],
): PodExecHookPlan {
  const warnings: string[] = [];
  const annotated = annotationHook(pod, warnings);
  const list =
    annotated === 'none'
      ? matchingRestoreHooks(hooks, pod, namespace).flatMap((h) => h.exec.map((e) => fromSpec(pod, h.name, e)))
      : annotated
        ? [annotated]
        : [];
  const groups: ContainerHooks[] = [];
  for (const hook of list) {
    const group = groups.find((g) => g.container === hook.container);
    if (group) group.hooks.push(hook);
    else groups.push({ container: hook.container, hooks: [hook] });
  }
  return { groups, warnings };
}

function fromSpec(pod: KubeObject, name: string, e: RestoreExecSpec): RestoreExecHook {
  return withHookContainer(pod, e.container, {
    name,
    command: e.command,
    onError: e.onError,
    execTimeoutMs: e.execTimeoutMs,
    waitTimeoutMs: e.waitTimeoutMs,
    waitForReady: e.waitForReady,
  });
}

/** `'none'` when the pod has no annotation hook; undefined when it has one that cannot run (warned). */
function annotationHook(pod: KubeObject, warnings: string[]): RestoreExecHook | 'none' | undefined {
  const ann = pod.metadata.annotations ?? {};
  const A = RestoreExecHookAnnotations;
  const warn = (key: string, detail: string): void =>
    void warnings.push(`pod ${podRef(pod)}: annotation ${key}: ${detail}`);
  const commandText = ann[A.Command];
  if (commandText === undefined) {
    for (const key of [A.Container, A.OnError, A.ExecTimeout, A.WaitTimeout, A.WaitForReady])
      if (ann[key] !== undefined) warn(key, `is set without ${A.Command}: no exec hook from annotations`);
    return 'none';
  }
  const command = parseCommandValue(commandText);
  if ('problem' in command) {
    warn(A.Command, `${command.problem}; the exec hook does not run`);
    return undefined;
  }
  let onError: HookErrorMode = HookErrorMode.Continue;
  const onErrorText = ann[A.OnError];
  if (onErrorText !== undefined) {
    const parsed = parseErrorMode(onErrorText);
    if ('problem' in parsed) warn(A.OnError, parsed.problem);
    else onError = parsed.value;
  }
  const time = (key: string, fallback: number, zero: number): number => {
    const text = ann[key];
    if (text === undefined || text === '') return fallback;
    const parsed = parseTimeout(text, key.split('/')[1] ?? key);
    if ('problem' in parsed) {
      warn(key, `${parsed.problem}; ${fallback === 0 ? 'no limit' : 'the default 30s'} applies`);
      return fallback;
    }
    return parsed.value === 0 ? zero : parsed.value;
  };
  let waitForReady = false;
  const ready = ann[A.WaitForReady];
  if (ready !== undefined) {
    if (ready === 'true' || ready === 'false') waitForReady = ready === 'true';
    else warn(A.WaitForReady, `must be true or false, not ${JSON.stringify(ready)}; false applies`);
  }
  return withHookContainer(pod, ann[A.Container], {
    name: ANNOTATION_HOOK_NAME,
    command: command.value,
    onError,
    execTimeoutMs: time(A.ExecTimeout, DEFAULT_HOOK_TIMEOUT_MS, DEFAULT_HOOK_TIMEOUT_MS),
    waitTimeoutMs: time(A.WaitTimeout, 0, 0),
    waitForReady,
  });
}
