import { formatPodRestoreHooks } from '../hooks/dry-run-hooks.ts';
import { movedDataLine } from '../actions/data-mover-actions.ts';
import { backendWaitOf, serviceName } from './backends.ts';
import { volumeLine } from '../volumes/pod-volumes.ts';
import {
  countOperation,
  emptyTotals,
  planTotals,
  type FieldChange,
  type PlanTotals,
  type RestoreOperation,
  type RestorePlan,
  type RestorePlanStream,
  type StreamedTier,
} from './types.ts';

export interface FormatPlanOptions {
  /** Also list items the filters leave out (`--explain`); off by default. */
  showExcluded?: boolean;
  /** Most field changes shown per object. */
  maxChanges?: number;
}

/**
 * The plan as `skiff restore create --dry-run` prints it: tier by tier, one line per object
 * with its operation, a compact diff under conflicts and updates, then warnings and totals.
 */
export function formatRestorePlan(plan: RestorePlan, opts: FormatPlanOptions = {}): string {
  const lines = [planHeading(plan)];
  plan.tiers.forEach((tier, i) => {
    const shown = new TierLines(opts);
    lines.push('', tierHeading(tier, i + 1));
    for (const op of tier.operations) lines.push(...shown.operation(op));
    lines.push(...shown.end());
  });
  lines.push(...planFooter(plan, planTotals(plan)));
  return `${lines.join('\n')}\n`;
}

/**
 * `formatRestorePlan` of a streamed plan, as pieces of text written as the plan is made:
 * the same text, without ever holding the plan.
 */
export async function* formatRestorePlanStream(
  plan: RestorePlanStream,
  opts: FormatPlanOptions = {},
): AsyncGenerator<string> {
  yield `${planHeading(plan)}\n`;
  const totals = emptyTotals();
  let n = 0;
  for await (const tier of plan.tiers) {
    const shown = new TierLines(opts);
    yield `\n${tierHeading(tier, ++n)}\n`;
    for await (const op of tier.operations) {
      countOperation(totals, op);
      const lines = shown.operation(op);
      if (lines.length > 0) yield `${lines.join('\n')}\n`;
    }
    const end = shown.end();
    if (end.length > 0) yield `${end.join('\n')}\n`;
  }
  yield `${planFooter(plan, totals).join('\n')}\n`;
}

function planHeading(plan: Pick<RestorePlanStream, 'restoreName' | 'backupName' | 'policy'>): string {
  return `Restore plan for ${plan.restoreName} from backup ${plan.backupName} (existing resource policy: ${plan.policy})`;
}

function planFooter(plan: Pick<RestorePlanStream, 'warnings' | 'errors'>, t: PlanTotals): string[] {
  const lines: string[] = [];
  if (plan.warnings.length > 0) lines.push('', 'Warnings:', ...plan.warnings.map((w) => `  ${w}`));
  if (plan.errors.length > 0) lines.push('', 'Errors:', ...plan.errors.map((e) => `  ${e}`));
  lines.push(
    '',
    `Totals: ${t.create} to create, ${t.update} to update, ${t.skip} skipped, ${t.conflict} in conflict, ${t.fail} failing (${t.items} items)`,
  );
  return lines;
}

function tierHeading(tier: Pick<StreamedTier, 'resources' | 'wait'>, n: number): string {
  const wait =
    tier.wait === 'established'
      ? ' (then wait until Established)'
      : tier.wait === 'active'
        ? ' (then wait until Active)'
        : tier.wait === 'backends'
          ? ' (each waits for its backend Services to have a ready endpoint)'
          : '';
  const title =
    tier.resources.length === 1
      ? (tier.resources[0] ?? '')
      : `${tier.resources.length} resource types: ${tier.resources.join(', ')}`;
  return `Tier ${n}: ${title}${wait}`;
}

/** A tier's operation lines, one operation at a time, and its closing note. */
class TierLines {
  private hidden = 0;
  private seen = 0;

  constructor(private readonly opts: FormatPlanOptions) {}

  operation(op: RestoreOperation): string[] {
    this.seen++;
    if (!this.opts.showExcluded && op.kind === 'skip' && (op.reason === 'excluded' || op.reason === 'non-restorable')) {
      this.hidden++;
      return [];
    }
    return formatOperation(op, this.opts.maxChanges ?? 20);
  }

  end(): string[] {
    const lines: string[] = [];
    const hidden = this.hidden;
    if (hidden > 0) lines.push(`  (${hidden} item${hidden === 1 ? '' : 's'} left out by the restore filters)`);
    if (this.seen === 0) lines.push('  (nothing)');
    return lines;
  }
}

function objectName(op: RestoreOperation): string {
  const { kind, namespace, name, sourceNamespace } = op.target;
  const moved = sourceNamespace !== undefined && sourceNamespace !== namespace ? ` (from ${sourceNamespace})` : '';
  return `${kind} ${namespace ? `${namespace}/` : ''}${name}${moved}`;
}

function formatOperation(op: RestoreOperation, maxChanges: number): string[] {
  const head = `  ${op.kind.padEnd(8)} ${objectName(op)}`;
  const lines: string[] = [];
  switch (op.kind) {
    case 'create':
      lines.push(op.awaitTermination ? `${head} (after the terminating namespace is gone)` : head);
      break;
    case 'skip':
      lines.push(`${head} (${op.reason}: ${op.detail})`);
      break;
    case 'fail':
      lines.push(`${head}: ${op.error}`);
      break;
    case 'update':
      lines.push(op.labelsOnly ? `${head} (restore labels only)` : head, ...formatChanges(op.changes, maxChanges));
      break;
    case 'conflict':
      lines.push(
        `${head} (exists and differs; not changed under policy none)`,
        ...formatChanges(op.changes, maxChanges),
      );
      break;
  }
  const backends = backendWaitOf(op);
  if (backends) {
    const names = backends.services.map((svc) => `Service ${serviceName(svc)}`).join(', ');
    lines.push(`             waits for a ready endpoint of ${names}`);
  }
  for (const r of op.rewrites ?? []) {
    lines.push(`             rewrite ${r.path}: ${JSON.stringify(r.from)} -> ${JSON.stringify(r.to)} (${r.action})`);
  }
  if (op.kind === 'create') {
    for (const v of op.podVolumes ?? []) lines.push(`             restores ${volumeLine(v)}`);
    if (op.dataDownload) lines.push(`             restores ${movedDataLine(op.dataDownload)}`);
  }
  if (op.hooks) lines.push(...formatPodRestoreHooks(op.hooks, '             '));
  for (const w of op.warnings) lines.push(`             warning: ${w}`);
  return lines;
}

function formatChanges(changes: readonly FieldChange[], max: number): string[] {
  const lines = changes.slice(0, max).map((c) => {
    if (c.op === 'add') return `             + ${c.path}: ${short(c.desired)}`;
    if (c.op === 'remove') return `             - ${c.path}: ${short(c.live)}`;
    return `             ~ ${c.path}: ${short(c.live)} -> ${short(c.desired)}`;
  });
  if (changes.length > max) lines.push(`             ... ${changes.length - max} more changes`);
  return lines;
}

function short(value: unknown): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
