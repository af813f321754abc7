import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildTenantBackupSpec } from '../../../src/cli/tenant/backup.ts';
import { buildGrantSpec } from '../../../src/cli/tenant/grant.ts';
import { describeTenantObject, formatTenantTable } from '../../../src/cli/tenant/resource-commands.ts';
import { buildTenantRestoreSpec, RESTORE_NOUN } from '../../../src/cli/tenant/restore.ts';
import { buildTenantScheduleSpec } from '../../../src/cli/tenant/schedule.ts';
import { tenantNamespaceOf } from '../../../src/cli/tenant/tenant-context.ts';
import { TenantKinds } from '../../../src/tenant/api/kinds.ts';

describe('skiff tenant: flags to specs', () => {
  test('the namespace is -n, else the kubeconfig context’s, else default', () => {
    assert.equal(tenantNamespaceOf('team-a', 'team-b'), 'team-a');
    assert.equal(tenantNamespaceOf(undefined, 'team-b'), 'team-b');
    assert.equal(tenantNamespaceOf(undefined, undefined), 'default');
  });

  test('backup flags fill the TenantBackup fields, hooks from a file', () => {
    const { spec, problems } = buildTenantBackupSpec(
      {
        includeNamespaces: ['team-a,team-c'],
        excludeResources: ['secrets'],
        selector: 'app=web',
        ttl: '72h',
        snapshotVolumes: 'false',
        includeClusterResources: 'false',
        hooksFile: 'hooks.yaml',
      },
      () => 'resources:\n  - name: flush\n    pre: [{ exec: { command: [sync] } }]\n',
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(spec, {
      namespaces: ['team-a', 'team-c'],
      excludedResources: ['secrets'],
      labelSelector: { matchLabels: { app: 'web' } },
      ttl: '72h',
      snapshotVolumes: false,
      includeClusterResources: false,
      hooks: { resources: [{ name: 'flush', pre: [{ exec: { command: ['sync'] } }] }] },
    });
  });

  test('every bad flag is reported at once', () => {
    const { problems } = buildTenantBackupSpec({
      selector: 'a=b',
      orSelector: 'c=d',
      ttl: 'soon',
      snapshotVolumes: 'x',
    });
    assert.equal(problems.length, 3, problems.join('\n'));
  });

  test('restore: --from-backup NAME is this namespace’s, NS/NAME another’s', () => {
    assert.deepEqual(buildTenantRestoreSpec({ fromBackup: 'b1' }, 'team-a').spec, {
      backupRef: { namespace: 'team-a', name: 'b1' },
    });
    const other = buildTenantRestoreSpec(
      { fromBackup: 'team-a/b1', existingResourcePolicy: 'update', restorePvs: true, includeResources: ['configmaps'] },
      'team-c',
    );
    assert.deepEqual(other.spec, {
      backupRef: { namespace: 'team-a', name: 'b1' },
      includedResources: ['configmaps'],
      existingResourcePolicy: 'update',
      restorePVs: true,
    });
    assert.match(buildTenantRestoreSpec({}, 'x').problems.join(), /--from-backup is required/);
    assert.match(
      buildTenantRestoreSpec({ fromBackup: 'b', existingResourcePolicy: 'merge' }, 'x').problems.join(),
      /none, update/,
    );
  });

  test('grant: --for is counted from now; --expires and --for exclude each other', () => {
    const now = new Date('2026-12-05T10:00:00.500Z');
    assert.deepEqual(buildGrantSpec({ backups: ['b1'], to: ['team-c'], for: '24h' }, now).spec, {
      backups: ['b1'],
      targetNamespaces: ['team-c'],
      expires: '2026-12-06T10:00:00Z',
    });
    assert.equal(
      buildGrantSpec({ backups: ['*'], to: ['x'], for: '1h', expires: '2027-01-01T00:00:00Z' }, now).problems.length,
      1,
    );
  });

  test('schedule: the cron expression is checked and the template holds the backup fields', () => {
    const ok = buildTenantScheduleSpec({ schedule: '0 1 * * *', ttl: '168h', paused: true });
    assert.deepEqual(ok, { spec: { schedule: '0 1 * * *', template: { ttl: '168h' }, paused: true }, problems: [] });
    assert.match(buildTenantScheduleSpec({ schedule: 'every day' }).problems.join(), /--schedule/);
  });
});

describe('skiff tenant: output', () => {
  const restore = {
    apiVersion: 'tenant.skiff.dev/v1alpha1',
    kind: 'TenantRestore',
    metadata: { name: 'r1', namespace: 'team-c', creationTimestamp: '2026-12-05T09:00:00Z' },
    spec: { requester: { username: 'carol', groups: ['team-a'] }, backupRef: { namespace: 'team-a', name: 'b1' } },
    status: {
      phase: 'PartiallyFailed',
      itemsRestored: 3,
      skipped: [{ kind: 'RoleBinding', namespace: 'team-c', name: 'admin', reason: 'refused by the API server' }],
    },
  };

  test('get prints the kind’s printer columns', () => {
    const text = formatTenantTable(TenantKinds.TenantRestore, [restore], new Date('2026-12-05T10:00:00Z'));
    assert.equal(
      text,
      'NAME   SOURCE   BACKUP   PHASE             REQUESTER   ITEMS   AGE\nr1     team-a   b1       PartiallyFailed   carol       3       60m\n',
    );
  });

  test('describe names the requester and each item not restored', () => {
    const text = describeTenantObject(RESTORE_NOUN, restore);
    assert.match(text, /Requester: +carol \(groups: team-a\)/);
    assert.match(text, /Phase: +PartiallyFailed/);
    assert.match(text, /Not restored:\n {2}RoleBinding team-c\/admin: refused by the API server/);
  });
});
