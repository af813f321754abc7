import type { Cluster } from './cluster.ts';
import type { UserIdentity } from './impersonation.ts';
import { isRecord } from './object.ts';

const SELF_SUBJECT_REVIEWS = '/apis/authentication.k8s.io/v1/selfsubjectreviews';

/**
 * Who the API server takes the caller to be (authentication.k8s.io/v1 SelfSubjectReview, GA
 * since 1.28): the user name, UID and groups exactly as admission sees them in
 * `request.userInfo`, whatever the credential (certificate, token, exec plugin). Every
 * authenticated user may ask it; no RBAC is needed.
 */
export async function whoAmI(cluster: Cluster): Promise<UserIdentity> {
  const review = await cluster.client.request({
    method: 'POST',
    path: SELF_SUBJECT_REVIEWS,
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
  });
  const info = isRecord(review) && isRecord(review.status) ? review.status.userInfo : undefined;
  if (!isRecord(info) || typeof info.username !== 'string' || info.username === '') {
    throw new Error('the API server answered the SelfSubjectReview without a user name');
  }
  const groups = Array.isArray(info.groups) ? info.groups.filter((g): g is string => typeof g === 'string') : [];
  return {
    username: info.username,
    ...(typeof info.uid === 'string' && info.uid !== '' ? { uid: info.uid } : {}),
    groups,
  };
}
