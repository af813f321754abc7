/**
 * Issue 17 acceptance 13: a tenant location stays Pending until a cluster admin approves its
 * spec hash, and an edit of the spec makes it Pending again. The status controller runs here
 * as `skiff server` runs it, against the real API server.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TenantKinds, tenantResource } from '../../../src/tenant/api/kinds.ts';
import type { TenantStorageLocationStatus } from '../../../src/tenant/api/types.ts';
import { runLocationApprovals } from '../../../src/tenant/location-approval-controller.ts';
import { locationSpecHash } from '../../../src/tenant/location-approval.ts';
import { silentLogger } from '../../../src/util/log.ts';
import { adminCluster, waitFor } from '../../helpers/cluster.ts';
import {
  assertRefused,
  createTenant,
  installTenantApi,
  tenantNamespace,
  tenantObject,
  waitUntilAllowed,
} from '../../helpers/tenant.ts';
import { tenantUser } from '../../helpers/tenant-users.ts';
import { TENANT_ROLES } from '../../../src/tenant/rbac.ts';

const admin = adminCluster();
const bob = tenantUser('bob');
const stop = new AbortController();
let running: Promise<void> | undefined;

before(async () => {
  await installTenantApi(admin);
  running = runLocationApprovals(admin, stop.signal, silentLogger());
});
after(async () => {
  stop.abort();
  await running;
});

const tsl = tenantResource(TenantKinds.TenantStorageLocation);

async function statusOf(ns: string, name: string): Promise<TenantStorageLocationStatus> {
  return (await admin.get(tsl, name, ns)).status ?? {};
}

test('Pending until approved, Approved with a matching StorageApproval, Pending again after an edit; self-approval 403', async () => {
  const ns = await tenantNamespace(admin, 'team-b', [{ group: 'team-b', clusterRole: TENANT_ROLES.admin }]);
  await waitUntilAllowed(bob, ns, 'tenantstoragelocations', 'create');
  const spec = { provider: 'aws', objectStorage: { bucket: 'team-b', prefix: 'backups' }, config: { region: 'minio' } };
  await createTenant(bob.cluster, tenantObject('TenantStorageLocation', ns, 'own', spec));
  const pending = await waitFor('the location to be Pending', async () => {
    const s = await statusOf(ns, 'own');
    return s.phase === 'Pending' ? s : undefined;
  });
  assert.equal(pending.specHash, locationSpecHash(spec));
  assert.match(pending.message ?? '', /StorageApproval/);

  const approval = tenantObject('StorageApproval', undefined, `${ns}-own`, {
    location: { namespace: ns, name: 'own' },
    specHash: pending.specHash,
  });
  await assertRefused(createTenant(bob.cluster, approval), 403, /storageapprovals/);
  await createTenant(admin, approval);
  try {
    await waitFor('the location to be Approved', async () => (await statusOf(ns, 'own')).phase === 'Approved');

    await bob.cluster.patch(tsl, { name: 'own', namespace: ns }, 'merge', {
      spec: { objectStorage: { bucket: 'somewhere-else' } },
    });
    const again = await waitFor('the edited location to be Pending again', async () => {
      const s = await statusOf(ns, 'own');
      return s.phase === 'Pending' ? s : undefined;
    });
    assert.notEqual(again.specHash, pending.specHash);
  } finally {
    await admin.delete(tenantResource(TenantKinds.StorageApproval), `${ns}-own`);
  }
});
