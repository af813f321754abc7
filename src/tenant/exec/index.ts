import type { ControllerSpec } from '../../controllers/controller.ts';
import { tenantBackupController, type TenantControllerDeps } from './backup-controller.ts';
import { TENANT_GROUP, TenantTypes } from './resources.ts';
import { tenantRestoreController } from './restore-controller.ts';
import { tenantScheduleController } from './schedule-controller.ts';
import { ensureSealKey } from './seal-store.ts';
import { runTenantQueue } from './operation-queue.ts';
import { coalesced } from '../../util/async.ts';

export { tenantBackupController, type TenantControllerDeps } from './backup-controller.ts';
export { ensureSealKey, verifyBackupSeal, sealBackup, SEAL_SECRET_NAME } from './seal-store.ts';

/**
 * The controllers that run tenants' operations (issue 17), when `enabled` (`--tenant-operations`)
 * and the tenant.skiff.dev kinds are installed; none otherwise (the server runs as before).
 */
export async function tenantExecutionControllers(
  deps: Omit<TenantControllerDeps, 'sealKey' | 'queue'>,
  enabled = false,
): Promise<ControllerSpec[]> {
  if (!enabled) return [];
  const discovery = await deps.cluster.discover();
  if (discovery.versionsOf(TENANT_GROUP, TenantTypes.TenantBackup.resource).length === 0) {
    deps.log.info('the tenant.skiff.dev kinds are not installed: tenant backups and restores are not run');
    return [];
  }
  let key: Promise<Buffer> | undefined;
  const sealKey = (): Promise<Buffer> => {
    key ??= ensureSealKey(deps.cluster, deps.namespace);
    key.catch(() => (key = undefined));
    return key;
  };
  // One queue for TenantBackups and TenantRestores: they share slots and each namespace's limits.
  const withKey: TenantControllerDeps = { ...deps, sealKey, queue: () => queue() };
  const queue = coalesced(() => runTenantQueue(withKey));
  const schedules = discovery.versionsOf(TENANT_GROUP, TenantTypes.TenantSchedule.resource).length > 0;
  return [
    tenantBackupController(withKey),
    tenantRestoreController(withKey),
    ...(schedules ? [tenantScheduleController(withKey)] : []),
  ];
}
