import { SkiffError } from '../util/errors.ts';

/** Where a storage failure happened; every ObjectStoreError carries it. */
export interface ObjectStoreTarget {
  /** Provider id as registered (`aws`, `filesystem`, ...). */
  provider: string;
  bucket: string;
  /** The endpoint or root a user would recognise: `http://minio:9000`, `/var/lib/skiff`, ... */
  endpoint: string;
}

/**
 * A failed object-store call. Subclasses are the failures a user can act on; the
 * generic one covers the rest. `key` is empty for bucket-level calls.
 */
export abstract class ObjectStoreError extends SkiffError {
  readonly provider: string;
  readonly bucket: string;
  readonly endpoint: string;
  constructor(
    target: ObjectStoreTarget,
    readonly key: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.provider = target.provider;
    this.bucket = target.bucket;
    this.endpoint = target.endpoint;
  }
}

export class ObjectNotFoundError extends ObjectStoreError {
  readonly code = 'ObjectNotFound';
  constructor(target: ObjectStoreTarget, key: string, options?: ErrorOptions) {
    super(target, key, `object "${key}" not found in bucket "${target.bucket}" at ${target.endpoint}`, options);
  }
}

export class BucketNotFoundError extends ObjectStoreError {
  readonly code = 'BucketNotFound';
  constructor(target: ObjectStoreTarget, key: string, options?: ErrorOptions) {
    super(
      target,
      key,
      `bucket "${target.bucket}" does not exist at ${target.endpoint}: create it or fix spec.objectStorage.bucket`,
      options,
    );
  }
}

/** Wrong, missing or expired credentials, or a policy that denies the call. */
export class AccessDeniedError extends ObjectStoreError {
  readonly code = 'AccessDenied';
  constructor(
    target: ObjectStoreTarget,
    key: string,
    reason: string,
    hint = 'check the credentials (the secret named by spec.credential, the command in spec.config.credentialProcess, or the server credentials file) and the bucket policy',
    options?: ErrorOptions,
  ) {
    super(
      target,
      key,
      `access to bucket "${target.bucket}" at ${target.endpoint} was denied (${reason}): ${hint}`,
      options,
    );
  }
}

/** Connection refused, DNS failure, TLS failure, timeout: nothing answered. */
export class EndpointUnreachableError extends ObjectStoreError {
  readonly code = 'EndpointUnreachable';
  override readonly transient: boolean;
  /** `transient` is false for TLS verification failures: retrying will not fix a certificate. */
  constructor(target: ObjectStoreTarget, key: string, reason: string, transient = true, options?: ErrorOptions) {
    super(
      target,
      key,
      `cannot reach object storage at ${target.endpoint} (${reason}): ` +
        'check spec.config.s3Url, the network, and the TLS settings (spec.objectStorage.caCert, spec.config.insecureSkipTLSVerify)',
      options,
    );
    this.transient = transient;
  }
}

/** A key that is empty, absolute or climbs out of the bucket (`..`). */
export class InvalidObjectKeyError extends ObjectStoreError {
  readonly code = 'InvalidObjectKey';
  constructor(target: ObjectStoreTarget, key: string, reason: string) {
    super(target, key, `invalid object key "${key}": ${reason}`);
  }
}

/** Any other failure the server reported; transient for throttling and 5xx answers. */
export class ObjectStoreRequestError extends ObjectStoreError {
  readonly code = 'ObjectStoreRequestFailed';
  override readonly transient: boolean;
  constructor(
    target: ObjectStoreTarget,
    key: string,
    readonly operation: string,
    readonly serverCode: string,
    details: { message: string; transient: boolean; cause?: unknown },
  ) {
    const where = key ? `object "${key}" in bucket "${target.bucket}"` : `bucket "${target.bucket}"`;
    super(target, key, `${operation} of ${where} at ${target.endpoint} failed: ${serverCode}: ${details.message}`, {
      cause: details.cause,
    });
    this.transient = details.transient;
  }
}

/** A BackupStorageLocation whose provider or config cannot work as written. */
export class StorageConfigError extends SkiffError {
  readonly code = 'InvalidStorageConfig';
  constructor(
    readonly provider: string,
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The bucket/prefix holds top-level "directories" Velero does not own (§2.1 IsValid),
 * so it is probably shared with something else.
 */
export class InvalidBackupStoreError extends SkiffError {
  readonly code = 'InvalidBackupStore';
  constructor(readonly invalidDirectories: string[]) {
    super(
      `Backup store contains invalid top-level directories: ${invalidDirectories.slice(0, 3).join(', ')}: ` +
        'use a dedicated bucket or set spec.objectStorage.prefix',
    );
  }
}

/** A `velero-backup.json` that exists but is not a JSON object (truncated, corrupted, hand-edited). */
export class CorruptBackupMetadataError extends SkiffError {
  readonly code = 'CorruptBackupMetadata';
  constructor(
    readonly backup: string,
    readonly key: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(`the metadata of backup "${backup}" (${key}) is unreadable: ${reason}`, options);
  }
}
