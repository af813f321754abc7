/**
 * Opens the uploader of one repository (namespace, location, type) the way the server and the
 * node agent both do: the location from the server namespace, its credentials as the server
 * reads them, the shared repository password, and a private client folder per repository.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kinds, resourceRef, type BackupStorageLocation, type RepositoryType } from '../../api/index.ts';
import type { Cluster } from '../../kube/index.ts';
import { readSecretKey } from '../../kube/secrets.ts';
import { ValidationError } from '../../util/errors.ts';
import { createUploader, type Uploader, type UploaderBinaries, type UploaderTuning } from '../uploader/index.ts';
import { checkRecordedResticIdentifier, type RecordedIdentifier } from './current-identifier.ts';
import { repositoryName, type RepositoryKey } from './identity.ts';
import { readRepositoryPassword } from './password.ts';
import { repositoryTarget } from './target.ts';

export interface RepositoryContext {
  cluster: Cluster;
  /** The server namespace: locations, their secrets and the password live there. */
  namespace: string;
  /** The server's AWS shared-credentials file, for locations without `spec.credential`. */
  credentialsFile?: string | undefined;
  /** Parent of the per-repository client folders. */
  workRoot: string;
  binaries?: UploaderBinaries;
  /** Memory and parallelism of the kopia or restic processes (the node agent's flags). */
  uploaderTuning?: UploaderTuning | undefined;
}

/**
 * `recorded`: the restic URL a PodVolumeBackup or PodVolumeRestore names; one that is not the
 * location's repository is refused (Velero hands it to restic; Skiff opens the location's).
 */
export async function openRepository(
  ctx: RepositoryContext,
  key: RepositoryKey,
  recorded?: RecordedIdentifier,
): Promise<Uploader> {
  const bsl = (await ctx.cluster.find(resourceRef(Kinds.BackupStorageLocation), key.location, ctx.namespace)) as
    BackupStorageLocation | undefined;
  if (!bsl) {
    throw new ValidationError(`backup storage location "${key.location}" not found in namespace ${ctx.namespace}`);
  }
  if (key.type === 'restic' && recorded?.repoIdentifier) {
    checkRecordedResticIdentifier(bsl, key.volumeNamespace, recorded);
  }
  const target = await repositoryTarget(bsl, key.type, key.volumeNamespace, {
    defaultNamespace: ctx.namespace,
    ...(ctx.credentialsFile ? { awsSharedCredentialsFile: ctx.credentialsFile } : {}),
    readSecretKey: (namespace, name, secretKey) => readSecretKey(ctx.cluster, namespace, name, secretKey),
  });
  const password = await readRepositoryPassword(ctx.cluster, ctx.namespace);
  return createUploader(
    { type: key.type, target, password, workDir: join(ctx.workRoot, repositoryName(key)) },
    ctx.binaries,
    ctx.uploaderTuning,
  );
}

/** The repository type of an uploader type field ("" is kopia, Velero's default since 1.10). */
export function repositoryTypeOf(uploaderType: string | undefined): RepositoryType {
  if (uploaderType === undefined || uploaderType === '' || uploaderType === 'kopia') return 'kopia';
  if (uploaderType === 'restic') return 'restic';
  throw new ValidationError(`uploader type "${uploaderType}" is not kopia or restic`);
}

/** Where a process keeps its repository clients (kopia config and caches): one folder per server namespace. */
export function repositoryWorkRoot(namespace: string, scratch = tmpdir()): string {
  return join(scratch, 'skiff-repositories', namespace);
}
