import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { impersonationHeaders, withHeaders } from '../../../src/kube/impersonation.ts';
import { accessDecisionOf, describeDenial, subjectAccessReview } from '../../../src/kube/access-review.ts';

describe('impersonation headers', () => {
  test('name the user, its uid, and each group on a line of its own', () => {
    const headers = impersonationHeaders({ username: 'alice', uid: 'u-1', groups: ['team-a', 'team-c', 'team-a'] });
    assert.deepEqual(headers, {
      'impersonate-user': 'alice',
      'impersonate-group': ['team-a', 'team-c'],
      'impersonate-uid': 'u-1',
    });
  });

  test('a user without groups or uid sends only Impersonate-User', () => {
    assert.deepEqual(impersonationHeaders({ username: 'dave' }), { 'impersonate-user': 'dave' });
  });

  test('an empty user name is refused instead of impersonating nobody', () => {
    assert.throws(() => impersonationHeaders({ username: '' }), /without a name/);
  });

  test("the request's own impersonation headers are replaced, never merged, in every header shape", () => {
    const added = impersonationHeaders({ username: 'alice', groups: ['team-a'] });
    const expected = { accept: 'application/json', 'impersonate-user': 'alice', 'impersonate-group': ['team-a'] };
    const smuggled = { Accept: 'application/json', 'Impersonate-Group': 'system:masters' };
    assert.deepEqual(withHeaders(smuggled, added), expected);
    assert.deepEqual(withHeaders(['Accept', 'application/json', 'impersonate-user', 'root'], added), expected);
    assert.deepEqual(withHeaders(new Map(Object.entries(smuggled)), added), expected);
  });
});

describe('SubjectAccessReview', () => {
  const alice = { username: 'alice', uid: 'u-1', groups: ['team-a', 'system:authenticated'] };
  const attrs = { verb: 'create', group: 'tenant.skiff.dev', resource: 'tenantrestores', namespace: 'team-a' };

  test('asks about the stored requester, groups and uid included', () => {
    assert.deepEqual(subjectAccessReview(alice, attrs), {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user: 'alice',
        uid: 'u-1',
        groups: ['team-a', 'system:authenticated'],
        resourceAttributes: {
          verb: 'create',
          group: 'tenant.skiff.dev',
          resource: 'tenantrestores',
          namespace: 'team-a',
        },
      },
    });
  });

  test('an explicit denial wins over allowed, and the reason is kept', () => {
    assert.deepEqual(accessDecisionOf({ status: { allowed: true } }), { allowed: true });
    assert.deepEqual(accessDecisionOf({ status: { allowed: true, denied: true, reason: 'webhook' } }), {
      allowed: false,
      reason: 'webhook',
    });
    assert.deepEqual(accessDecisionOf({}), { allowed: false });
  });

  test('a denial names the user, verb, resource and namespace', () => {
    assert.equal(
      describeDenial(alice, attrs, { allowed: false }),
      'alice may not create tenantrestores.tenant.skiff.dev in namespace team-a',
    );
  });
});
