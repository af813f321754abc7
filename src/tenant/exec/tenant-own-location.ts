/**
 * A TenantBackup's `spec.storageLocation`: a TenantStorageLocation of its own namespace, used
 * only while a cluster admin's StorageApproval names its current spec hash (an edit of the spec
 * needs approval again, location-approval.ts). The server derives a BackupStorageLocation in its
 * own namespace from it, under `tenants/<namespace UID>/` of the location's prefix as for the
 * policy's location (tenant-location.ts), so the ownership and seal checks are the same.
 *
 * The tenant's credential Secret is copied into the server namespace next to that location
 * (tenants cannot create anything there); a location naming no Secret is refused, because the
 * server's own credentials must never act for a tenant's bucket.
 */
import type { BackupStorageLocation } from '../../api/index.ts';
import type { Cluster } from '../../kube/cluster.ts';
import type { KubeObject } from '../../kube/object.ts';
import type { ResourceType } from '../../kube/resource.ts';
import { SECRETS } from '../../kube/secrets.ts';
import { tenantPrefix } from '../../storage/index.ts';
import { TenantKinds, tenantResource } from '../api/kinds.ts';
import type { TenantStorageLocationSpec } from '../api/types.ts';
import { isLocationApproved, locationSpecHash } from '../location-approval.ts';
import { TenantLabels, tenantLocationName } from './resources.ts';
import { keepDerivedLocation, keepDerivedObject, type TenantNamespace } from './tenant-location.ts';

const TSL = tenantResource(TenantKinds.TenantStorageLocation);
const APPROVALS: ResourceType = {
  ...tenantResource(TenantKinds.StorageApproval),
  kind: TenantKinds.StorageApproval.kind,
  namespaced: false,
  verbs: ['get', 'list'],
};
/** On a derived location: the TenantStorageLocation it comes from. */
export const TENANT_OWN_LOCATION_LABEL = 'tenant.skiff.dev/location';

/** The server's location for TenantStorageLocation `location` of a namespace (by UID). */
export function tenantOwnLocationName(namespaceUid: string, location: string): string {
  return `${tenantLocationName(namespaceUid)}-${location}`;
}

/**
 * Checks that TenantStorageLocation `location` of the tenant's namespace exists and is approved
 * as it is now, and keeps its derived BackupStorageLocation (and credential copy) in step.
 * Returns the derived location's name, or the refusal naming the field.
 */
export async function ensureTenantOwnLocation(
  cluster: Cluster,
  serverNamespace: string,
  tenant: TenantNamespace,
  location: string,
): Promise<{ name: string } | { error: string }> {
  const field = 'spec.storageLocation';
  const tsl = await cluster.find(TSL, location, tenant.name);
  if (!tsl) return { error: `${field}: TenantStorageLocation "${location}" not found in namespace ${tenant.name}` };
  const approvals: KubeObject[] = [];
  for await (const a of cluster.list(APPROVALS)) approvals.push(a);
  if (!isLocationApproved(tsl, approvals)) {
    return {
      error: `${field}: TenantStorageLocation ${tenant.name}/${location} is not approved as it is now (specHash ${locationSpecHash(tsl.spec)}): a cluster admin's StorageApproval must name that hash`,
    };
  }
  const spec = (tsl.spec ?? {}) as TenantStorageLocationSpec;
  if (!spec.credential) {
    return {
      error: `${field}: TenantStorageLocation ${tenant.name}/${location} names no credential Secret (spec.credential); the server's own credentials are never used for a tenant's location`,
    };
  }
  const name = tenantOwnLocationName(tenant.uid, location);
  if (name.length > 253) return { error: `${field}: the location name "${location}" is too long for this server` };
  const labels = {
    [TenantLabels.namespaceUid]: tenant.uid,
    [TenantLabels.namespace]: tenant.name,
    [TENANT_OWN_LOCATION_LABEL]: location,
  };
  const copied = await copyCredential(cluster, tenant, spec.credential, {
    name,
    namespace: serverNamespace,
    labels,
  });
  if ('error' in copied) return copied;
  const bslSpec: BackupStorageLocation['spec'] = {
    provider: spec.provider,
    default: false,
    objectStorage: { bucket: spec.objectStorage.bucket, prefix: tenantPrefix(spec.objectStorage.prefix, tenant.uid) },
    ...(spec.config ? { config: spec.config } : {}),
    credential: { name, key: spec.credential.key },
  };
  await keepDerivedLocation(cluster, { name, namespace: serverNamespace, labels }, bslSpec);
  return { name };
}

/** Copies the tenant's credential Secret key into the server namespace, as Secret `name`. */
async function copyCredential(
  cluster: Cluster,
  tenant: TenantNamespace,
  credential: { name: string; key: string },
  copy: { name: string; namespace: string; labels: Record<string, string> },
): Promise<{ ok: true } | { error: string }> {
  const { name, namespace: serverNamespace, labels } = copy;
  const secret = await cluster.find(SECRETS, credential.name, tenant.name);
  const value = (secret?.data as Record<string, string> | undefined)?.[credential.key];
  if (!value) {
    return {
      error: `spec.storageLocation: the credential Secret ${tenant.name}/${credential.name} of the location has no key "${credential.key}"`,
    };
  }
  const data = { [credential.key]: value };
  await keepDerivedObject(
    cluster,
    SECRETS,
    { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name, namespace: serverNamespace, labels } },
    'data',
    data,
  );
  return { ok: true };
}
