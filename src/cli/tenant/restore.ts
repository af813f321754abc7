/** `skiff tenant restore create|get|describe|delete`: TenantRestores, which live in the target namespace. */
import { Command } from '@commander-js/extra-typings';
import { isRecord, type KubeObject } from '../../kube/object.ts';
import { TenantKinds } from '../../tenant/api/kinds.ts';
import { ExistingResourcePolicy } from '../../tenant/api/types.ts';
import { collect, parseOptionalBool, parseSelectorFlag, ProblemCollector, splitList } from '../flags.ts';
import { createTenantObject } from './create.ts';
import { tenantDeleteCommand, tenantDescribeCommand, tenantGetCommand, type TenantNoun } from './resource-commands.ts';
import { TenantContext } from './tenant-context.ts';

/** A restore's skipped items, one line each: what the user most needs from describe. */
function skippedLines(obj: KubeObject): string[] {
  const status = isRecord(obj.status) ? obj.status : {};
  const skipped = Array.isArray(status.skipped) ? status.skipped.filter(isRecord) : [];
  if (skipped.length === 0) return [];
  return [
    '',
    'Not restored:',
    ...skipped.map((s) => {
      const where = typeof s.namespace === 'string' && s.namespace ? `${s.namespace}/` : '';
      return `  ${String(s.kind)} ${where}${String(s.name)}: ${String(s.reason)}`;
    }),
  ];
}

export const RESTORE_NOUN: TenantNoun = {
  noun: 'restore',
  kind: TenantKinds.TenantRestore,
  describeExtra: skippedLines,
  viewResource: 'tenantrestores',
};

export interface TenantRestoreFlags {
  fromBackup?: string | undefined;
  includeResources?: string[] | undefined;
  excludeResources?: string[] | undefined;
  selector?: string | undefined;
  existingResourcePolicy?: string | undefined;
  restorePvs?: string | boolean | undefined;
}

/** Flags → the TenantRestore spec (requester apart); `target` is where the restore lives. */
export function buildTenantRestoreSpec(
  flags: TenantRestoreFlags,
  target: string,
): { spec: Record<string, unknown>; problems: string[] } {
  const p = new ProblemCollector();
  const spec: Record<string, unknown> = {};
  const from = flags.fromBackup ?? '';
  const parts = from.split('/');
  if (from === '' || parts.length > 2 || parts.some((s) => s === '')) {
    p.add('--from-backup is required: NAME (a TenantBackup of this namespace) or NAMESPACE/NAME');
  } else {
    spec.backupRef = parts.length === 2 ? { namespace: parts[0], name: parts[1] } : { namespace: target, name: from };
  }
  for (const [key, value] of [
    ['includedResources', flags.includeResources],
    ['excludedResources', flags.excludeResources],
  ] as const) {
    const items = splitList(value);
    if (items && items.length > 0) spec[key] = items;
  }
  if (flags.selector !== undefined) {
    const sel = p.attempt(() => parseSelectorFlag(flags.selector ?? ''));
    if (sel) spec.labelSelector = sel;
  }
  const policies: readonly string[] = Object.values(ExistingResourcePolicy);
  if (flags.existingResourcePolicy !== undefined) {
    if (policies.includes(flags.existingResourcePolicy)) spec.existingResourcePolicy = flags.existingResourcePolicy;
    else p.add(`--existing-resource-policy: "${flags.existingResourcePolicy}" is not one of ${policies.join(', ')}`);
  }
  const pvs = p.attempt(() => parseOptionalBool(flags.restorePvs, '--restore-pvs'));
  if (pvs !== undefined) spec.restorePVs = pvs;
  return { spec, problems: p.problems };
}

function createCommand() {
  return new Command('create')
    .description('Restore a TenantBackup into the namespace given by -n (default: the kubeconfig context’s)')
    .argument('<name>', 'name of the TenantRestore')
    .option('--from-backup <[namespace/]name>', 'the TenantBackup to restore; another namespace’s needs its consent')
    .option('--include-resources <list>', 'resources to restore (default: all namespaced ones)', collect)
    .option('--exclude-resources <list>', 'resources not to restore', collect)
    .option('-l, --selector <selector>', 'only items matching this label selector')
    .option('--existing-resource-policy <policy>', 'none (default: leave existing objects) or update')
    .option('--restore-pvs [bool]', 're-provision volumes and restore their data')
    .option('-w, --wait', 'wait until the restore has finished, then list what was not restored')
    .option('-o, --output <format>', 'print the TenantRestore (json|yaml) instead of creating it')
    .addHelpText(
      'after',
      `
The restore writes as you: what RBAC or admission refuses you is skipped and named in its status;
cluster-scoped objects are never restored. Restoring another namespace's backup needs get on it
there, or a RestoreGrant of that namespace naming this one (skiff tenant grant create).

Examples:
  # Restore your own backup
  skiff tenant restore create undo-upgrade -n team-a --from-backup before-upgrade --wait

  # Restore team-a's backup into team-c (you need rights in both, or team-a's grant)
  skiff tenant restore create copy -n team-c --from-backup team-a/before-upgrade --wait`,
    )
    .action(async (name, flags, cmd) => {
      const ctx = TenantContext.fromCommand(cmd);
      const built = buildTenantRestoreSpec(flags, ctx.namespace);
      const done = await createTenantObject(ctx, RESTORE_NOUN, name, { ...built, withRequester: true }, flags);
      if (flags.wait && done) for (const line of skippedLines(done)) console.log(line);
    });
}

export function tenantRestoreCommand() {
  return new Command('restore')
    .description('Restore TenantBackups into your namespaces, writing as you (TenantRestore)')
    .addCommand(createCommand())
    .addCommand(tenantGetCommand(RESTORE_NOUN))
    .addCommand(tenantDescribeCommand(RESTORE_NOUN))
    .addCommand(tenantDeleteCommand(RESTORE_NOUN, 'the restored objects stay'))
    .addHelpText(
      'after',
      `
Examples:
  skiff tenant restore create undo -n team-a --from-backup before-upgrade --wait
  skiff tenant restore describe undo -n team-a`,
    );
}
