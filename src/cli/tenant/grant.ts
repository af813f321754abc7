/** `skiff tenant grant create|get|describe|delete`: RestoreGrants, a namespace's consent to restore its backups elsewhere. */
import { Command } from '@commander-js/extra-typings';
import { TenantKinds } from '../../tenant/api/kinds.ts';
import { parseDuration } from '../../util/duration.ts';
import { errorMessage } from '../../util/errors.ts';
import { collect, ProblemCollector, splitList } from '../flags.ts';
import { createTenantObject } from './create.ts';
import { tenantDeleteCommand, tenantDescribeCommand, tenantGetCommand, type TenantNoun } from './resource-commands.ts';
import { TenantContext } from './tenant-context.ts';

export const GRANT_NOUN: TenantNoun = { noun: 'grant', kind: TenantKinds.RestoreGrant };

export interface GrantFlags {
  backups?: string[] | undefined;
  to?: string[] | undefined;
  expires?: string | undefined;
  for?: string | undefined;
}

/** RFC 3339 in whole seconds, as the API server stores date-times. */
function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

/** Flags → the RestoreGrant spec; `now` anchors `--for`. */
export function buildGrantSpec(flags: GrantFlags, now: Date): { spec: Record<string, unknown>; problems: string[] } {
  const p = new ProblemCollector();
  const spec: Record<string, unknown> = {};
  const backups = splitList(flags.backups) ?? [];
  if (backups.length === 0) p.add("--backups is required: TenantBackup names of this namespace, or '*' for all");
  else spec.backups = backups;
  const targets = splitList(flags.to) ?? [];
  if (targets.length === 0) p.add('--to is required: the namespaces whose TenantRestores may use the backups');
  else spec.targetNamespaces = targets;
  if ((flags.expires === undefined) === (flags.for === undefined)) {
    p.add('give one of --expires (an RFC 3339 time) or --for (a duration such as 24h)');
  } else if (flags.expires !== undefined) {
    const at = Date.parse(flags.expires);
    if (Number.isNaN(at)) p.add(`--expires: "${flags.expires}" is not an RFC 3339 time, e.g. 2026-12-31T00:00:00Z`);
    else spec.expires = rfc3339(at);
  } else {
    try {
      spec.expires = rfc3339(now.getTime() + parseDuration(flags.for ?? '', '--for'));
    } catch (err) {
      p.add(`--for: ${errorMessage(err)}`);
    }
  }
  return { spec, problems: p.problems };
}

function createCommand() {
  return new Command('create')
    .description('Let other namespaces restore TenantBackups of this one (-n), until a time')
    .argument('<name>', 'name of the RestoreGrant')
    .option('--backups <list>', "TenantBackup names of this namespace, or '*' for all", collect)
    .option('--to <namespaces>', 'namespaces whose TenantRestores may restore them', collect)
    .option('--expires <time>', 'until when, RFC 3339 (e.g. 2026-12-31T00:00:00Z)')
    .option('--for <duration>', 'until now + this duration (e.g. 24h)')
    .option('-o, --output <format>', 'print the RestoreGrant (json|yaml) instead of creating it')
    .addHelpText(
      'after',
      `
Needs create on restoregrants (skiff-tenant-admin) in this namespace. The restore still runs as the
restoring user, with their rights in the target namespace.

Examples:
  skiff tenant grant create to-staging -n team-a --backups before-upgrade --to team-c --for 24h
  skiff tenant grant create all-to-dr -n team-a --backups '*' --to team-a-dr --expires 2027-01-31T00:00:00Z`,
    )
    .action(async (name, flags, cmd) => {
      const ctx = TenantContext.fromCommand(cmd);
      const built = buildGrantSpec(flags, new Date());
      await createTenantObject(ctx, GRANT_NOUN, name, { ...built, withRequester: false }, flags);
    });
}

export function tenantGrantCommand() {
  return new Command('grant')
    .description("Consent to restoring this namespace's backups into other namespaces (RestoreGrant)")
    .addCommand(createCommand())
    .addCommand(tenantGetCommand(GRANT_NOUN))
    .addCommand(tenantDescribeCommand(GRANT_NOUN))
    .addCommand(tenantDeleteCommand(GRANT_NOUN, 'restores not yet started that rely on it are refused'))
    .addHelpText(
      'after',
      `
Examples:
  skiff tenant grant create to-staging -n team-a --backups before-upgrade --to team-c --for 24h
  skiff tenant grant get -n team-a`,
    );
}
