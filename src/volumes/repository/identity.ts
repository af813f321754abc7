/**
 * Names and addresses of file-system backup repositories (reference §1.6, §2.5): one per
 * (workload namespace, location, type), described by BackupRepository `<ns>-<bsl>-<type>`,
 * stored under `<prefix>/kopia/<ns>/` or `<prefix>/restic/<ns>` of the location's bucket.
 */
import { Labels, type RepositoryType } from '../../api/index.ts';
import { normalizePrefix } from '../../storage/layout.ts';
import { parseResticRepoPrefix } from '../../storage/restic-repo-prefix.ts';

export interface RepositoryKey {
  volumeNamespace: string;
  location: string;
  type: RepositoryType;
}

/** The BackupRepository's name (§1.6). */
export function repositoryName(key: RepositoryKey): string {
  return `${key.volumeNamespace}-${key.location}-${key.type}`;
}

/** The BackupRepository's labels (§1.6). */
export function repositoryLabels(key: RepositoryKey): Record<string, string> {
  return {
    [Labels.VolumeNamespace]: key.volumeNamespace,
    [Labels.StorageLocation]: key.location,
    [Labels.RepositoryType]: key.type,
  };
}

/** The key prefix of a repository inside the location's bucket, without slashes around it (§2.5). */
export function repositoryPrefix(
  locationPrefix: string | undefined,
  type: RepositoryType,
  volumeNamespace: string,
): string {
  const base = normalizePrefix(locationPrefix);
  return `${base ? `${base}/` : ''}${type}/${volumeNamespace}`;
}

/** The location fields a restic identifier is made of. */
export interface LocationForIdentifier {
  spec: {
    provider: string;
    objectStorage: { bucket: string; prefix?: string };
    config?: Record<string, string>;
  };
}

/**
 * The restic repository URL Velero writes into `repoIdentifier` (§2.5):
 * `s3:<s3Url or s3-<region>.amazonaws.com>/<bucket>/<prefix>/restic/<ns>`; BSL config
 * `resticRepoPrefix` replaces everything before `/<ns>`, kept as written, since Velero records it
 * so and a PodVolumeBackup of Velero's is compared with it. For Skiff's filesystem locations it
 * is the repository's directory. `repositoryTarget` points restic at the same place.
 */
export function resticIdentifier(bsl: LocationForIdentifier, volumeNamespace: string): string {
  const { provider } = bsl.spec;
  const config = bsl.spec.config ?? {};
  const filesystem = isFilesystemProvider(provider);
  // Read as target.ts reads it, so a value restic could not be pointed at is refused here too.
  const override = parseResticRepoPrefix(provider, config, filesystem ? 'filesystem' : 's3');
  if (override !== undefined) return `${override.asWritten}/${volumeNamespace}`;
  const bucket = bsl.spec.objectStorage.bucket.replace(/^\/+|\/+$/g, '');
  const path = `${bucket}/${repositoryPrefix(bsl.spec.objectStorage.prefix, 'restic', volumeNamespace)}`;
  if (filesystem) {
    return `${(config.path ?? '').replace(/\/+$/, '')}/${path}`;
  }
  const host = config.s3Url ? config.s3Url.replace(/\/+$/, '') : `s3-${config.region || 'us-east-1'}.amazonaws.com`;
  return `s3:${host}/${path}`;
}

export function isFilesystemProvider(provider: string): boolean {
  return provider === 'filesystem' || provider === 'skiff.io/filesystem';
}
