import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { planTenantBackup } from '../../../src/tenant/exec/backup-plan.ts';
import { policyForNamespace, readPolicy, type TenantPolicy } from '../../../src/tenant/exec/policy.ts';

function policy(spec: Record<string, unknown> = {}, name = 'p1'): TenantPolicy {
  return readPolicy({
    apiVersion: 'tenant.skiff.dev/v1alpha1',
    kind: 'TenantPolicy',
    metadata: { name },
    spec: { namespaceSelector: { matchLabels: { tenant: 'yes' } }, storageLocation: 'shared', ...spec },
  });
}
const req = (spec: Record<string, unknown>) => ({ namespace: 'team-a', namespaceUid: 'uid-a', spec });

describe('planTenantBackup', () => {
  test('backs up its own namespace by default, never cluster resources, in the tenant location', () => {
    const plan = planTenantBackup(req({ requester: { username: 'alice' } }), policy(), 'tenant-uid-a');
    assert.deepEqual(plan, {
      namespaces: ['team-a'],
      veleroSpec: {
        includedNamespaces: ['team-a'],
        includeClusterResources: false,
        storageLocation: 'tenant-uid-a',
        ttl: '720h',
      },
    });
  });

  test('policy defaults fill absent fields; maxTTL bounds the default TTL', () => {
    const plan = planTenantBackup(req({}), policy({ defaults: { snapshotVolumes: false }, maxTTL: '24h' }), 'l');
    assert.ok('veleroSpec' in plan);
    assert.equal(plan.veleroSpec.snapshotVolumes, false);
    assert.equal(plan.veleroSpec.ttl, '24h');
  });

  test('each refused field is named: forbidden hooks, cluster resources, locked fields, a TTL beyond maxTTL, unknown fields', () => {
    const hooks = { resources: [{ name: 'h', pre: [{ exec: { command: ['true'] } }] }] };
    const plan = planTenantBackup(
      req({ hooks, includeClusterResources: true, ttl: '48h', snapshotVolumes: true, itemOperationTimeout: '1h' }),
      policy({
        forbidden: ['hooks'],
        locked: ['spec.snapshotVolumes'],
        defaults: { snapshotVolumes: false },
        maxTTL: '24h',
      }),
      'l',
    );
    assert.ok('errors' in plan);
    const text = plan.errors.join('\n');
    for (const field of [
      'spec.hooks',
      'spec.includeClusterResources',
      'spec.snapshotVolumes',
      'spec.ttl',
      'spec.itemOperationTimeout',
    ]) {
      assert.ok(text.includes(field), `${field} is named in:\n${text}`);
    }
  });

  test('snapshotMoveData is passed on, and refused where the policy forbids snapshots', () => {
    const plan = planTenantBackup(req({ snapshotMoveData: true }), policy(), 'l');
    assert.ok('veleroSpec' in plan, JSON.stringify(plan));
    assert.equal(plan.veleroSpec.snapshotMoveData, true);
    const refused = planTenantBackup(req({ snapshotMoveData: true }), policy({ forbidden: ['snapshots'] }), 'l');
    assert.ok('errors' in refused);
    assert.match(refused.errors.join('\n'), /spec.snapshotMoveData: snapshots is forbidden/);
  });

  test('a tenant storage location is the controller’s to check (it needs the cluster): the plan accepts the field', () => {
    const plan = planTenantBackup(req({ storageLocation: 'mine' }), policy(), 'l');
    assert.ok(!('errors' in plan), JSON.stringify(plan));
    assert.equal(plan.veleroSpec.storageLocation, 'l');
  });
});

describe('policyForNamespace', () => {
  test('the one policy selecting the namespace labels; none or several are problems naming the namespace', () => {
    const p = policy();
    assert.equal(policyForNamespace([p], 'team-a', { tenant: 'yes' }), p);
    assert.match(policyForNamespace([p], 'team-a', {}) as string, /no TenantPolicy selects namespace team-a/);
    assert.match(
      policyForNamespace([p, policy({}, 'p2')], 'team-a', { tenant: 'yes' }) as string,
      /several TenantPolicies select namespace team-a \(p1, p2\)/,
    );
  });

  test('a policy without a selector selects nothing', () => {
    const p = readPolicy({ apiVersion: 'x', kind: 'TenantPolicy', metadata: { name: 'p' }, spec: {} });
    assert.equal(typeof policyForNamespace([p], 'team-a', { tenant: 'yes' }), 'string');
  });

  test('the fair-queue limits are read; a value the server cannot act on is named', () => {
    const read = policy({ maxConcurrent: 2, maxQueued: 0, createsPerMinute: 5, minScheduleInterval: '1h' });
    assert.deepEqual(
      [read.maxConcurrent, read.maxQueued, read.createsPerMinute, read.minScheduleInterval, read.problems],
      [2, 0, 5, '1h', []],
    );
    assert.match(policy({ maxConcurrent: 0 }).problems.join(), /spec\.maxConcurrent must be an integer of at least 1/);
  });
});
