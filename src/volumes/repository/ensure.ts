/**
 * `ensureRepository`: what a backup calls before it creates PodVolumeBackups (reference §6.3,
 * Velero's EnsureRepo): creates the BackupRepository `<ns>-<bsl>-<type>` when missing and waits
 * until the server's repository controller has it Ready.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Kinds, resourceRef, type BackupRepository } from '../../api/index.ts';
import { isAlreadyExists, type Cluster } from '../../kube/index.ts';
import { repositoryLabels, repositoryName, type RepositoryKey } from './identity.ts';

const REF = resourceRef(Kinds.BackupRepository);
const POLL_MS = 250;
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
  if (!(await cluster.find(REF, name, serverNamespace))) {
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
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const repo = (await cluster.find(REF, name, serverNamespace)) as BackupRepository | undefined;
    if (!repo) throw new Error(`backup repository ${serverNamespace}/${name} was deleted while waiting for it`);
    if (repo.status?.phase === 'Ready') return repo;
    if (repo.status?.phase === 'NotReady') {
      throw new Error(`backup repository ${name} is not ready: ${repo.status.message ?? 'no reason given'}`);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `backup repository ${name} was not ready after ${Math.round(timeoutMs / 1000)}s: is the server's backup-repo controller running?`,
      );
    }
    await sleep(POLL_MS, undefined, signal ? { signal } : {});
  }
}
