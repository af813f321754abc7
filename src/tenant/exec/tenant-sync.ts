/**
 * Backup sync of tenant locations (issue 17 §5: "restore and sync refuse a tenant backup whose
 * MAC fails or that sits under another tenant's prefix"). A location the server derived for a
 * namespace UID (`tenant-<uid>`, tenant-location.ts and tenant-own-location.ts) is synced like
 * any other, except that each backup found there is first checked: its recorded namespace UID
 * must be the location's, and its seal must hold for that UID. Anything else is skipped, named
 * with the reason, and never becomes a velero.io Backup the tenant's restores could find.
 */
import { Labels, type BackupStorageLocation } from '../../api/index.ts';
import type { Cluster } from '../../kube/cluster.ts';
import { isRecord } from '../../kube/object.ts';
import type { BackupStore } from '../../storage/index.ts';
import { errorMessage } from '../../util/errors.ts';
import { TenantLabels } from './resources.ts';
import { TamperedBackupError } from './seal.ts';
import { ensureSealKey, verifyBackupSeal } from './seal-store.ts';

/** The refusal of syncing backup `name` of tenant location `bsl`, or undefined when it may be synced. */
export type TenantSyncCheck = (
  bsl: BackupStorageLocation,
  store: BackupStore,
  name: string,
) => Promise<string | undefined>;

/** The check, or undefined when the server does not run tenant operations (`enabled`). */
export function tenantSyncCheck(
  cluster: Cluster,
  serverNamespace: string,
  enabled: boolean | undefined,
): TenantSyncCheck | undefined {
  if (!enabled) return undefined;
  return async (bsl, store, name) => {
    const uid = bsl.metadata.labels?.[Labels.TenantNamespaceUID] ?? '';
    const metadata = await store.getBackupMetadata(name);
    const labels = isRecord(metadata) && isRecord(metadata.metadata) ? metadata.metadata.labels : undefined;
    const value = isRecord(labels) ? labels[TenantLabels.namespaceUid] : undefined;
    const recorded = typeof value === 'string' ? value : undefined;
    if (recorded !== uid) {
      return `it is under the prefix of namespace UID ${uid} but records namespace UID ${recorded ?? 'none'}: a tenant backup is only synced under its own namespace's prefix`;
    }
    try {
      await verifyBackupSeal(store, name, await ensureSealKey(cluster, serverNamespace), uid);
    } catch (err) {
      return err instanceof TamperedBackupError
        ? `its tenant seal does not hold: ${err.problem}`
        : `its tenant seal could not be checked: ${errorMessage(err)}`;
    }
    return undefined;
  };
}
