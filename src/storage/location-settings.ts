/**
 * What a BackupStorageLocation says about where its data lives, read without opening it: no
 * storage provider (and so no AWS SDK) is loaded here, which keeps the node agent, which only
 * hands these settings to kopia or restic, small (location.ts opens the store itself).
 */
import { StorageConfigError } from './errors.ts';
import type { ObjectStoreProvider, ProviderDeps, ProviderInit } from './provider.ts';

/** Velero's install namespace (Appendix B); BSLs and their secrets live there. */
const VELERO_NAMESPACE = 'velero';

/** The fields of a BackupStorageLocation (§1.4) that storage reads; the full type lives in api/. */
export interface BackupStorageLocationLike {
  metadata?: { name?: string; namespace?: string };
  spec: {
    provider: string;
    objectStorage: {
      bucket: string;
      prefix?: string;
      /** Base64 PEM bundle (deprecated in Velero, still honoured). */
      caCert?: string;
      caCertRef?: { name?: string | undefined; key: string } | null;
    };
    config?: Record<string, string>;
    credential?: { name?: string | undefined; key: string } | null;
    accessMode?: string;
  };
}

export interface LocationDeps extends ProviderDeps {
  providers?: ReadonlyMap<string, ObjectStoreProvider>;
  /** Namespace of the BSL's secrets when the object has none (Velero's install namespace). */
  defaultNamespace?: string;
}

/**
 * `spec.objectStorage.bucket` as Velero reads it (§1.4): surrounding `/` trimmed, no `/`
 * inside except in an S3 Multi-Region Access Point ARN.
 */
export function normalizeBucket(provider: string, bucket: string): string {
  const trimmed = bucket.replace(/^\/+|\/+$/g, '');
  if (trimmed === '') {
    throw new StorageConfigError(provider, 'spec.objectStorage.bucket', 'spec.objectStorage.bucket is empty');
  }
  if (trimmed.includes('/') && !trimmed.startsWith('arn:aws:s3:')) {
    throw new StorageConfigError(
      provider,
      'spec.objectStorage.bucket',
      `bucket "${trimmed}" contains "/": put the sub-path in spec.objectStorage.prefix instead`,
    );
  }
  return trimmed;
}

export function isReadOnly(bsl: BackupStorageLocationLike): boolean {
  return bsl.spec.accessMode === 'ReadOnly';
}

/** The location's PEM CA bundle (`caCertRef` or the deprecated `caCert`), if any. */
export async function caCertOf(
  bsl: BackupStorageLocationLike,
  namespace: string,
  deps: LocationDeps,
): Promise<string | undefined> {
  const { provider, objectStorage } = bsl.spec;
  // Velero refuses a BSL that sets both (§5.5 validation step 1).
  if (objectStorage.caCert && objectStorage.caCertRef) {
    throw new StorageConfigError(
      provider,
      'spec.objectStorage.caCertRef',
      'spec.objectStorage.caCert and spec.objectStorage.caCertRef are mutually exclusive: keep only caCertRef',
    );
  }
  if (objectStorage.caCertRef) {
    if (!deps.readSecretKey) {
      throw new StorageConfigError(
        provider,
        'spec.objectStorage.caCertRef',
        'caCertRef is set but no secret reader was provided',
      );
    }
    const { name = '', key } = objectStorage.caCertRef;
    return deps.readSecretKey(namespace, name, key);
  }
  if (objectStorage.caCert) return Buffer.from(objectStorage.caCert, 'base64').toString('utf8');
  return undefined;
}

/**
 * What Velero passes to a plugin's Init for a BSL (§1.4): a copy of `spec.config`, the bucket,
 * the CA bundle and the credential. The object store and the repositories start from the same
 * one, so a provider refuses the same location whichever of them opens it.
 */
export async function providerInitOf(bsl: BackupStorageLocationLike, deps: LocationDeps): Promise<ProviderInit> {
  const { provider, objectStorage, config, credential } = bsl.spec;
  const namespace = bsl.metadata?.namespace ?? deps.defaultNamespace ?? VELERO_NAMESPACE;
  const caCert = await caCertOf(bsl, namespace, deps);
  return {
    provider,
    bucket: normalizeBucket(provider, objectStorage.bucket),
    config: { ...config },
    ...(caCert !== undefined ? { caCert } : {}),
    ...(credential ? { credential: { namespace, name: credential.name ?? '', key: credential.key } } : {}),
  };
}
