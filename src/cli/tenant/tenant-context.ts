/**
 * What a `skiff tenant` verb needs: the tenant namespace (not the server's: tenants never touch
 * it), the user as the API server knows them, and errors that name the missing permission.
 */
import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import type { AccessAttributes } from '../../kube/access-review.ts';
import { Cluster } from '../../kube/cluster.ts';
import { KubeClient } from '../../kube/client.ts';
import { KubeApiError } from '../../kube/errors.ts';
import type { UserIdentity } from '../../kube/impersonation.ts';
import { isRecord } from '../../kube/object.ts';
import { whoAmI } from '../../kube/self-review.ts';
import { SkiffError } from '../../util/errors.ts';
import type { TenantKindInfo } from '../../tenant/api/kinds.ts';
import type { Requester } from '../../tenant/api/types.ts';
import { TENANT_ROLES } from '../../tenant/rbac.ts';

/** A 403 the CLI has explained: the permission the user lacks, or what admission refused. */
export class TenantPermissionError extends SkiffError {
  readonly code = 'TenantPermission';
}

/** kubectl's rule for the namespace: the flag, then the kubeconfig context's, then `default`. */
export function tenantNamespaceOf(flag: string | undefined, contextNamespace: string | undefined): string {
  return flag || contextNamespace || 'default';
}

export class TenantContext {
  private opened: Cluster | undefined;
  private me: Promise<UserIdentity> | undefined;

  constructor(
    private readonly flags: { kubeconfig?: string | undefined; kubecontext?: string | undefined; namespace?: string },
  ) {}

  /** Reads the global flags (`-n` is the tenant namespace here) wherever they were given. */
  static fromCommand(cmd: CommandUnknownOpts): TenantContext {
    const all = cmd.optsWithGlobals() as Record<string, unknown>;
    const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
    const namespace = str(all.namespace);
    return new TenantContext({
      kubeconfig: str(all.kubeconfig),
      kubecontext: str(all.kubecontext),
      ...(namespace ? { namespace } : {}),
    });
  }

  cluster(): Cluster {
    this.opened ??= new Cluster(
      KubeClient.fromKubeconfig({ kubeconfig: this.flags.kubeconfig, context: this.flags.kubecontext }),
    );
    return this.opened;
  }

  /** `-n`, else the namespace of the kubeconfig's current context, else `default`. */
  get namespace(): string {
    const kc = this.cluster().client.kubeConfig;
    const context: unknown = kc.getContextObject(kc.getCurrentContext());
    const fromContext = isRecord(context) && typeof context.namespace === 'string' ? context.namespace : undefined;
    return tenantNamespaceOf(this.flags.namespace, fromContext);
  }

  /** The user as admission sees them (a SelfSubjectReview), asked once. */
  user(): Promise<UserIdentity> {
    this.me ??= whoAmI(this.cluster());
    return this.me;
  }

  /** `spec.requester`: exactly what admission compares with `request.userInfo`. */
  async requester(): Promise<Requester> {
    const me = await this.user();
    return { username: me.username, ...(me.uid ? { uid: me.uid } : {}), groups: [...(me.groups ?? [])] };
  }

  /**
   * Runs `action`; a 403 becomes a message naming the permission: RBAC's refusal as "you
   * need VERB on RESOURCE in namespace NS" (asked again with a SelfSubjectAccessReview, so
   * the message is the authoriser's answer, not a guess), and an admission policy's as its
   * own message, which names the field.
   */
  async withPermission<T>(
    attrs: { verb: string; kind: TenantKindInfo; namespace?: string; name?: string },
    action: () => Promise<T>,
  ): Promise<T> {
    try {
      return await action();
    } catch (err) {
      if (!(err instanceof KubeApiError) || !err.forbidden) throw err;
      throw await this.explainForbidden(err, {
        verb: attrs.verb,
        group: attrs.kind.group,
        resource: attrs.kind.plural,
        namespace: attrs.namespace,
        name: attrs.name,
      });
    }
  }

  private async explainForbidden(err: KubeApiError, attrs: AccessAttributes): Promise<Error> {
    const me = await this.user().catch(() => undefined);
    const allowed = me ? await selfCan(this.cluster(), attrs).catch(() => undefined) : undefined;
    if (allowed !== true) {
      const where = attrs.namespace ? ` in namespace ${attrs.namespace}` : '';
      const who = me ? ` (${me.username})` : '';
      return new TenantPermissionError(
        `you${who} need ${attrs.verb} on ${attrs.resource}.${attrs.group}${where}: ask an admin of the namespace for a RoleBinding to ${roleFor(attrs)}`,
        { cause: err },
      );
    }
    // RBAC allows it: the refusal is admission's (a ValidatingAdmissionPolicy or a quota), whose message names the field.
    return new TenantPermissionError(`refused by the API server: ${err.apiMessage}`, { cause: err });
  }
}

/** A SelfSubjectAccessReview: may the caller do `attrs`? Every authenticated user may ask. */
async function selfCan(cluster: Cluster, attrs: AccessAttributes): Promise<boolean> {
  const review = await cluster.client.request({
    method: 'POST',
    path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
    body: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: {
        resourceAttributes: {
          verb: attrs.verb,
          group: attrs.group,
          resource: attrs.resource,
          ...(attrs.namespace ? { namespace: attrs.namespace } : {}),
          ...(attrs.name ? { name: attrs.name } : {}),
        },
      },
    },
  });
  return isRecord(review) && isRecord(review.status) && review.status.allowed === true;
}

/** The tenant ClusterRole that grants `attrs` (src/tenant/rbac.ts). */
function roleFor(attrs: AccessAttributes): string {
  if (['get', 'list', 'watch'].includes(attrs.verb)) return TENANT_ROLES.view;
  return ['restoregrants', 'tenantstoragelocations'].includes(attrs.resource) ? TENANT_ROLES.admin : TENANT_ROLES.edit;
}
