/**
 * Creating a tenant object as the user: `spec.requester` comes from a SelfSubjectReview (what
 * admission compares it with), a 403 names the missing permission, and `-o` prints the object
 * instead of sending it, as `skiff backup create -o` does.
 */
import type { KubeObject } from '../../kube/object.ts';
import { tenantResource } from '../../tenant/api/kinds.ts';
import { TENANT_API_VERSION } from '../../tenant/api/types.ts';
import { createNew, throwIfProblems } from '../errors.ts';
import { formatObjects, parseOutputFormat } from '../output.ts';
import { waitForTenantOperation, type TenantNoun } from './resource-commands.ts';
import type { TenantContext } from './tenant-context.ts';

export interface CreateFlags {
  output?: string | undefined;
  wait?: boolean | undefined;
}

/**
 * Builds `{requester, ...spec}` (when `withRequester`), then prints or creates it; with `wait`,
 * follows it to its end. `problems` (every flag error found) stop it before anything is sent.
 */
export async function createTenantObject(
  ctx: TenantContext,
  noun: TenantNoun,
  name: string,
  built: { spec: Record<string, unknown>; problems: readonly string[]; withRequester: boolean },
  flags: CreateFlags,
): Promise<KubeObject | undefined> {
  const output = parseOutputFormat(flags.output, ['json', 'yaml']);
  throwIfProblems(built.problems);
  const namespace = ctx.namespace;
  const spec = built.withRequester ? { requester: await ctx.requester(), ...built.spec } : built.spec;
  const obj: KubeObject = { apiVersion: TENANT_API_VERSION, kind: noun.kind.kind, metadata: { name, namespace }, spec };
  if (output) {
    process.stdout.write(formatObjects([obj], output));
    return undefined;
  }
  const created = await createNew(
    () =>
      ctx.withPermission({ verb: 'create', kind: noun.kind, namespace }, () =>
        ctx.cluster().create(tenantResource(noun.kind), obj),
      ),
    `${noun.kind.kind} ${name} already exists in namespace ${namespace}: choose another name`,
  );
  const who = built.withRequester ? ` as ${(await ctx.user()).username}` : '';
  console.log(`${noun.kind.kind} "${name}" created in namespace ${namespace}${who}.`);
  if (!flags.wait) {
    console.log(`Run \`skiff tenant ${noun.noun} describe ${name} -n ${namespace}\` for its progress.`);
    return created;
  }
  return waitForTenantOperation(ctx, noun, name);
}
