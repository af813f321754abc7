/**
 * Where a repository lives and with which credentials, read from a BackupStorageLocation the
 * way the server opens its object store (§1.4, §5.7): the location's credential process, else its
 * own credential secret, else the server's shared-credentials file, else the default chain the
 * tool applies itself; its CA bundle; its `s3Url`, region and path style. A restic repository
 * follows the location's `resticRepoPrefix` when it has one (§2.5).
 */
import { join } from 'node:path';
import type { RepositoryType } from '../../api/index.ts';
import { providerInitOf, type BackupStorageLocationLike, type LocationDeps } from '../../storage/location-settings.ts';
import type { ProviderInit } from '../../storage/provider.ts';
import { resolveCredentials } from '../../storage/providers/aws/credential-source.ts';
import { parseAwsSettings } from '../../storage/providers/aws/settings.ts';
import { parseFilesystemSettings } from '../../storage/providers/filesystem/settings.ts';
import { isFilesystemProvider, repositoryPrefix } from './identity.ts';
import type { FilesystemRepositoryTarget, RepositoryTarget, S3RepositoryTarget } from '../uploader/types.ts';

const AWS_PROVIDERS = new Set(['aws', 'velero.io/aws']);

export async function repositoryTarget(
  bsl: BackupStorageLocationLike,
  type: RepositoryType,
  volumeNamespace: string,
  deps: LocationDeps & { defaultNamespace: string },
): Promise<RepositoryTarget> {
  const { provider, objectStorage } = bsl.spec;
  const filesystem = isFilesystemProvider(provider);
  if (!filesystem && !AWS_PROVIDERS.has(provider)) {
    throw new Error(
      `file-system backup supports locations of provider aws (S3 and S3-compatible) and filesystem; location ${bsl.metadata?.name ?? ''} has provider "${provider}"`,
    );
  }
  const init = await providerInitOf(bsl, deps);
  const prefix = repositoryPrefix(objectStorage.prefix, type, volumeNamespace);
  return filesystem
    ? filesystemTarget(init, type, prefix, volumeNamespace)
    : s3Target(init, type, prefix, volumeNamespace, deps);
}

/** Read with the provider's own settings parser, so a location it refuses is refused here too. */
function filesystemTarget(
  init: ProviderInit,
  type: RepositoryType,
  prefix: string,
  volumeNamespace: string,
): FilesystemRepositoryTarget {
  const settings = parseFilesystemSettings(init);
  // Kopia repositories ignore resticRepoPrefix, as Velero's do (§2.5 names it for restic only).
  if (type === 'restic' && settings.resticRepoPrefix !== undefined) {
    // Exactly resticIdentifier's directory, so the recorded identifier is where the data is.
    return { kind: 'filesystem', path: `${settings.resticRepoPrefix.asWritten}/${volumeNamespace}` };
  }
  return { kind: 'filesystem', path: join(settings.root, init.bucket, prefix) };
}

async function s3Target(
  init: ProviderInit,
  type: RepositoryType,
  prefix: string,
  volumeNamespace: string,
  deps: LocationDeps,
): Promise<S3RepositoryTarget> {
  const settings = parseAwsSettings(init.provider, init.config);
  const credentials = await resolveCredentials(init, deps, settings.profile);
  const override = type === 'restic' ? settings.resticRepoPrefix : undefined;
  // Velero gives restic `<resticRepoPrefix>/<ns>` as the repository URL. The uploader builds the
  // URL from endpoint, bucket and prefix (restic.ts repositoryUrl), so the prefix's host is used
  // as written: a bare host is what restic reads as https, whatever the location's s3Url says.
  const where = override
    ? {
        bucket: override.bucket,
        prefix: override.prefix ? `${override.prefix}/${volumeNamespace}` : volumeNamespace,
        endpoint: override.host,
      }
    : { bucket: init.bucket, prefix, ...(settings.endpoint !== undefined ? { endpoint: settings.endpoint } : {}) };
  return {
    kind: 's3',
    ...where,
    region: settings.region,
    forcePathStyle: settings.forcePathStyle,
    insecureSkipTLSVerify: settings.insecureSkipTLSVerify,
    ...(init.caCert !== undefined ? { caCert: init.caCert } : {}),
    ...(credentials ? { credentials } : {}),
  };
}
