/**
 * `ensureRepository`: what a backup calls before it creates PodVolumeBackups (reference §6.3,
 * Velero's EnsureRepo): creates the BackupRepository `<ns>-<bsl>-<type>` when missing and waits
 * until the server's repository controller has it Ready. A restic repository whose location has
 * moved it since is sent back to be connected at the new place first: its PodVolumeBackups
 * record the URL, and the node agent refuses one that is not where the data goes.
 */
import { Kinds, resourceRef, type BackupRepository } from '../../api/index.ts';
import { isAlreadyExists, waitForObject, type Cluster } from '../../kube/index.ts';
import { currentResticIdentifier, markRepositoryMoved } from './current-identifier.ts';
import { repositoryLabels, repositoryName, type RepositoryKey } from './identity.ts';

const REF = resourceRef(Kinds.BackupRepository);
const DEFAULT_TIMEOUT_MS = 5 * 60_000;

export interface EnsureRepositoryInput {
  volumeNamespace: string;
  location: string;
  type: RepositoryKey['type'];
}

export async function ensureRepository(
  cluster: Cluster,
  serverNamespace: string,
  input: EnsureRepositoryInput,
  signal?: AbortSignal,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<BackupRepository> {
  const name = repositoryName(input);
  const identifier =
    input.type === 'restic'
      ? await currentResticIdentifier(cluster, serverNamespace, input.location, input.volumeNamespace)
      : undefined;
  const existing = (await cluster.find(REF, name, serverNamespace)) as BackupRepository | undefined;
  if (!existing) {
    try {
      await cluster.create(REF, {
        apiVersion: 'velero.io/v1',
        kind: 'BackupRepository',
        metadata: { name, namespace: serverNamespace, labels: repositoryLabels(input) },
        spec: {
          volumeNamespace: input.volumeNamespace,
          backupStorageLocation: input.location,
          repositoryType: input.type,
        },
      });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  } else if (
    identifier !== undefined &&
    existing.status?.phase === 'Ready' &&
    existing.spec.resticIdentifier !== identifier
  ) {
    await markRepositoryMoved(cluster, existing, identifier);
  }
  // Watched, not polled: a data mover waits on this between exposing a snapshot and uploading it.
  const repo = await waitForObject(
    cluster,
    REF,
    { name, namespace: serverNamespace },
    (obj): BackupRepository | undefined => {
      const r = obj as BackupRepository | undefined;
      if (!r) throw new Error(`backup repository ${serverNamespace}/${name} was deleted while waiting for it`);
      if (r.status?.phase === 'NotReady') {
        throw new Error(`backup repository ${name} is not ready: ${r.status.message ?? 'no reason given'}`);
      }
      // A restic repository is ready once connected where the location keeps it now.
      const here = identifier === undefined || r.spec.resticIdentifier === identifier;
      return r.status?.phase === 'Ready' && here ? r : undefined;
    },
    { timeoutMs, signal },
  );
  if (repo) return repo;
  throw new Error(
    `backup repository ${name} was not ready after ${Math.round(timeoutMs / 1000)}s: is the server's backup-repo controller running?`,
  );
}
