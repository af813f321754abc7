import type { Cluster } from './cluster.ts';
import type { UserIdentity } from './impersonation.ts';
import { isRecord } from './object.ts';

/** What a SubjectAccessReview asks about (authorization.k8s.io/v1 ResourceAttributes). */
export interface AccessAttributes {
  verb: string;
  group: string;
  resource: string;
  namespace?: string | undefined;
  name?: string | undefined;
  subresource?: string | undefined;
}

export interface AccessDecision {
  allowed: boolean;
  /** The authoriser's reason, or the evaluation error, when it gave one. */
  reason?: string;
}

const SUBJECT_ACCESS_REVIEWS = '/apis/authorization.k8s.io/v1/subjectaccessreviews';

/**
 * Asks the API server whether `who` may do `attrs` now (a SubjectAccessReview: the cluster's
 * own authorisers decide, RBAC and any webhook). The caller needs `create` on
 * subjectaccessreviews.
 */
export async function userCan(cluster: Cluster, who: UserIdentity, attrs: AccessAttributes): Promise<AccessDecision> {
  const answer = await cluster.client.request({
    method: 'POST',
    path: SUBJECT_ACCESS_REVIEWS,
    body: subjectAccessReview(who, attrs),
  });
  return accessDecisionOf(answer);
}

/** The review object `userCan` sends. */
export function subjectAccessReview(who: UserIdentity, attrs: AccessAttributes): Record<string, unknown> {
  const resourceAttributes: Record<string, string> = { verb: attrs.verb, group: attrs.group, resource: attrs.resource };
  if (attrs.namespace) resourceAttributes.namespace = attrs.namespace;
  if (attrs.name) resourceAttributes.name = attrs.name;
  if (attrs.subresource) resourceAttributes.subresource = attrs.subresource;
  return {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    spec: {
      user: who.username,
      ...(who.uid ? { uid: who.uid } : {}),
      ...(who.groups?.length ? { groups: [...who.groups] } : {}),
      resourceAttributes,
    },
  };
}

export function accessDecisionOf(review: unknown): AccessDecision {
  const status = isRecord(review) && isRecord(review.status) ? review.status : {};
  const allowed = status.allowed === true && status.denied !== true;
  const reason = [status.reason, status.evaluationError].filter((s) => typeof s === 'string' && s !== '').join('; ');
  return reason ? { allowed, reason } : { allowed };
}

/** "alice may not delete tenantbackups.tenant.skiff.dev "x" in namespace team-a": for status and errors. */
export function describeDenial(who: UserIdentity, attrs: AccessAttributes, decision: AccessDecision): string {
  const resource = attrs.group ? `${attrs.resource}.${attrs.group}` : attrs.resource;
  const what = `${attrs.verb} ${resource}${attrs.subresource ? `/${attrs.subresource}` : ''}`;
  const target = `${attrs.name ? ` "${attrs.name}"` : ''}${attrs.namespace ? ` in namespace ${attrs.namespace}` : ''}`;
  return `${who.username} may not ${what}${target}${decision.reason ? ` (${decision.reason})` : ''}`;
}
