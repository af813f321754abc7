/**
 * Where a repository lives and with which credentials, read from a BackupStorageLocation the
 * way the server opens its object store (§1.4, §5.7): the location's credential process, else its
 * own credential secret, else the server's shared-credentials file, else the default chain the
 * tool applies itself; its CA bundle; its `s3Url`, region and path style.
 */
import { join } from 'node:path';
import type { RepositoryType } from '../../api/index.ts';
import {
  caCertOf,
  normalizeBucket,
  type BackupStorageLocationLike,
  type LocationDeps,
} from '../../storage/location-settings.ts';
import { resolveCredentials } from '../../storage/providers/aws/credential-source.ts';
import { parseAwsSettings } from '../../storage/providers/aws/settings.ts';
import { isFilesystemProvider, repositoryPrefix } from './identity.ts';
import type { RepositoryTarget } from '../uploader/types.ts';

const AWS_PROVIDERS = new Set(['aws', 'velero.io/aws']);

export async function repositoryTarget(
  bsl: BackupStorageLocationLike,
  type: RepositoryType,
  volumeNamespace: string,
  deps: LocationDeps & { defaultNamespace: string },
): Promise<RepositoryTarget> {
  const { provider, objectStorage, config = {} } = bsl.spec;
  const prefix = repositoryPrefix(objectStorage.prefix, type, volumeNamespace);
  const bucket = normalizeBucket(provider, objectStorage.bucket);
  if (isFilesystemProvider(provider)) {
    if (!config.path) throw new Error(`location ${bsl.metadata?.name ?? ''} has no spec.config.path`);
    return { kind: 'filesystem', path: join(config.path, bucket, prefix) };
  }
  if (!AWS_PROVIDERS.has(provider)) {
    throw new Error(
      `file-system backup supports locations of provider aws (S3 and S3-compatible) and filesystem; location ${bsl.metadata?.name ?? ''} has provider "${provider}"`,
    );
  }
  const namespace = bsl.metadata?.namespace ?? deps.defaultNamespace;
  const settings = parseAwsSettings(provider, config);
  const caCert = await caCertOf(bsl, namespace, deps);
  const credential = bsl.spec.credential;
  const credentials = await resolveCredentials(
    {
      provider,
      bucket,
      config,
      ...(credential ? { credential: { namespace, name: credential.name ?? '', key: credential.key } } : {}),
    },
    deps,
    settings.profile,
  );
  return {
    kind: 's3',
    bucket,
    prefix,
    ...(settings.endpoint !== undefined ? { endpoint: settings.endpoint } : {}),
    region: settings.region,
    forcePathStyle: settings.forcePathStyle,
    insecureSkipTLSVerify: settings.insecureSkipTLSVerify,
    ...(caCert !== undefined ? { caCert } : {}),
    ...(credentials ? { credentials } : {}),
  };
}
