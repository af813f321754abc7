import { Kinds, resourceRef, type BackupStorageLocation } from '../../api/index.ts';
import type { Cluster } from '../../kube/cluster.ts';
import { tenantPrefix } from '../../storage/index.ts';
import { TenantLabels, tenantLocationName } from './resources.ts';

const BSL = resourceRef(Kinds.BackupStorageLocation);

export interface TenantNamespace {
  name: string;
  uid: string;
}

/**
 * The BackupStorageLocation of one tenant namespace, derived from the admin's location `base`
 * (the TenantPolicy's): the same bucket, credentials and config, with the prefix
 * `<base prefix>/tenants/<namespace UID>`. Each tenant's backups are then a whole Velero
 * layout of their own, and ownership follows from the location the server chose by UID,
 * never from what the bucket says. Kept in step with the base location; returns its name,
 * or the problem when the base location is missing.
 */
export async function ensureTenantLocation(
  cluster: Cluster,
  serverNamespace: string,
  base: string,
  tenant: TenantNamespace,
): Promise<{ name: string } | { error: string }> {
  const source = (await cluster.find(BSL, base, serverNamespace)) as BackupStorageLocation | undefined;
  if (!source) {
    return { error: `the TenantPolicy's storage location "${base}" does not exist in namespace ${serverNamespace}` };
  }
  const name = tenantLocationName(tenant.uid);
  const spec = {
    ...source.spec,
    default: false,
    objectStorage: { ...source.spec.objectStorage, prefix: tenantPrefix(source.spec.objectStorage.prefix, tenant.uid) },
  };
  const labels = { [TenantLabels.namespaceUid]: tenant.uid, [TenantLabels.namespace]: tenant.name };
  const existing = await cluster.find(BSL, name, serverNamespace);
  if (!existing) {
    await cluster
      .create(BSL, {
        apiVersion: 'velero.io/v1',
        kind: 'BackupStorageLocation',
        metadata: { name, namespace: serverNamespace, labels },
        spec,
      })
      .catch(async (err: unknown) => {
        // Made at the same time by another reconcile: fine when it is there now.
        if (!(await cluster.find(BSL, name, serverNamespace))) throw err;
      });
  } else if (JSON.stringify(existing.spec) !== JSON.stringify(spec)) {
    await cluster.patch(BSL, { name, namespace: serverNamespace }, 'merge', { spec });
  }
  return { name };
}
