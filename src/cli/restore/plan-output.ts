/**
 * The restore dry run's `-o json|yaml` document, written as the plan is made: the header,
 * then each tier's operations as they come, then warnings, errors and the totals (last,
 * since they are known only at the end). Nothing but the current operation is held.
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { stringify } from 'yaml';
import {
  countOperation,
  emptyTotals,
  planTotals,
  type RestoreOperation,
  type RestorePlan,
  type RestorePlanStream,
} from '../../restore/index.ts';

/** One operation as data: the target without its request type, and no object body. */
export function operationDocument(op: RestoreOperation): Record<string, unknown> {
  const { type: _type, ...target } = op.target;
  const base = {
    action: op.kind,
    ...target,
    ...(op.warnings.length > 0 ? { warnings: op.warnings } : {}),
    ...(op.rewrites ? { rewrites: op.rewrites } : {}),
    ...(op.hooks ? { hooks: op.hooks } : {}),
  };
  switch (op.kind) {
    case 'skip':
      return { ...base, reason: op.reason, detail: op.detail };
    case 'fail':
      return { ...base, error: op.error };
    case 'update':
    case 'conflict':
      return { ...base, changes: op.changes };
    case 'create':
      return op.podVolumes ? { ...base, podVolumes: op.podVolumes } : base;
  }
}

/** The plan as data for `-o json|yaml` (a plan already in memory). */
export function planDocument(plan: RestorePlan): Record<string, unknown> {
  return {
    ...headerDocument(plan),
    tiers: plan.tiers.map((tier) => ({
      resources: tier.resources,
      ...(tier.wait ? { wait: tier.wait } : {}),
      operations: tier.operations.map(operationDocument),
    })),
    warnings: plan.warnings,
    errors: plan.errors,
    totals: planTotals(plan),
  };
}

function headerDocument(
  plan: Pick<RestorePlanStream, 'restoreName' | 'backupName' | 'policy'>,
): Record<string, unknown> {
  return { restoreName: plan.restoreName, backupName: plan.backupName, existingResourcePolicy: plan.policy };
}

/** Writes pieces to `out` in chunks of about 64 KiB, waiting for it to drain when it asks to. */
export async function writePieces(out: Writable, pieces: AsyncIterable<string>): Promise<void> {
  let chunk = '';
  const flush = async (): Promise<void> => {
    if (chunk !== '' && !out.write(chunk)) await once(out, 'drain');
    chunk = '';
  };
  for await (const piece of pieces) {
    chunk += piece;
    if (chunk.length >= 64 * 1024) await flush();
  }
  await flush();
}

/** `value` as `JSON.stringify(value, null, 2)` would print it `depth` levels down. */
function json(value: unknown, depth: number): string {
  return JSON.stringify(value, null, 2).replaceAll('\n', `\n${'  '.repeat(depth)}`);
}

/** The same text as `JSON.stringify(planDocument(plan), null, 2)` followed by a newline, in pieces. */
export async function* planJsonPieces(plan: RestorePlanStream): AsyncGenerator<string> {
  const totals = emptyTotals();
  const fields = (obj: Record<string, unknown>, depth: number): string =>
    Object.entries(obj)
      .map(([k, v]) => `${'  '.repeat(depth)}${JSON.stringify(k)}: ${json(v, depth)}`)
      .join(',\n');
  yield `{\n${fields(headerDocument(plan), 1)},\n  "tiers": [`;
  let tiers = 0;
  for await (const tier of plan.tiers) {
    const head = { resources: tier.resources, ...(tier.wait ? { wait: tier.wait } : {}) };
    yield `${tiers++ === 0 ? '' : ','}\n    {\n${fields(head, 3)},\n      "operations": [`;
    let ops = 0;
    for await (const op of tier.operations) {
      countOperation(totals, op);
      yield `${ops++ === 0 ? '' : ','}\n        ${json(operationDocument(op), 4)}`;
    }
    yield ops === 0 ? ']\n    }' : '\n      ]\n    }';
  }
  yield tiers === 0 ? '],\n' : '\n  ],\n';
  yield `${fields({ warnings: plan.warnings, errors: plan.errors, totals }, 1)}\n}\n`;
}

/** `value` as YAML, every line indented by `indent`, the first one after `first` instead. */
function yaml(value: unknown, first: string, indent: string): string {
  const text = stringify(value, { aliasDuplicateObjects: false }).replace(/\n$/, '');
  return `${first}${text.replaceAll('\n', `\n${indent}`)}\n`;
}

/** `planDocument` as YAML (a block sequence under each tier), in pieces. */
export async function* planYamlPieces(plan: RestorePlanStream): AsyncGenerator<string> {
  const totals = emptyTotals();
  yield yaml(headerDocument(plan), '', '');
  let tiers = 0;
  for await (const tier of plan.tiers) {
    if (tiers++ === 0) yield 'tiers:\n';
    yield yaml({ resources: tier.resources, ...(tier.wait ? { wait: tier.wait } : {}) }, '  - ', '    ');
    let ops = 0;
    for await (const op of tier.operations) {
      countOperation(totals, op);
      if (ops++ === 0) yield '    operations:\n';
      yield yaml(operationDocument(op), '      - ', '        ');
    }
    if (ops === 0) yield '    operations: []\n';
  }
  if (tiers === 0) yield 'tiers: []\n';
  yield yaml({ warnings: plan.warnings, errors: plan.errors, totals }, '', '');
}
