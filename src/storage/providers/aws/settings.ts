import { StorageConfigError } from '../../errors.ts';
import { parseResticRepoPrefix, type S3ResticRepoPrefix } from '../../restic-repo-prefix.ts';
import { parseBoolConfig, refuseUnknownConfigKeys } from '../config-keys.ts';

/** The checksum algorithms Velero's AWS plugin accepts for `checksumAlgorithm`. */
export const checksumAlgorithms = ['CRC32', 'CRC32C', 'SHA1', 'SHA256'] as const;
export type ChecksumAlgorithm = (typeof checksumAlgorithms)[number];

/** The BSL `spec.config` keys of Velero's AWS plugin that Skiff honours, parsed. */
export interface AwsSettings {
  region: string;
  /** False when `region` was not set: the client then follows S3's region redirects. */
  regionConfigured: boolean;
  /** `s3Url`: an S3-compatible endpoint (MinIO, Ceph, ...), or undefined for AWS itself. */
  endpoint?: string;
  forcePathStyle: boolean;
  insecureSkipTLSVerify: boolean;
  /** Profile of the credentials file to use (`profile`, default `default`). */
  profile: string;
  /**
   * False when `profile` was not set: the SDK's default chain then starts with the environment
   * (naming a profile makes it skip AWS_ACCESS_KEY_ID and go to the shared files).
   */
  profileConfigured: boolean;
  /** Algorithm to attach to uploads, or undefined for none / the SDK default. */
  checksumAlgorithm?: ChecksumAlgorithm;
  /** Compute and validate checksums only when S3 requires them (see parseAwsSettings). */
  checksumsWhenRequired: boolean;
  /** `publicUrl`: the endpoint signed URLs point at, for clients outside the cluster. */
  publicUrl?: string;
  serverSideEncryption?: string;
  kmsKeyId?: string;
  /** What error messages call the endpoint. */
  displayEndpoint: string;
  /** Where legacy restic repositories live instead of `<prefix>/restic/` (§2.5). */
  resticRepoPrefix?: S3ResticRepoPrefix;
}

function parseUrl(provider: string, key: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new StorageConfigError(provider, `spec.config.${key}`, `spec.config.${key} "${value}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new StorageConfigError(provider, `spec.config.${key}`, `spec.config.${key} "${value}" must be http or https`);
  }
  return value.replace(/\/+$/, '');
}

function parseChecksum(provider: string, config: Readonly<Record<string, string>>, endpoint: string | undefined) {
  const value = config.checksumAlgorithm;
  // Velero's AWS plugin: absent means CRC32, the empty string means no checksum at all.
  // S3-compatible servers (s3Url set) often reject or mis-handle the newer flexible
  // checksums the SDK sends by default, so there we only send what S3 requires
  // (DESIGN.md, checked against MinIO on this machine).
  if (value === undefined) return { checksumsWhenRequired: endpoint !== undefined };
  if (value === '') return { checksumsWhenRequired: true };
  const upper = value.toUpperCase();
  const algorithm = checksumAlgorithms.find((a) => a === upper);
  if (algorithm === undefined) {
    throw new StorageConfigError(
      provider,
      'spec.config.checksumAlgorithm',
      `spec.config.checksumAlgorithm "${value}" is not one of ${checksumAlgorithms.join(', ')} or ""`,
    );
  }
  return { checksumAlgorithm: algorithm, checksumsWhenRequired: false };
}

/** The `spec.config` keys Skiff acts on for an AWS location. */
const HONOURED_KEYS = [
  'region',
  's3Url',
  'publicUrl',
  's3ForcePathStyle',
  'insecureSkipTLSVerify',
  'profile',
  'checksumAlgorithm',
  'serverSideEncryption',
  'kmsKeyId',
  'credentialsFile',
  'credentialProcess',
  // Where restic repositories live (src/volumes/repository/target.ts and identity.ts).
  'resticRepoPrefix',
  // The SDK always reads the shared config files, which is what this asks for.
  'enableSharedConfig',
];

/** Keys of Velero's AWS plugin that Skiff does not implement, with what to do instead. */
const UNSUPPORTED_KEYS: Readonly<Record<string, string>> = {
  customerKeyEncryptionFile: 'SSE-C is not supported; use serverSideEncryption (AES256 or aws:kms) instead',
  tagging: 'object tagging is not supported; remove the key',
  signatureVersion: 'only Signature Version 4 is supported; set "4" or remove the key',
};

/** Velero's AWS plugin refuses keys it does not know as well; version 4 is the one Skiff signs with. */
function refuseUnknownKeys(provider: string, config: Readonly<Record<string, string>>): void {
  const { signatureVersion, ...others } = config;
  refuseUnknownConfigKeys(provider, signatureVersion === '4' ? others : config, {
    label: 'AWS',
    keys: HONOURED_KEYS,
    unsupported: UNSUPPORTED_KEYS,
  });
}

const KMS_ENCRYPTIONS = ['aws:kms', 'aws:kms:dsse'];

/**
 * A KMS key implies KMS encryption, as with Velero's AWS plugin: sent alone, the key header is
 * rejected by AWS and may be dropped by an S3-compatible server, leaving objects encrypted
 * some other way or not at all. A key beside a non-KMS encryption contradicts itself.
 */
function parseEncryption(
  provider: string,
  config: Readonly<Record<string, string>>,
): Pick<AwsSettings, 'serverSideEncryption' | 'kmsKeyId'> {
  const sse = config.serverSideEncryption ?? '';
  const kmsKeyId = config.kmsKeyId ?? '';
  if (kmsKeyId === '') return sse ? { serverSideEncryption: sse } : {};
  if (sse !== '' && !KMS_ENCRYPTIONS.includes(sse)) {
    throw new StorageConfigError(
      provider,
      'spec.config.kmsKeyId',
      `spec.config.kmsKeyId needs KMS encryption, but spec.config.serverSideEncryption is "${sse}": set it to ${KMS_ENCRYPTIONS.join(' or ')}, or remove one of the two keys`,
    );
  }
  return { serverSideEncryption: sse || 'aws:kms', kmsKeyId };
}

/** Parses the AWS plugin's config keys (Velero's AWS plugin, §1.4 `spec.config`). */
export function parseAwsSettings(provider: string, config: Readonly<Record<string, string>>): AwsSettings {
  refuseUnknownKeys(provider, config);
  const endpoint = config.s3Url ? parseUrl(provider, 's3Url', config.s3Url) : undefined;
  const publicUrl = config.publicUrl ? parseUrl(provider, 'publicUrl', config.publicUrl) : undefined;
  const regionConfigured = Boolean(config.region);
  // Without a region, S3-compatible servers conventionally accept us-east-1; for AWS the
  // client follows the bucket's region redirect (Velero looks the region up instead).
  const region = config.region || 'us-east-1';
  const resticRepoPrefix = parseResticRepoPrefix(provider, config, 's3');
  return {
    region,
    regionConfigured,
    ...(endpoint !== undefined ? { endpoint } : {}),
    forcePathStyle: parseBoolConfig(provider, config, 's3ForcePathStyle'),
    insecureSkipTLSVerify: parseBoolConfig(provider, config, 'insecureSkipTLSVerify'),
    profile: config.profile || 'default',
    profileConfigured: Boolean(config.profile),
    ...parseChecksum(provider, config, endpoint),
    ...(publicUrl !== undefined ? { publicUrl } : {}),
    ...parseEncryption(provider, config),
    displayEndpoint: endpoint ?? `https://s3.${region}.amazonaws.com`,
    ...(resticRepoPrefix !== undefined ? { resticRepoPrefix } : {}),
  };
}
