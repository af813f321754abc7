/**
 * The seam to fs-agent's `ensureRepository` (contract §1). Until it is in main this adapter
 * does the part the backup needs: create the BackupRepository `<ns>-<bsl>-<type>` if missing
 * and wait until the repository controller has it Ready. At merge, replace `ensureRepository`
 * below with fs-agent's `src/volumes/repository/` export of the same signature.
 */
import { Kinds, parseBackupRepository, resourceRef, type BackupRepository } from '../../api/index.ts';
import type { Cluster } from '../../kube/cluster.ts';
import { isAlreadyExists } from '../../kube/errors.ts';
import { repositoryLabels, repositoryName } from '../../volumes/repository/identity.ts';
import type { UploaderType } from './settings.ts';

export interface RepositoryRequest {
  volumeNamespace: string;
  location: string;
  type: UploaderType;
}

export type EnsureRepository = (
  cluster: Cluster,
  serverNamespace: string,
  request: RepositoryRequest,
  signal: AbortSignal,
) => Promise<BackupRepository>;

export const ensureRepository: EnsureRepository = async (cluster, serverNamespace, request, signal) => {
  const ref = resourceRef(Kinds.BackupRepository);
  const key = { volumeNamespace: request.volumeNamespace, location: request.location, type: request.type };
  const name = repositoryName(key);
  try {
    await cluster.create(ref, {
      apiVersion: 'velero.io/v1',
      kind: 'BackupRepository',
      metadata: {
        name,
        namespace: serverNamespace,
        labels: repositoryLabels(key),
      },
      spec: {
        volumeNamespace: request.volumeNamespace,
        backupStorageLocation: request.location,
        repositoryType: request.type,
      },
    });
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
  for (;;) {
    signal.throwIfAborted();
    const found = await cluster.find(ref, name, serverNamespace);
    const repo = found ? parseBackupRepository(found) : undefined;
    if (repo?.status?.phase === 'Ready') return repo;
    if (repo?.status?.phase === 'NotReady')
      throw new Error(`backup repository ${name} is not ready: ${repo.status.message ?? 'no message'}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
};
