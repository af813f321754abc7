import type { ObjectStore } from './object-store.ts';

/** A key of a Secret, as in a BSL's `spec.credential` (namespace resolved by the caller). */
export interface SecretKeyRef {
  namespace: string;
  name: string;
  key: string;
}

/** What a provider may need from outside storage; injected so storage does not depend on the kube client. */
export interface ProviderDeps {
  /** Reads one key of a Secret as text. Needed only when the BSL has `spec.credential`. */
  readSecretKey?: (namespace: string, name: string, key: string) => Promise<string>;
  /**
   * The server's AWS shared-credentials file (Velero mounts `cloud-credentials` at
   * `/credentials/cloud` and points AWS_SHARED_CREDENTIALS_FILE at it, §5.7).
   */
  awsSharedCredentialsFile?: string;
}

/**
 * What Velero hands to a plugin's `ObjectStore.Init` (§1.4): the BSL's `spec.config`,
 * plus the bucket, the CA bundle and the per-location credential.
 */
export interface ProviderInit {
  /** The provider name as written in the BSL. */
  provider: string;
  bucket: string;
  /** A copy of `spec.config` (provider-specific keys). */
  config: Readonly<Record<string, string>>;
  /** PEM CA bundle from `caCertRef` or `caCert` (already base64-decoded). */
  caCert?: string;
  credential?: SecretKeyRef;
}

export type ObjectStoreFactory = (init: ProviderInit, deps: ProviderDeps) => Promise<ObjectStore>;

/** A storage provider: one folder under providers/, registered by its names. */
export interface ObjectStoreProvider {
  /** Our canonical name. */
  id: string;
  /** Every `spec.provider` value that selects this provider. */
  names: readonly string[];
  create: ObjectStoreFactory;
}
