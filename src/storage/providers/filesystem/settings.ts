/**
 * The settings of a filesystem location, read without opening it (the repository layer reads
 * them too, for kopia and restic repositories in the same directory).
 */
import { isAbsolute, resolve } from 'node:path';
import { StorageConfigError } from '../../errors.ts';
import type { ProviderInit } from '../../provider.ts';
import { parseResticRepoPrefix, type DirectoryResticRepoPrefix } from '../../restic-repo-prefix.ts';
import { parseBoolConfig, refuseUnknownConfigKeys } from '../config-keys.ts';

export interface FilesystemSettings {
  /** `path`, resolved: the directory the buckets are sub-directories of. */
  root: string;
  /** `createBucket`: create the bucket's directory when it is missing. */
  createBucket: boolean;
  /** Where legacy restic repositories live instead of `<bucket>/<prefix>/restic/` (§2.5). */
  resticRepoPrefix?: DirectoryResticRepoPrefix;
}

/** The `spec.config` keys Skiff acts on for a filesystem location. */
const HONOURED_KEYS = ['path', 'createBucket', 'resticRepoPrefix'] as const;

/**
 * The provider is Skiff's own and has no Velero counterpart to stay lenient for, so whatever it
 * would not act on is refused: a misspelt key (`createbucket`), AWS keys left behind after a
 * change of provider, and the TLS and credential fields a local directory has no use for.
 */
function refuseUnused(init: Pick<ProviderInit, 'provider' | 'config' | 'caCert' | 'credential'>): void {
  const { provider } = init;
  refuseUnknownConfigKeys(provider, init.config, { label: 'filesystem', keys: HONOURED_KEYS });
  if (init.caCert !== undefined) {
    throw new StorageConfigError(
      provider,
      'spec.objectStorage.caCert',
      'spec.objectStorage.caCert / caCertRef: a filesystem location is a local directory, with no TLS to verify; remove it',
    );
  }
  if (init.credential) {
    throw new StorageConfigError(
      provider,
      'spec.credential',
      "spec.credential: a filesystem location is read with the process's own file permissions and takes no credentials; remove it",
    );
  }
}

export function parseFilesystemSettings(
  init: Pick<ProviderInit, 'provider' | 'config' | 'caCert' | 'credential'>,
): FilesystemSettings {
  refuseUnused(init);
  const { provider, config } = init;
  const path = config.path;
  if (!path || !isAbsolute(path)) {
    throw new StorageConfigError(
      provider,
      'spec.config.path',
      `provider "${provider}" needs spec.config.path set to an absolute directory (got ${JSON.stringify(path ?? '')})`,
    );
  }
  const resticRepoPrefix = parseResticRepoPrefix(provider, config, 'filesystem');
  return {
    root: resolve(path),
    createBucket: parseBoolConfig(provider, config, 'createBucket'),
    ...(resticRepoPrefix !== undefined ? { resticRepoPrefix } : {}),
  };
}
