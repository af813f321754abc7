import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { readFile } from 'node:fs/promises';
import { Agent } from 'node:https';
import { StorageConfigError } from '../../errors.ts';
import type { ObjectStoreProvider, ProviderDeps, ProviderInit } from '../../provider.ts';
import { credentialsFromProfile, type AwsStaticCredentials } from './credentials-file.ts';
import { defaultUploadTuning, S3ObjectStore } from './s3-object-store.ts';
import { parseAwsSettings, type AwsSettings } from './settings.ts';

export { S3ObjectStore, defaultUploadTuning, type UploadTuning } from './s3-object-store.ts';
export { parseSharedCredentials, credentialsFromProfile, type AwsStaticCredentials } from './credentials-file.ts';
export { parseAwsSettings, type AwsSettings } from './settings.ts';

/** Velero's AWS plugin; `spec.provider` `aws` is short for `velero.io/aws` (§1.4). */
export const id = 'aws';

/** How long to wait for a TCP connection before calling the endpoint unreachable. */
const CONNECTION_TIMEOUT_MS = 10_000;

/**
 * Credentials in Velero's order (§5.7): the BSL's own secret (`spec.credential`), else the
 * server's shared-credentials file, else undefined (the SDK's default chain: env, web
 * identity, instance role...). Both files use the AWS shared-credentials format.
 */
export async function resolveCredentials(
  init: ProviderInit,
  deps: ProviderDeps,
  profile: string,
): Promise<AwsStaticCredentials | undefined> {
  let text: string;
  let source: string;
  if (init.credential) {
    const { namespace, name, key } = init.credential;
    if (!deps.readSecretKey) {
      throw new StorageConfigError(id, 'spec.credential', 'spec.credential is set but no secret reader was provided');
    }
    source = `key "${key}" of secret ${namespace}/${name} (spec.credential)`;
    text = await deps.readSecretKey(namespace, name, key);
  } else if (deps.awsSharedCredentialsFile) {
    source = `the server credentials file ${deps.awsSharedCredentialsFile}`;
    try {
      text = await readFile(deps.awsSharedCredentialsFile, 'utf8');
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new StorageConfigError(id, 'credentials', `cannot read ${source}: ${reason}`);
    }
  } else {
    return undefined;
  }
  const credentials = credentialsFromProfile(text, profile);
  if (typeof credentials === 'string') {
    throw new StorageConfigError(id, init.credential ? 'spec.credential' : 'credentials', `${source}: ${credentials}`);
  }
  return credentials;
}

/** The S3 client configuration for the BSL settings (exported for tests). */
export function s3ClientConfig(
  settings: AwsSettings,
  credentials: AwsStaticCredentials | undefined,
  caCert?: string,
): S3ClientConfig {
  const tls = caCert !== undefined || settings.insecureSkipTLSVerify;
  const whenRequired = settings.checksumsWhenRequired ? ('WHEN_REQUIRED' as const) : undefined;
  return {
    region: settings.region,
    ...(settings.endpoint !== undefined ? { endpoint: settings.endpoint } : {}),
    forcePathStyle: settings.forcePathStyle,
    // Without a configured region on AWS itself, let S3's redirect name the bucket's region.
    followRegionRedirects: !settings.regionConfigured && settings.endpoint === undefined,
    ...(credentials ? { credentials } : { profile: settings.profile }),
    ...(whenRequired ? { requestChecksumCalculation: whenRequired, responseChecksumValidation: whenRequired } : {}),
    requestHandler: {
      connectionTimeout: CONNECTION_TIMEOUT_MS,
      ...(tls
        ? {
            httpsAgent: new Agent({
              keepAlive: true,
              ...(caCert !== undefined ? { ca: caCert } : {}),
              rejectUnauthorized: !settings.insecureSkipTLSVerify,
            }),
          }
        : {}),
    },
  };
}

export async function create(init: ProviderInit, deps: ProviderDeps): Promise<S3ObjectStore> {
  const settings = parseAwsSettings(init.provider, init.config);
  const credentials = await resolveCredentials(init, deps, settings.profile);
  const config = s3ClientConfig(settings, credentials, init.caCert);
  const client = new S3Client(config);
  const signer = settings.publicUrl === undefined ? client : new S3Client({ ...config, endpoint: settings.publicUrl });
  return new S3ObjectStore(client, init.bucket, settings, defaultUploadTuning, signer);
}

export const awsProvider: ObjectStoreProvider = {
  id,
  names: [id, 'velero.io/aws'],
  create,
};
