/**
 * The hooks `restore create --dry-run` shows (reference §4.7): for each pod the restore would
 * create, its init containers in their final order (which ones hooks add) and its exec hooks
 * in the order they would run. Added to the streamed plan one operation at a time.
 */
import { formatMs } from '../../kube/exec.ts';
import { asArray, asRecord } from '../actions/types.ts';
import type { RestoreOperation, RestorePlanStream, StreamedTier } from '../plan/types.ts';
import { planRestoreExecHooks } from './exec-hooks.ts';
import { initHookContainers, restoreHooksOf } from './init-hooks.ts';

export interface DryRunRestoreExecHook {
  hook: string;
  container: string;
  command: string[];
  onError: string;
  execTimeout: string;
  /** `0s`: waits as long as it takes. */
  waitTimeout: string;
  waitFor: 'Running' | 'Ready';
  invalid?: string;
}

export interface PodRestoreHooks {
  /** Every init container of the restored pod, in order. */
  initContainers: string[];
  /** The ones init hooks add. */
  addedByHooks: string[];
  exec: DryRunRestoreExecHook[];
}

/** The plan with `hooks` set on each pod it would create that has any. */
export function withRestoreHookInfo(plan: RestorePlanStream): RestorePlanStream {
  const hooks = restoreHooksOf(plan.env.hooks);
  const annotate = (op: RestoreOperation): RestoreOperation => {
    if (op.kind !== 'create' || op.target.groupResource !== 'pods' || op.target.namespace === undefined) return op;
    const ns = op.target.namespace;
    const added = initHookContainers(op.object, ns, hooks, plan.restoreName).containers.map(nameOf);
    const exec = planRestoreExecHooks(op.object, ns, hooks).groups.flatMap((g) =>
      g.hooks.map((h): DryRunRestoreExecHook => ({
        hook: h.name,
        container: h.container,
        command: h.command,
        onError: h.onError,
        execTimeout: formatMs(h.execTimeoutMs),
        waitTimeout: formatMs(h.waitTimeoutMs),
        waitFor: h.waitForReady ? 'Ready' : 'Running',
        ...(h.invalid ? { invalid: h.invalid } : {}),
      })),
    );
    if (added.length === 0 && exec.length === 0) return op;
    const initContainers = asArray(asRecord(op.object.spec)?.initContainers).map(nameOf);
    return { ...op, hooks: { initContainers, addedByHooks: added, exec } };
  };
  async function* ops(tier: StreamedTier): AsyncGenerator<RestoreOperation> {
    for await (const op of tier.operations) yield annotate(op);
  }
  async function* tiers(): AsyncGenerator<StreamedTier> {
    for await (const tier of plan.tiers) yield { ...tier, operations: ops(tier) };
  }
  return { ...plan, tiers: tiers() };
}

function nameOf(container: unknown): string {
  const name = asRecord(container)?.name;
  return typeof name === 'string' ? name : '';
}

/** Text lines under a pod's operation in the dry run. */
export function formatPodRestoreHooks(hooks: PodRestoreHooks, indent: string): string[] {
  const out: string[] = [];
  if (hooks.addedByHooks.length > 0) {
    const added = new Set(hooks.addedByHooks);
    const list = hooks.initContainers.map((n) => (added.has(n) ? `${n} (init hook)` : n)).join(', ');
    out.push(`${indent}init containers: ${list}`);
  }
  hooks.exec.forEach((h, i) => {
    const wait = h.waitTimeout === '0s' ? 'no wait limit' : `waits up to ${h.waitTimeout}`;
    const tail = h.invalid ? `: would fail: ${h.invalid}` : '';
    out.push(
      `${indent}exec hook ${i + 1}: ${h.hook} in container ${h.container || '<none>'} once ${h.waitFor}: ${JSON.stringify(h.command)} (onError ${h.onError}, execTimeout ${h.execTimeout}, ${wait})${tail}`,
    );
  });
  return out;
}
