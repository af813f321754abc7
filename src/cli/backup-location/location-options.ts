/**
 * Flags → BackupStorageLocation, pure (reference §1.4, §8.2). Shared by
 * `backup-location create` and `install`, which creates the `default` location.
 */
import type { BackupStorageLocation, BackupStorageLocationSpec } from '../../api/backup-storage-location.ts';
import {
  newObjectMetadata,
  parseCredential,
  parseDurationFlag,
  parseKeyValues,
  parseLabels,
  ProblemCollector,
} from '../flags.ts';

export interface LocationFlags {
  provider?: string | undefined;
  bucket?: string | undefined;
  prefix?: string | undefined;
  config?: string[] | undefined;
  credential?: string | undefined;
  default?: boolean | undefined;
  accessMode?: string | undefined;
  backupSyncPeriod?: string | undefined;
  validationFrequency?: string | undefined;
  labels?: string[] | undefined;
  /** Contents of the --cacert file, base64 (the CLI reads the file). */
  caCertBase64?: string | undefined;
}

export const ACCESS_MODES = ['ReadWrite', 'ReadOnly'] as const;

/** Velero trims slashes around a bucket and rejects one inside, except in S3 multi-region access point ARNs. */
export function bucketProblem(bucket: string): string | null {
  if (bucket === '') return '--bucket is required';
  if (bucket.includes('/') && !bucket.startsWith('arn:aws:s3:')) {
    return `--bucket "${bucket}" contains a "/": put the path part in --prefix`;
  }
  return null;
}

export function accessModeProblem(mode: string | undefined): string | null {
  if (mode === undefined || (ACCESS_MODES as readonly string[]).includes(mode)) return null;
  return `--access-mode "${mode}" is not valid: use ReadWrite or ReadOnly`;
}

export function buildLocation(
  name: string,
  namespace: string,
  flags: LocationFlags,
): { location: BackupStorageLocation; problems: string[] } {
  const p = new ProblemCollector();
  if (!flags.provider) p.add('--provider is required (e.g. aws or filesystem)');
  const bucket = (flags.bucket ?? '').replace(/^\/+|\/+$/g, '');
  const bucketErr = bucketProblem(bucket);
  if (bucketErr) p.add(bucketErr);
  const accessErr = accessModeProblem(flags.accessMode);
  if (accessErr) p.add(accessErr);
  const spec: BackupStorageLocationSpec = {
    provider: flags.provider ?? '',
    objectStorage: {
      bucket,
      ...(flags.prefix ? { prefix: flags.prefix } : {}),
      ...(flags.caCertBase64 ? { caCert: flags.caCertBase64 } : {}),
    },
  };
  const config = p.attempt(() => parseKeyValues(flags.config, '--config'));
  if (config && Object.keys(config).length > 0) spec.config = config;
  if (flags.credential !== undefined) {
    const credential = p.attempt(() => parseCredential(flags.credential ?? ''));
    if (credential) spec.credential = credential;
  }
  if (flags.default) spec.default = true;
  if (flags.accessMode && !accessErr) spec.accessMode = flags.accessMode as 'ReadWrite' | 'ReadOnly';
  const sync = p.attempt(() => parseDurationFlag(flags.backupSyncPeriod, '--backup-sync-period'));
  if (sync !== undefined) spec.backupSyncPeriod = sync;
  const validation = p.attempt(() => parseDurationFlag(flags.validationFrequency, '--validation-frequency'));
  if (validation !== undefined) spec.validationFrequency = validation;
  const labels = p.attempt(() => parseLabels(flags.labels)) ?? {};
  const location: BackupStorageLocation = {
    apiVersion: 'velero.io/v1',
    kind: 'BackupStorageLocation',
    metadata: newObjectMetadata(name, namespace, labels),
    spec,
  };
  return { location, problems: p.problems };
}
