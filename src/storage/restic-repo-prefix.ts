/**
 * BSL `spec.config.resticRepoPrefix` (reference §2.5): the legacy restic repository of a
 * workload namespace is `<resticRepoPrefix>/<ns>` instead of the location's
 * `<bucket>/<prefix>/restic/<ns>`. Velero hands that string to restic as the repository URL; it
 * is read here once so the identifier Skiff records and the place restic is pointed at agree.
 */
import { isAbsolute } from 'node:path';
import { StorageConfigError } from './errors.ts';

interface ResticRepoPrefixBase {
  /** The value without trailing `/`: namespace `ns`'s repository is `${asWritten}/${ns}`. */
  asWritten: string;
}

/** An S3 restic URL, `s3:<host>/<bucket>[/<prefix>]`. */
export interface S3ResticRepoPrefix extends ResticRepoPrefixBase {
  kind: 's3';
  /** As written: `s3.amazonaws.com`, or with a scheme, `http://minio:9000` (restic takes a bare host as https). */
  host: string;
  bucket: string;
  /** Key prefix inside the bucket, without surrounding `/`; "" for the bucket's root. */
  prefix: string;
}

/** A directory, for Skiff's filesystem locations (restic's local backend). */
export interface DirectoryResticRepoPrefix extends ResticRepoPrefixBase {
  kind: 'filesystem';
}

export type ResticRepoPrefix = S3ResticRepoPrefix | DirectoryResticRepoPrefix;

const FIELD = 'spec.config.resticRepoPrefix';

/**
 * restic's S3 form: `s3:` (or `s3://`), the host with an optional http(s) scheme, the bucket, then
 * the prefix. Other restic backends (azure:, gs:, ...) are not S3 locations Skiff can run restic on.
 */
const S3_URL = /^s3:(?:\/\/)?((?:https?:\/\/)?[^/]+)\/([^/]+)(?:\/(.*))?$/;

function refuse(provider: string, value: string, expected: string): never {
  throw new StorageConfigError(provider, FIELD, `${FIELD} ${JSON.stringify(value)} is not ${expected}`);
}

/** The location's resticRepoPrefix, read as its kind of location needs; undefined when unset or "". */
export function parseResticRepoPrefix(
  provider: string,
  config: Readonly<Record<string, string>>,
  kind: 's3',
): S3ResticRepoPrefix | undefined;
export function parseResticRepoPrefix(
  provider: string,
  config: Readonly<Record<string, string>>,
  kind: 'filesystem',
): DirectoryResticRepoPrefix | undefined;
export function parseResticRepoPrefix(
  provider: string,
  config: Readonly<Record<string, string>>,
  kind: ResticRepoPrefix['kind'],
): ResticRepoPrefix | undefined;
export function parseResticRepoPrefix(
  provider: string,
  config: Readonly<Record<string, string>>,
  kind: ResticRepoPrefix['kind'],
): ResticRepoPrefix | undefined {
  const value = config.resticRepoPrefix;
  if (!value) return undefined;
  // `/<ns>` goes after the value without its trailing slashes, as resticIdentifier has always done.
  const trimmed = value.replace(/\/+$/, '');
  if (kind === 'filesystem') {
    if (!isAbsolute(trimmed)) {
      refuse(provider, value, 'an absolute directory, as a filesystem location needs (e.g. /var/backups/restic)');
    }
    return { kind, asWritten: trimmed };
  }
  const match = S3_URL.exec(trimmed);
  const [, host, bucket, prefix = ''] = match ?? [];
  if (host === undefined || bucket === undefined) {
    refuse(
      provider,
      value,
      'a restic S3 repository URL, s3:<host>/<bucket>[/<prefix>] (e.g. s3:s3.amazonaws.com/my-bucket/restic)',
    );
  }
  return { kind, asWritten: trimmed, host, bucket, prefix };
}
