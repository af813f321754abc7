import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { StorageConfigError } from '../../errors.ts';
import type { ObjectStoreProvider, ProviderInit } from '../../provider.ts';
import { invalidBucketReason } from './key-path.ts';
import { FilesystemObjectStore } from './filesystem-object-store.ts';
import { parseFilesystemSettings } from './settings.ts';

export { FilesystemObjectStore } from './filesystem-object-store.ts';
export { invalidKeyReason } from './key-path.ts';
export { parseFilesystemSettings, type FilesystemSettings } from './settings.ts';

/**
 * Skiff's own provider (Velero has none): a directory on local disk, for trying Skiff
 * without a cloud. Config `path` is the root directory; the bucket is a sub-directory of
 * it. Config `createBucket: "true"` creates the bucket directory when missing.
 */
export const id = 'filesystem';

export async function create(init: ProviderInit): Promise<FilesystemObjectStore> {
  const settings = parseFilesystemSettings(init);
  const bucketReason = invalidBucketReason(init.bucket);
  if (bucketReason !== null) {
    throw new StorageConfigError(
      id,
      'spec.objectStorage.bucket',
      `bucket "${init.bucket}" is not usable as a directory: ${bucketReason}`,
    );
  }
  if (settings.createBucket) await mkdir(resolve(settings.root, init.bucket), { recursive: true });
  return new FilesystemObjectStore(settings.root, init.bucket);
}

export const filesystemProvider: ObjectStoreProvider = {
  id,
  names: [id, 'skiff.io/filesystem'],
  create,
};
