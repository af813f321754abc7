/**
 * Which exec hooks run in one pod, in order, for each phase of its backup (reference §3.6):
 * the pod's hook annotations if it has them for that phase, else every matching
 * `spec.hooks.resources[]` entry in list order. Pure: the runner and the dry run both use it.
 */
import { BackupHookAnnotation, BackupHookAnnotationPrefix } from '../../api/labels.ts';
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
import { matches, shouldInclude } from '../../selection/index.ts';
import type { HookPhase, ResolvedBackupHooks, SpecExecHook } from './hook-spec.ts';

export interface PlannedHook {
  phase: HookPhase;
  /** The spec entry's name, or `<from-annotation>`. */
  name: string;
  source: 'annotation' | 'spec';
  container: string;
  command: string[];
  onError: HookErrorMode;
  timeoutMs: number;
  /** Set when the hook cannot run as written (an unknown container): it counts as a failed hook. */
  invalid?: string;
}

export interface PodHookPlan {
  pre: PlannedHook[];
  post: PlannedHook[];
  /** Why the pod runs no hooks although some are declared (phase Succeeded or Failed). */
  skipped?: string;
  /** Hook annotations that are written wrongly, each naming the pod and the annotation. */
  warnings: string[];
}

const FINISHED_PHASES = new Set(['Succeeded', 'Failed']);

export function planPodHooks(pod: KubeObject, hooks: ResolvedBackupHooks): PodHookPlan {
  const plan: PodHookPlan = { pre: [], post: [], warnings: [] };
  for (const phase of ['pre', 'post'] as const) {
    const annotated = annotationHook(pod, phase, plan.warnings);
    plan[phase] = annotated === 'none' ? specHooks(pod, phase, hooks) : annotated ? [annotated] : [];
  }
  const podPhase = (pod.status as { phase?: unknown } | undefined)?.phase;
  if ((plan.pre.length > 0 || plan.post.length > 0) && typeof podPhase === 'string' && FINISHED_PHASES.has(podPhase)) {
    return { pre: [], post: [], warnings: plan.warnings, skipped: `the pod is ${podPhase}` };
  }
  return plan;
}

/** Whether the pod declares any backup hook annotation (a cheap test before planning). */
export function hasHookAnnotations(pod: KubeObject): boolean {
  const ann = pod.metadata.annotations;
  if (!ann) return false;
  for (const key of Object.keys(ann)) if (key.includes('hook.backup.velero.io/')) return true;
  return false;
}

/**
 * The phase's annotation hook; `'none'` when the pod declares none for the phase (spec hooks
 * apply), undefined when it declares one that cannot run (warned about; no spec hook replaces it).
 */
function annotationHook(pod: KubeObject, phase: HookPhase, warnings: string[]): PlannedHook | 'none' | undefined {
  const ann = pod.metadata.annotations ?? {};
  const phasePrefix = phase === 'pre' ? BackupHookAnnotationPrefix.Pre : BackupHookAnnotationPrefix.Post;
  const key = (prefix: string, suffix: string): string => `${prefix}${suffix}`;
  // The legacy un-prefixed form is a pre hook, used only when no `pre.` command exists.
  const prefix =
    phase === 'pre' &&
    ann[key(phasePrefix, BackupHookAnnotation.Command)] === undefined &&
    ann[key(BackupHookAnnotationPrefix.Legacy, BackupHookAnnotation.Command)] !== undefined
      ? BackupHookAnnotationPrefix.Legacy
      : phasePrefix;
  const get = (suffix: string): string | undefined => ann[key(prefix, suffix)];
  const warn = (suffix: string, detail: string): void =>
    void warnings.push(`pod ${podRef(pod)}: annotation ${key(prefix, suffix)}: ${detail}`);
  const commandText = get(BackupHookAnnotation.Command);
  if (commandText === undefined) {
    for (const s of [BackupHookAnnotation.Container, BackupHookAnnotation.OnError, BackupHookAnnotation.Timeout]) {
      if (get(s) !== undefined) warn(s, `is set without ${key(prefix, BackupHookAnnotation.Command)}: no hook runs`);
    }
    return 'none';
  }
  const command = parseCommandValue(commandText);
  if ('problem' in command) {
    warn(BackupHookAnnotation.Command, `${command.problem}; the ${phase} hook does not run`);
    return undefined;
  }
  let onError: HookErrorMode = HookErrorMode.Continue;
  const onErrorText = get(BackupHookAnnotation.OnError);
  if (onErrorText !== undefined) {
    const parsed = parseErrorMode(onErrorText);
    if ('problem' in parsed) warn(BackupHookAnnotation.OnError, parsed.problem);
    else onError = parsed.value;
  }
  let timeoutMs = DEFAULT_HOOK_TIMEOUT_MS;
  const timeoutText = get(BackupHookAnnotation.Timeout);
  if (timeoutText !== undefined && timeoutText !== '') {
    const parsed = parseTimeout(timeoutText, 'timeout');
    if ('problem' in parsed) warn(BackupHookAnnotation.Timeout, `${parsed.problem}; the default 30s applies`);
    else if (parsed.value > 0) timeoutMs = parsed.value;
  }
  const named = get(BackupHookAnnotation.Container);
  return withHookContainer(pod, named, {
    phase,
    name: ANNOTATION_HOOK_NAME,
    source: 'annotation' as const,
    command: command.value,
    onError,
    timeoutMs,
  });
}

function specHooks(pod: KubeObject, phase: HookPhase, hooks: ResolvedBackupHooks): PlannedHook[] {
  const ns = pod.metadata.namespace ?? '';
  const labels = pod.metadata.labels ?? {};
  const out: PlannedHook[] = [];
  for (const entry of hooks.resources) {
    if (!shouldInclude(entry.namespaces, ns) || !matches(entry.selector, labels)) continue;
    for (const h of entry[phase]) out.push(fromSpec(pod, phase, entry.name, h));
  }
  return out;
}

function fromSpec(pod: KubeObject, phase: HookPhase, name: string, h: SpecExecHook): PlannedHook {
  return withHookContainer(pod, h.container, {
    phase,
    name,
    source: 'spec' as const,
    command: h.command,
    onError: h.onError,
    timeoutMs: h.timeoutMs,
  });
}
