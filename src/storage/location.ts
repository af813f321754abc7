import { BackupStore } from './backup-store.ts';
import { InvalidBackupStoreError } from './errors.ts';
import type { ObjectStore } from './object-store.ts';
import { caCertOf, normalizeBucket, type BackupStorageLocationLike, type LocationDeps } from './location-settings.ts';
import type { ProviderInit } from './provider.ts';
import { defaultProviders, providerFor } from './providers/index.ts';

export {
  caCertOf,
  isReadOnly,
  normalizeBucket,
  type BackupStorageLocationLike,
  type LocationDeps,
} from './location-settings.ts';

/** Velero's install namespace (Appendix B); BSLs and their secrets live there. */
const VELERO_NAMESPACE = 'velero';

/** Builds the ObjectStore of a BSL: what Velero passes to the plugin's Init (§1.4). */
export async function objectStoreForLocation(
  bsl: BackupStorageLocationLike,
  deps: LocationDeps = {},
): Promise<ObjectStore> {
  const { provider: name, objectStorage, config, credential } = bsl.spec;
  const provider = providerFor(name, deps.providers ?? defaultProviders);
  const namespace = bsl.metadata?.namespace ?? deps.defaultNamespace ?? VELERO_NAMESPACE;
  const caCert = await caCertOf(bsl, namespace, deps);
  const init: ProviderInit = {
    provider: name,
    bucket: normalizeBucket(name, objectStorage.bucket),
    config: { ...config },
    ...(caCert !== undefined ? { caCert } : {}),
    ...(credential ? { credential: { namespace, name: credential.name ?? '', key: credential.key } } : {}),
  };
  return provider.create(init, deps);
}

export async function backupStoreForLocation(
  bsl: BackupStorageLocationLike,
  deps: LocationDeps = {},
): Promise<BackupStore> {
  return new BackupStore(await objectStoreForLocation(bsl, deps), bsl.spec.objectStorage.prefix);
}

/**
 * Velero's BSL validation (§5.5, §2.1 IsValid): the bucket must answer a listing of the
 * prefix with these credentials, and hold no top-level directory Velero does not own.
 * Rejects with BucketNotFoundError, AccessDeniedError, EndpointUnreachableError or
 * InvalidBackupStoreError, whose messages say what to fix.
 */
export async function validateLocation(store: BackupStore): Promise<void> {
  const invalid = await store.invalidTopLevelDirectories();
  if (invalid.length > 0) throw new InvalidBackupStoreError(invalid);
}
