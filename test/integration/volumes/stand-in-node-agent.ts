/**
 * Plays the node agent's part of the PodVolumeBackup protocol (contract §3) for tests of the
 * backup side that run without fs-agent's node agent: repositories become Ready, PVBs go
 * InProgress then Completed with a snapshot ID, or Failed with the message `fail` gives.
 * It writes through the real API server, as the node agent does; it moves no data.
 */
import { Kinds, resourceRef, type BackupRepository, type PodVolumeBackup } from '../../../src/api/index.ts';
import { veleroListType } from '../../../src/controllers/velero-types.ts';
import type { Cluster } from '../../../src/kube/index.ts';
import { currentResticIdentifier } from '../../../src/volumes/repository/current-identifier.ts';
import { repositoryTypeField } from '../../../src/volumes/repository/index.ts';

export interface StandInAgent {
  stop(): Promise<void>;
}

export function standInNodeAgent(
  cluster: Cluster,
  namespace: string,
  fail: (pvb: PodVolumeBackup) => string | undefined = () => undefined,
  /** PVBs left InProgress, as a node agent that never finishes would (until spec.cancel: then Canceled). */
  hold: (pvb: PodVolumeBackup) => boolean = () => false,
): StandInAgent {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      for await (const obj of cluster.list(veleroListType(Kinds.BackupRepository), { namespace })) {
        const repo = obj as BackupRepository;
        const ref = { name: repo.metadata.name ?? '', namespace };
        if (repo.status?.phase === 'Ready') continue;
        // As the real controller does: a restic repository records where its location keeps it.
        if (repositoryTypeField(repo.spec.repositoryType) === 'restic') {
          const url = await currentResticIdentifier(
            cluster,
            namespace,
            repo.spec.backupStorageLocation,
            repo.spec.volumeNamespace,
          );
          await cluster.patch(resourceRef(Kinds.BackupRepository), ref, 'merge', { spec: { resticIdentifier: url } });
        }
        await cluster.patchStatus(resourceRef(Kinds.BackupRepository), ref, { phase: 'Ready' });
      }
      for await (const obj of cluster.list(veleroListType(Kinds.PodVolumeBackup), { namespace })) {
        const pvb = obj as PodVolumeBackup;
        const phase = pvb.status?.phase ?? '';
        const ref = { name: pvb.metadata.name ?? '', namespace };
        if (phase === 'InProgress' && pvb.spec.cancel) {
          await cluster.patchStatus(resourceRef(Kinds.PodVolumeBackup), ref, {
            phase: 'Canceled',
            message: 'canceled',
          });
          continue;
        }
        if (phase !== '' && phase !== 'New') continue;
        if (hold(pvb)) {
          await cluster.patchStatus(resourceRef(Kinds.PodVolumeBackup), ref, { phase: 'InProgress' });
          continue;
        }
        const message = fail(pvb);
        await cluster.patchStatus(
          resourceRef(Kinds.PodVolumeBackup),
          { name: pvb.metadata.name ?? '', namespace },
          message
            ? { phase: 'Failed', message }
            : {
                phase: 'Completed',
                snapshotID: `snap-${pvb.spec.volume}`,
                path: `/host_pods/${pvb.spec.pod.uid ?? ''}/volumes/x/${pvb.spec.volume}`,
                progress: { totalBytes: 10, bytesDone: 10 },
              },
        );
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  loop.catch(() => undefined);
  return {
    stop: async () => {
      stopped = true;
      await loop.catch(() => undefined);
    },
  };
}
