/**
 * Values shared by backup and restore hooks (reference §3.6, §4.7): commands written in an
 * annotation, error modes, time limits, and the containers a hook may name.
 */
import { HookErrorMode } from '../api/schema.ts';
import type { KubeObject } from '../kube/object.ts';
import { parseDuration } from '../util/duration.ts';
import { errorMessage } from '../util/errors.ts';

/** Default time limit of a hook's command (reference App. B). */
export const DEFAULT_HOOK_TIMEOUT_MS = 30_000;

export type ParsedValue<T> = { value: T } | { problem: string };

/**
 * A command annotation: a value starting with `[` is a JSON array of strings; anything else
 * is the whole argv[0] (no shell). An empty command is refused.
 */
export function parseCommandValue(text: string): ParsedValue<string[]> {
  const trimmed = text.trim();
  if (trimmed === '') return { problem: 'the command is empty' };
  if (!trimmed.startsWith('[')) return { value: [text] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch (err) {
    return { problem: `the command starts with "[" but is not a JSON array: ${errorMessage(err)}` };
  }
  if (!Array.isArray(parsed)) return { problem: 'the command must be a JSON array of strings' };
  const argv = parsed.filter((a): a is string => typeof a === 'string');
  if (argv.length !== parsed.length) return { problem: 'the command must be a JSON array of strings' };
  if (argv.length === 0 || argv[0]?.trim() === '') return { problem: 'the command is empty' };
  return { value: argv };
}

/** `Continue` or `Fail` (case as written by Velero); anything else is a problem, and Continue applies. */
export function parseErrorMode(text: string): ParsedValue<HookErrorMode> {
  if (text === HookErrorMode.Fail || text === HookErrorMode.Continue) return { value: text };
  return { problem: `on-error must be Continue or Fail, not ${JSON.stringify(text)}; Continue applies` };
}

/** A Go duration; `what` names it in the problem. */
export function parseTimeout(text: string, what: string): ParsedValue<number> {
  try {
    const ms = parseDuration(text, what);
    if (ms < 0) return { problem: `invalid ${what} "${text}": a duration may not be negative` };
    return { value: ms };
  } catch (err) {
    return { problem: errorMessage(err) };
  }
}

interface ContainerLike {
  name?: unknown;
  restartPolicy?: unknown;
}

/**
 * Containers an exec hook may run in: the pod's containers, then its sidecar init containers
 * (restartPolicy Always), which run alongside them (reference §3.6).
 */
export function execTargets(pod: KubeObject): string[] {
  const spec = (pod.spec ?? {}) as { containers?: ContainerLike[]; initContainers?: ContainerLike[] };
  const names = (list: ContainerLike[] | undefined, keep: (c: ContainerLike) => boolean): string[] =>
    (list ?? []).filter(keep).flatMap((c) => (typeof c.name === 'string' ? [c.name] : []));
  return [...names(spec.containers, () => true), ...names(spec.initContainers, (c) => c.restartPolicy === 'Always')];
}

/** The container a hook runs in: the named one, else the pod's first container; or why none fits. */
export function hookContainer(pod: KubeObject, named: string | undefined): ParsedValue<string> {
  const targets = execTargets(pod);
  if (named === undefined || named === '') {
    const first = targets[0];
    return first === undefined ? { problem: 'the pod has no container' } : { value: first };
  }
  if (targets.includes(named)) return { value: named };
  return { problem: `container ${JSON.stringify(named)} is not in the pod (it has ${targets.join(', ') || 'none'})` };
}

/** Velero's name for a hook declared by annotations. */
export const ANNOTATION_HOOK_NAME = '<from-annotation>';

/** A hook with its container resolved (`hookContainer`); one that fits no container carries why, as `invalid`. */
export function withHookContainer<T extends object>(
  pod: KubeObject,
  named: string | undefined,
  hook: T,
): T & { container: string; invalid?: string } {
  const container = hookContainer(pod, named);
  if ('value' in container) return { ...hook, container: container.value };
  return { ...hook, container: named ?? '', invalid: container.problem };
}

export function podRef(pod: KubeObject): string {
  return `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
}
