import { BackupStore } from './backup-store.ts';
import { InvalidBackupStoreError } from './errors.ts';
import type { ObjectStore } from './object-store.ts';
import { providerInitOf, type BackupStorageLocationLike, type LocationDeps } from './location-settings.ts';
import { defaultProviders, providerFor } from './providers/index.ts';

export {
  caCertOf,
  isReadOnly,
  normalizeBucket,
  providerInitOf,
  type BackupStorageLocationLike,
  type LocationDeps,
} from './location-settings.ts';

/** Builds the ObjectStore of a BSL: what Velero passes to the plugin's Init (§1.4). */
export async function objectStoreForLocation(
  bsl: BackupStorageLocationLike,
  deps: LocationDeps = {},
): Promise<ObjectStore> {
  const provider = providerFor(bsl.spec.provider, deps.providers ?? defaultProviders);
  return provider.create(await providerInitOf(bsl, deps), deps);
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
