import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isRecord, KubeApiError, userCan } from '../../../src/kube/index.ts';
import { adminCluster, core, createNamespace } from '../../helpers/cluster.ts';
import { uniqueName } from '../../helpers/names.ts';

const SELF_SUBJECT_REVIEWS = '/apis/authentication.k8s.io/v1/selfsubjectreviews';

describe('impersonating client (real API server)', () => {
  const admin = adminCluster();
  const ns = uniqueName('imp');
  const alice = { username: uniqueName('alice'), groups: ['team-x', 'team-y', 'system:authenticated'] };

  before(async () => {
    await createNamespace(admin, ns);
  });
  after(async () => {
    await admin.delete(core('namespaces'), ns);
  });

  test('the API server sees the impersonated user and each of its groups', async () => {
    const review = await admin.impersonating({ ...alice, uid: 'uid-1' }).client.request({
      method: 'POST',
      path: SELF_SUBJECT_REVIEWS,
      body: { kind: 'SelfSubjectReview', apiVersion: 'authentication.k8s.io/v1' },
    });
    const user =
      isRecord(review) && isRecord(review.status) && isRecord(review.status.userInfo) ? review.status.userInfo : {};
    assert.equal(user.username, alice.username);
    assert.equal(user.uid, 'uid-1');
    assert.deepEqual([...((user.groups as string[] | undefined) ?? [])].sort(), [...alice.groups].sort());
  });

  test('writes as a user without RBAC are refused by the API server; with a RoleBinding they succeed', async () => {
    const asAlice = admin.impersonating(alice);
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c1', namespace: ns }, data: { a: '1' } };
    await assert.rejects(asAlice.create(core('configmaps'), cm), (err) => err instanceof KubeApiError && err.forbidden);
    // A restore's creates (`createOnly`) take another HTTP path: it too carries the impersonation.
    await assert.rejects(
      asAlice.createOnly(core('configmaps'), cm),
      (err) => err instanceof KubeApiError && err.forbidden,
    );
    const attrs = { verb: 'create', group: '', resource: 'configmaps', namespace: ns };
    assert.equal((await userCan(admin, alice, attrs)).allowed, false);

    await admin.create(
      { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'rolebindings' },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'team-y-edit', namespace: ns },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'team-y' }],
      },
    );
    // The second group alone grants it: every group reached the authoriser.
    assert.equal((await userCan(admin, alice, attrs)).allowed, true);
    await asAlice.create(core('configmaps'), cm);
    const created = await admin.get(core('configmaps'), 'c1', ns);
    assert.deepEqual(created.data, { a: '1' });
    await asAlice.createOnly(core('configmaps'), { ...cm, metadata: { name: 'c2', namespace: ns } });
    const second = await admin.get(core('configmaps'), 'c2', ns);
    assert.deepEqual(second.data, { a: '1' });
  });
});
