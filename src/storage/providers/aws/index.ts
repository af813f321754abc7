import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { Agent } from 'node:https';
import type { ObjectStoreProvider, ProviderDeps, ProviderInit } from '../../provider.ts';
import type { AwsStaticCredentials } from './credentials-file.ts';
import type { ProcessCredentials } from './credential-process.ts';
import { resolveCredentialSource, type CredentialSource } from './credential-source.ts';
import { defaultUploadTuning, S3ObjectStore } from './s3-object-store.ts';
import { parseAwsSettings, type AwsSettings } from './settings.ts';

export { S3ObjectStore, defaultUploadTuning, type UploadTuning } from './s3-object-store.ts';
export { parseSharedCredentials, credentialsFromProfile, type AwsStaticCredentials } from './credentials-file.ts';
export { parseAwsSettings, type AwsSettings } from './settings.ts';
export { resolveCredentials, resolveCredentialSource, type CredentialSource } from './credential-source.ts';

/** Velero's AWS plugin; `spec.provider` `aws` is short for `velero.io/aws` (§1.4). */
export const id = 'aws';

/** How long to wait for a TCP connection before calling the endpoint unreachable. */
const CONNECTION_TIMEOUT_MS = 10_000;

/** The S3 client configuration for the BSL settings (exported for tests). */
export function s3ClientConfig(
  settings: AwsSettings,
  credentials: AwsStaticCredentials | (() => Promise<ProcessCredentials>) | undefined,
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
    ...(credentials ? { credentials } : settings.profileConfigured ? { profile: settings.profile } : {}),
    ...(whenRequired ? { requestChecksumCalculation: whenRequired, responseChecksumValidation: whenRequired } : {}),
    // A command's middleware stack is resolved once per command class, not on every request
    // (send-options.ts). The cached stack shares its context between requests of that class;
    // what the middlewares keep there (endpoint, auth scheme, signing region) depends only on
    // the client and the bucket, and a store has one of each.
    cacheMiddleware: true,
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
  const source = await resolveCredentialSource(init, deps, settings.profile);
  const config = s3ClientConfig(settings, sdkCredentials(source), init.caCert);
  const client = new S3Client(config);
  const signer = settings.publicUrl === undefined ? client : new S3Client({ ...config, endpoint: settings.publicUrl });
  return new S3ObjectStore(client, init.bucket, settings, defaultUploadTuning, signer);
}

/**
 * What the S3 client is given: static keys, or a provider the SDK asks before signing (the
 * credential process hands out its cached credentials until their refresh time), or nothing,
 * which makes the SDK use its default chain for the location's profile.
 */
function sdkCredentials(
  source: CredentialSource,
): AwsStaticCredentials | (() => Promise<ProcessCredentials>) | undefined {
  if (source.kind === 'static') return source.credentials;
  if (source.kind === 'process') return () => source.process.get();
  return undefined;
}

export const awsProvider: ObjectStoreProvider = {
  id,
  names: [id, 'velero.io/aws'],
  create,
};
