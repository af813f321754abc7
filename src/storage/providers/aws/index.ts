import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { Agent } from 'node:https';
import type { ObjectStoreProvider, ProviderDeps, ProviderInit } from '../../provider.ts';
import type { AwsStaticCredentials } from './credentials-file.ts';
import { id, resolveCredentials } from './credentials.ts';
import { defaultUploadTuning, S3ObjectStore } from './s3-object-store.ts';
import { parseAwsSettings, type AwsSettings } from './settings.ts';

export { S3ObjectStore, defaultUploadTuning, type UploadTuning } from './s3-object-store.ts';
export { parseSharedCredentials, credentialsFromProfile, type AwsStaticCredentials } from './credentials-file.ts';
export { parseAwsSettings, type AwsSettings } from './settings.ts';
export { id, resolveCredentials } from './credentials.ts';

/** How long to wait for a TCP connection before calling the endpoint unreachable. */
const CONNECTION_TIMEOUT_MS = 10_000;

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
