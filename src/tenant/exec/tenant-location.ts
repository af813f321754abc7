import { Kinds, resourceRef, type BackupStorageLocation } from '../../api/index.ts';
import type { Cluster } from '../../kube/cluster.ts';
import type { ResourceRef } from '../../kube/resource.ts';
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
  await keepDerivedLocation(cluster, { name, namespace: serverNamespace, labels }, spec);
  return { name };
}

/** `keepDerivedObject` for a BackupStorageLocation the server derives for a tenant. */
export function keepDerivedLocation(
  cluster: Cluster,
  metadata: { name: string; namespace: string; labels: Record<string, string> },
  spec: Record<string, unknown>,
): Promise<void> {
  return keepDerivedObject(
    cluster,
    BSL,
    { apiVersion: 'velero.io/v1', kind: 'BackupStorageLocation', metadata },
    'spec',
    spec,
  );
}

/**
 * Keeps an object the server derives (a tenant's location, its credential copy) in step: created when missing
 * (one made at the same time by another reconcile is fine), its `field` merge-patched when it differs.
 */
export async function keepDerivedObject(
  cluster: Cluster,
  ref: ResourceRef,
  head: {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace: string; labels: Record<string, string> };
    type?: string;
  },
  field: 'spec' | 'data',
  value: Record<string, unknown>,
): Promise<void> {
  const { name, namespace } = head.metadata;
  const existing = await cluster.find(ref, name, namespace);
  if (!existing) {
    await cluster.create(ref, { ...head, [field]: value }).catch(async (err: unknown) => {
      if (!(await cluster.find(ref, name, namespace))) throw err;
    });
  } else if (JSON.stringify(existing[field]) !== JSON.stringify(value)) {
    await cluster.patch(ref, { name, namespace }, 'merge', { [field]: value });
  }
}
