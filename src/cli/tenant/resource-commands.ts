/**
 * The verbs every `skiff tenant <noun>` shares: get, describe, delete, and waiting for an
 * operation to finish. They read the tenant kinds' metadata (printer columns) from
 * src/tenant/api/kinds.ts, so a column added to a CRD shows here too.
 */
import { Command } from '@commander-js/extra-typings';
import { stringify } from 'yaml';
import { isRecord, type KubeObject } from '../../kube/object.ts';
import { tenantResource, type TenantKindInfo } from '../../tenant/api/kinds.ts';
import { CommandFailedError, FlagError } from '../errors.ts';
import { formatObjects, formatTable, humanDuration, parseOutputFormat } from '../output.ts';
import { confirmed } from '../prompt.ts';
import { newestFirst } from '../resources.ts';
import type { ViewResource } from '../../tenant/view/api.ts';
import { waitForTerminalPhase } from '../wait-for-phase.ts';
import { fetchTenantDetails, tenantDetailsLines } from './logs.ts';
import { TenantContext } from './tenant-context.ts';

/** What a noun (`backup`, `restore`, `schedule`, `grant`) is made of. */
export interface TenantNoun {
  /** The word after `skiff tenant`. */
  noun: string;
  kind: TenantKindInfo;
  /** Extra `describe` lines after the common ones (e.g. a restore's skipped items). */
  describeExtra?: (obj: KubeObject) => string[];
  /** The view.skiff.dev resource whose `details` `describe --details` reads (operations only). */
  viewResource?: ViewResource;
}

/** `.status.phase`-style paths of printer columns: plain field paths only. */
export function valueAt(obj: unknown, jsonPath: string): unknown {
  let cur: unknown = obj;
  for (const key of jsonPath.replace(/^\./, '').split('.')) {
    if (!isRecord(cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}

function cellText(value: unknown, type: string, now: Date): string {
  if (value === undefined || value === null || value === '') return '';
  if (type === 'date' && typeof value === 'string') {
    const ms = now.getTime() - Date.parse(value);
    if (Number.isNaN(ms)) return value;
    return ms >= 0 ? humanDuration(ms) : `in ${humanDuration(-ms)}`;
  }
  if (Array.isArray(value)) return value.map(String).join(',');
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The kind's table: NAME, then its printer columns (those kubectl shows without -o wide). */
export function formatTenantTable(kind: TenantKindInfo, objects: readonly KubeObject[], now: Date): string {
  const columns = kind.printerColumns.filter((c) => !c.priority);
  return formatTable(
    ['NAME', ...columns.map((c) => c.name.toUpperCase())],
    objects.map((o) => [o.metadata.name ?? '', ...columns.map((c) => cellText(valueAt(o, c.jsonPath), c.type, now))]),
  );
}

function indented(value: unknown): string {
  return stringify(value, { aliasDuplicateObjects: false })
    .trimEnd()
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

/** Human text for one tenant object: who asked, the spec as given, and the status. */
export function describeTenantObject(noun: TenantNoun, obj: KubeObject): string {
  const spec = isRecord(obj.spec) ? { ...obj.spec } : {};
  const requester = isRecord(spec.requester) ? spec.requester : undefined;
  delete spec.requester;
  const status = isRecord(obj.status) ? obj.status : {};
  const lines = [
    `Name:         ${obj.metadata.name ?? ''}`,
    `Namespace:    ${obj.metadata.namespace ?? ''}`,
    `Kind:         ${noun.kind.kind}`,
  ];
  if (requester) {
    const groups = Array.isArray(requester.groups) ? ` (groups: ${requester.groups.join(', ')})` : '';
    lines.push(`Requester:    ${String(requester.username)}${groups}`);
  }
  if (noun.kind.kind.startsWith('Tenant'))
    lines.push(`Phase:        ${typeof status.phase === 'string' ? status.phase : 'New'}`);
  lines.push(`Created:      ${obj.metadata.creationTimestamp ?? ''}`);
  if (obj.metadata.deletionTimestamp) lines.push(`Deleting:     since ${obj.metadata.deletionTimestamp}`);
  lines.push('', 'Spec:', Object.keys(spec).length > 0 ? indented(spec) : '  (defaults)');
  const shown = { ...status };
  delete shown.phase;
  if (Object.keys(shown).length > 0) lines.push('', 'Status:', indented(shown));
  lines.push(...(noun.describeExtra?.(obj) ?? []));
  return lines.join('\n') + '\n';
}

async function fetchObjects(
  ctx: TenantContext,
  noun: TenantNoun,
  names: readonly string[],
  selector: string | undefined,
): Promise<KubeObject[]> {
  const cluster = ctx.cluster();
  const namespace = ctx.namespace;
  const ref = tenantResource(noun.kind);
  if (names.length === 0) {
    const items = await ctx.withPermission({ verb: 'list', kind: noun.kind, namespace }, async () => {
      const out: KubeObject[] = [];
      const type = { ...ref, kind: noun.kind.kind, namespaced: true, verbs: ['list'] };
      for await (const o of cluster.list(type, { namespace, ...(selector ? { labelSelector: selector } : {}) }))
        out.push(o);
      return out;
    });
    return newestFirst(items);
  }
  const out: KubeObject[] = [];
  const missing: string[] = [];
  for (const name of names) {
    const obj = await ctx.withPermission({ verb: 'get', kind: noun.kind, namespace, name }, () =>
      cluster.find(ref, name, namespace),
    );
    if (obj) out.push(obj);
    else missing.push(`${noun.kind.singular} ${name} not found in namespace ${namespace}`);
  }
  if (missing.length > 0) throw new FlagError(missing);
  return out;
}

export function tenantGetCommand(noun: TenantNoun) {
  return new Command('get')
    .description(`List ${noun.kind.kind}s of the namespace (-n, default: the kubeconfig context's)`)
    .argument('[names...]', `${noun.kind.kind}s to show (default: all)`)
    .option('-l, --selector <selector>', 'only those whose labels match this selector')
    .option('-o, --output <format>', 'table, json or yaml', 'table')
    .addHelpText(
      'after',
      `
Examples:
  skiff tenant ${noun.noun} get -n team-a
  skiff tenant ${noun.noun} get NAME -o yaml`,
    )
    .action(async (names, flags, cmd) => {
      const ctx = TenantContext.fromCommand(cmd);
      const output = parseOutputFormat(flags.output) ?? 'table';
      const objects = await fetchObjects(ctx, noun, names, flags.selector);
      if (output !== 'table') {
        process.stdout.write(formatObjects(objects, output, names.length !== 1));
        return;
      }
      if (objects.length === 0) {
        console.log(`No ${noun.kind.kind}s found in namespace ${ctx.namespace}.`);
        return;
      }
      process.stdout.write(formatTenantTable(noun.kind, objects, new Date()));
    });
}

export function tenantDescribeCommand(noun: TenantNoun) {
  return new Command('describe')
    .description(`Describe ${noun.kind.kind}s: requester, spec and status`)
    .argument('[names...]', `${noun.kind.kind}s to describe (default: all)`)
    .option('-l, --selector <selector>', 'only those whose labels match this selector')
    .option('-o, --output <format>', 'json or yaml instead of text')
    .option(
      '--details',
      'also the resource list, warnings and errors, and volumes (through view.skiff.dev; needs get on <kind>/details)',
    )
    .addHelpText(
      'after',
      `
Examples:
  skiff tenant ${noun.noun} describe NAME -n team-a${noun.viewResource ? `\n  skiff tenant ${noun.noun} describe NAME -n team-a --details` : ''}`,
    )
    .action(async (names, flags, cmd) => {
      const ctx = TenantContext.fromCommand(cmd);
      const output = parseOutputFormat(flags.output, ['json', 'yaml']);
      const view = noun.viewResource;
      if (flags.details && !view) throw new FlagError([`--details: a ${noun.kind.kind} has no details to show`]);
      if (flags.details && output) throw new FlagError(['--details shows text: leave out -o']);
      const objects = await fetchObjects(ctx, noun, names, flags.selector);
      if (output) {
        process.stdout.write(formatObjects(objects, output, names.length !== 1));
        return;
      }
      const texts: string[] = [];
      for (const o of objects) {
        const details =
          flags.details && view
            ? tenantDetailsLines(await fetchTenantDetails(ctx.cluster(), view, ctx.namespace, o.metadata.name ?? ''))
            : [];
        texts.push(describeTenantObject(noun, o) + details.map((l) => `${l}\n`).join(''));
      }
      process.stdout.write(texts.join('\n'));
    });
}

export function tenantDeleteCommand(noun: TenantNoun, consequence: string) {
  return new Command('delete')
    .description(`Delete ${noun.kind.kind}s${consequence ? `: ${consequence}` : ''}`)
    .argument('<names...>', `${noun.kind.kind}s to delete`)
    .option('--confirm', 'do not ask for confirmation')
    .addHelpText(
      'after',
      `
Examples:
  skiff tenant ${noun.noun} delete NAME -n team-a --confirm`,
    )
    .action(async (names, flags, cmd) => {
      const ctx = TenantContext.fromCommand(cmd);
      const namespace = ctx.namespace;
      const what = `Deleting ${noun.kind.kind} ${names.join(', ')} in namespace ${namespace}.`;
      if (!(await confirmed(what, flags.confirm))) {
        console.log('Cancelled.');
        return;
      }
      const missing: string[] = [];
      for (const name of names) {
        const deleted = await ctx.withPermission({ verb: 'delete', kind: noun.kind, namespace, name }, () =>
          ctx.cluster().delete(tenantResource(noun.kind), name, namespace),
        );
        if (deleted) console.log(`${noun.kind.kind} "${name}" deleted.`);
        else missing.push(`${noun.kind.singular} ${name} not found in namespace ${namespace}`);
      }
      if (missing.length > 0) throw new FlagError(missing);
    });
}

interface OperationStatus {
  phase?: string;
  failureReason?: string;
  validationErrors?: string[];
  warnings?: number;
  errors?: number;
  itemsBackedUp?: number;
  itemsRestored?: number;
  totalItems?: number;
  queuePosition?: number;
}

/**
 * `create --wait` of a TenantBackup or TenantRestore: a line per change of phase (and the
 * queue position), then the outcome; Failed and FailedValidation exit non-zero.
 */
export async function waitForTenantOperation(ctx: TenantContext, noun: TenantNoun, name: string): Promise<KubeObject> {
  const namespace = ctx.namespace;
  console.log(
    `Waiting for ${noun.kind.kind} ${name} to finish. You may safely press ctrl-c to stop waiting: it carries on.`,
  );
  let last = '';
  const final = await ctx.withPermission({ verb: 'watch', kind: noun.kind, namespace, name }, () =>
    waitForTerminalPhase<KubeObject & { status?: OperationStatus }>(
      ctx.cluster(),
      noun.kind,
      { namespace, name },
      (obj) => {
        const s = obj.status ?? {};
        const done = s.itemsBackedUp ?? s.itemsRestored;
        const line = [
          s.phase ?? 'New',
          s.phase === 'Queued' && s.queuePosition ? `(position ${s.queuePosition} in this namespace's queue)` : '',
          done !== undefined && s.totalItems ? `${done}/${s.totalItems} items` : '',
        ]
          .filter(Boolean)
          .join(' ');
        if (line !== last) console.log(`  ${line}`);
        last = line;
      },
    ),
  );
  const status = final.status ?? {};
  const phase = status.phase ?? 'New';
  console.log(`${noun.kind.kind} ${name} finished with phase ${phase}.`);
  const describe = `skiff tenant ${noun.noun} describe ${name} -n ${namespace}`;
  if (phase === 'FailedValidation') {
    for (const e of status.validationErrors ?? []) console.log(`  - ${e}`);
    throw new CommandFailedError(`${noun.kind.kind} ${name} failed validation`);
  }
  if (phase === 'Failed') {
    throw new CommandFailedError(`${noun.kind.kind} ${name} failed: ${status.failureReason ?? `see ${describe}`}`);
  }
  if (phase === 'PartiallyFailed' || (status.warnings ?? 0) > 0) {
    console.log(`It had ${status.errors ?? 0} error(s) and ${status.warnings ?? 0} warning(s): run \`${describe}\`.`);
  }
  return final;
}
