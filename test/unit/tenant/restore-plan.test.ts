import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject } from '../../../src/kube/index.ts';
import { clusterScopedItems, itemsOfKinds, planTenantRestore } from '../../../src/tenant/exec/restore-plan.ts';
import { grantAllows } from '../../../src/tenant/exec/restore-source.ts';

const grant = (spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'tenant.skiff.dev/v1alpha1',
  kind: 'RestoreGrant',
  metadata: { name: 'g', namespace: 'team-b' },
  spec,
});
const now = new Date('2026-12-05T12:00:00Z');

describe('RestoreGrant', () => {
  test('allows the named backup (or any, with *) into a named target until it expires', () => {
    const g = grant({ backups: ['b1'], targetNamespaces: ['team-a'], expires: '2026-12-05T13:00:00Z' });
    assert.equal(grantAllows(g, 'b1', 'team-a', now), true);
    assert.equal(grantAllows(g, 'b2', 'team-a', now), false);
    assert.equal(grantAllows(g, 'b1', 'team-c', now), false);
    assert.equal(grantAllows(g, 'b1', 'team-a', new Date('2026-12-05T13:00:00Z')), false);
    const any = grant({ backups: ['*'], targetNamespaces: ['team-a'], expires: '2026-12-05T13:00:00Z' });
    assert.equal(grantAllows(any, 'b9', 'team-a', now), true);
  });

  test('a grant without a readable expiry allows nothing', () => {
    assert.equal(grantAllows(grant({ backups: ['*'], targetNamespaces: ['team-a'] }), 'b1', 'team-a', now), false);
  });
});

describe('planTenantRestore', () => {
  test('only the source namespace, mapped to the target, never cluster resources', () => {
    const plan = planTenantRestore(
      { requester: { username: 'alice' }, backupRef: { namespace: 'team-b', name: 'b1' }, restorePVs: false },
      'team-a',
      'tenant-uid',
    );
    assert.deepEqual(plan, {
      ref: { namespace: 'team-b', name: 'b1' },
      veleroSpec: {
        backupName: 'tenant-uid',
        includedNamespaces: ['team-b'],
        includeClusterResources: false,
        namespaceMapping: { 'team-b': 'team-a' },
        restorePVs: false,
        excludedResources: ['controllerrevisions.apps'],
      },
    });
  });

  test("controller revisions are left out, after the tenant's own exclusions, unless included by name", () => {
    const plan = (spec: Record<string, unknown>) => {
      const p = planTenantRestore({ backupRef: { name: 'b1' }, ...spec }, 'team-a', 'x');
      assert.ok('veleroSpec' in p);
      return p.veleroSpec;
    };
    assert.deepEqual(plan({ excludedResources: ['secrets'] }).excludedResources, [
      'secrets',
      'controllerrevisions.apps',
    ]);
    assert.equal(plan({ includedResources: ['controllerrevisions'] }).excludedResources, undefined);
    assert.equal(
      plan({ includedResources: ['controllerrevisions.apps', 'statefulsets'] }).excludedResources,
      undefined,
    );
    assert.deepEqual(plan({ includedResources: ['*'] }).excludedResources, ['controllerrevisions.apps']);
  });

  test("the backup's controller revisions are named among the skipped items", () => {
    const list = { 'apps/v1/ControllerRevision': ['team-a/web-6d4b'], 'v1/ConfigMap': ['team-a/c'] };
    assert.deepEqual(itemsOfKinds(list, ['apps/v1/ControllerRevision']), [
      { kind: 'ControllerRevision', name: 'team-a/web-6d4b' },
    ]);
  });

  test('unknown fields and a bad existingResourcePolicy are named', () => {
    const plan = planTenantRestore(
      { backupRef: { name: 'b1' }, hooks: {}, existingResourcePolicy: 'replace' },
      'a',
      'x',
    );
    assert.ok('errors' in plan);
    assert.match(plan.errors.join('\n'), /spec\.hooks/);
    assert.match(plan.errors.join('\n'), /spec\.existingResourcePolicy/);
  });

  test('cluster-scoped entries of a resource list are found', () => {
    const list = { 'v1/ConfigMap': ['team-a/c'], 'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ['crb'] };
    assert.deepEqual(clusterScopedItems(list), [{ kind: 'ClusterRoleBinding', name: 'crb' }]);
  });
});
