import { mkdir } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { StorageConfigError } from '../../errors.ts';
import type { ObjectStoreProvider, ProviderInit } from '../../provider.ts';
import { invalidBucketReason } from './key-path.ts';
import { FilesystemObjectStore } from './filesystem-object-store.ts';

export { FilesystemObjectStore } from './filesystem-object-store.ts';
export { invalidKeyReason } from './key-path.ts';

/**
 * Skiff's own provider (Velero has none): a directory on local disk, for trying Skiff
 * without a cloud. Config `path` is the root directory; the bucket is a sub-directory of
 * it. Config `createBucket: "true"` creates the bucket directory when missing.
 */
export const id = 'filesystem';

export async function create(init: ProviderInit): Promise<FilesystemObjectStore> {
  const path = init.config.path;
  if (!path || !isAbsolute(path)) {
    throw new StorageConfigError(
      id,
      'spec.config.path',
      `provider "${init.provider}" needs spec.config.path set to an absolute directory (got ${JSON.stringify(path ?? '')})`,
    );
  }
  const bucketReason = invalidBucketReason(init.bucket);
  if (bucketReason !== null) {
    throw new StorageConfigError(
      id,
      'spec.objectStorage.bucket',
      `bucket "${init.bucket}" is not usable as a directory: ${bucketReason}`,
    );
  }
  const root = resolve(path);
  if (init.config.createBucket === 'true') await mkdir(resolve(root, init.bucket), { recursive: true });
  return new FilesystemObjectStore(root, init.bucket);
}

export const filesystemProvider: ObjectStoreProvider = {
  id,
  names: [id, 'skiff.io/filesystem'],
  create,
};
