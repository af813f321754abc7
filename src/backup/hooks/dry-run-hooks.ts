/** The hooks a backup would run, pod by pod, for `backup create --dry-run` (reference §3.6). */
import { podRef } from '../../hooks/hook-values.ts';
import { formatMs } from '../../kube/exec.ts';
import type { KubeObject } from '../../kube/object.ts';
import type { ResolvedBackupHooks } from './hook-spec.ts';
import { planPodHooks, type PlannedHook } from './pod-hooks.ts';

export interface DryRunHook {
  phase: 'pre' | 'post';
  /** The spec entry's name, or `<from-annotation>`. */
  hook: string;
  container: string;
  command: string[];
  onError: string;
  timeout: string;
  /** Why it would fail without running (an unknown container). */
  invalid?: string;
}

export interface DryRunPodHooks {
  pod: string;
  /** In the order they would run: pre hooks, then post hooks. */
  hooks: DryRunHook[];
  /** Why the pod runs none (phase Succeeded or Failed). */
  skipped?: string;
}

/** The pod's hooks, or undefined when it has none; `warnings` receives its annotation problems. */
export function dryRunPodHooks(
  pod: KubeObject,
  hooks: ResolvedBackupHooks,
  warnings: string[],
): DryRunPodHooks | undefined {
  const plan = planPodHooks(pod, hooks);
  warnings.push(...plan.warnings);
  if (plan.skipped) return { pod: podRef(pod), hooks: [], skipped: plan.skipped };
  const all = [...plan.pre, ...plan.post];
  return all.length === 0 ? undefined : { pod: podRef(pod), hooks: all.map(dryRunHook) };
}

function dryRunHook(h: PlannedHook): DryRunHook {
  return {
    phase: h.phase,
    hook: h.name,
    container: h.container,
    command: h.command,
    onError: h.onError,
    timeout: formatMs(h.timeoutMs),
    ...(h.invalid ? { invalid: h.invalid } : {}),
  };
}

/** The text section: one block per pod, hooks numbered in running order. */
export function formatHookDryRun(pods: readonly DryRunPodHooks[]): string[] {
  if (pods.length === 0) return [];
  const out = [
    '',
    'Hooks that would run (per pod, in order; pre hooks before the pod is backed up, post hooks after):',
  ];
  for (const p of pods) {
    if (p.skipped) {
      out.push(`  ${p.pod}: none, ${p.skipped}`);
      continue;
    }
    out.push(`  ${p.pod}:`);
    p.hooks.forEach((h, i) => {
      const tail = h.invalid ? `: would fail: ${h.invalid}` : '';
      out.push(
        `    ${i + 1}. ${h.phase} ${h.hook} in container ${h.container || '<none>'}: ${JSON.stringify(h.command)} (on-error ${h.onError}, timeout ${h.timeout})${tail}`,
      );
    });
  }
  return out;
}
