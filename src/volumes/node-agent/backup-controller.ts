/**
 * The node agent's PodVolumeBackup controller (reference §6.3; contract §3): for the PVBs of
 * its node, New → Accepted → InProgress → Completed | Failed, with progress about once a second
 * and the snapshot ID, path and incremental bytes at the end; `spec.cancel` → Canceling → Canceled.
 */
import {
  DataPathPhase,
  Kinds,
  resourceRef,
  type PodVolumeBackup,
  type PodVolumeBackupStatus,
} from '../../api/index.ts';
import { SYNCED_ANNOTATION } from '../../controllers/backup-sync-pod-volumes.ts';
import type { ControllerSpec, ReconcileResult } from '../../controllers/controller.ts';
import { veleroListType } from '../../controllers/velero-types.ts';
import type { KubeObject } from '../../kube/index.ts';
import { kubeTime } from '../../util/clock.ts';
import { DIR_TIMES_ANNOTATION } from '../dir-times/record.ts';
import { openRepository, repositoryTypeOf } from '../repository/open.ts';
import { parseBackupSettings } from '../uploader/settings.ts';
import type { NodeAgentContext } from './context.ts';
import { getPod, volumePathOf } from './pod-volume.ts';
import { markCanceling, recordDataPathError } from './finish.ts';
import { ProgressWriter } from './progress.ts';

const REF = resourceRef(Kinds.PodVolumeBackup);
export const PVB_TYPE = veleroListType(Kinds.PodVolumeBackup);
const FINAL: readonly string[] = [DataPathPhase.Completed, DataPathPhase.Failed, DataPathPhase.Canceled];
/** How soon a cancel that met a phase change looks again. */
const CANCEL_RETRY_MS = 200;
/** How soon a PVB waiting for a free slot on this node looks again. */
const BUSY_RETRY_MS = 1000;

export function podVolumeBackupController(ctx: NodeAgentContext): ControllerSpec {
  return {
    name: 'pod-volume-backup',
    type: PVB_TYPE,
    namespace: ctx.namespace,
    reconcile: (obj) => reconcile(ctx, obj),
    drain: () => ctx.work.drain(),
  };
}

function workKey(name: string): string {
  return `pvb/${name}`;
}

async function reconcile(ctx: NodeAgentContext, obj: KubeObject): Promise<ReconcileResult | undefined> {
  const pvb = obj as PodVolumeBackup;
  const name = pvb.metadata.name ?? '';
  const phase = pvb.status?.phase ?? '';
  if (pvb.spec.node !== ctx.node || FINAL.includes(phase)) return undefined;
  // Made by backup sync from the bucket: a record of a finished backup, never work to run.
  if (pvb.metadata.annotations?.[SYNCED_ANNOTATION] !== undefined) return undefined;
  const key = workKey(name);
  const patch = (status: PodVolumeBackupStatus): Promise<KubeObject> =>
    ctx.cluster.patchStatus(REF, { name, namespace: ctx.namespace }, status);

  if (pvb.spec.cancel) {
    if (ctx.work.has(key)) {
      if (!(await markCanceling(ctx.cluster, REF, { name, namespace: ctx.namespace }, phase))) {
        return { requeueAfterMs: CANCEL_RETRY_MS };
      }
      ctx.work.cancel(key);
    } else {
      await patch({
        phase: DataPathPhase.Canceled,
        message: 'canceled before it started',
        completionTimestamp: kubeTime(ctx.clock.now()),
      });
    }
    return undefined;
  }
  if (ctx.work.has(key) || (phase !== '' && phase !== DataPathPhase.New)) return undefined;
  if (ctx.work.full()) return { requeueAfterMs: BUSY_RETRY_MS };

  await patch({ phase: DataPathPhase.Accepted, acceptedTimestamp: kubeTime(ctx.clock.now()) });
  ctx.work.start(key, (signal) => run(ctx, pvb, patch, signal));
  return undefined;
}

async function run(
  ctx: NodeAgentContext,
  pvb: PodVolumeBackup,
  patch: (status: PodVolumeBackupStatus) => Promise<KubeObject>,
  signal: AbortSignal,
): Promise<void> {
  const log = ctx.log.child({ podVolumeBackup: pvb.metadata.name });
  const progress = new ProgressWriter(async (p) => {
    await patch({ progress: { totalBytes: p.totalBytes, bytesDone: p.bytesDone } });
  });
  // Written in the background while the tool starts; awaited before any later phase, so the
  // phases land in order.
  let inProgress: Promise<unknown> = Promise.resolve();
  try {
    const podNamespace = pvb.spec.pod.namespace ?? '';
    const type = repositoryTypeOf(pvb.spec.uploaderType);
    const settings = parseBackupSettings(pvb.spec.uploaderSettings);
    // The volume's directory and the repository are looked up at once: each is a few API reads.
    const [{ pod, path, pvcName }, uploader] = await Promise.all([
      getPod(ctx.cluster, pvb.spec.pod).then(async (pod) => ({
        pod,
        ...(await volumePathOf(ctx.cluster, ctx, pod, pvb.spec.volume, signal)),
      })),
      openRepository(
        ctx,
        { volumeNamespace: podNamespace, location: pvb.spec.backupStorageLocation, type },
        { owner: `PodVolumeBackup ${pvb.metadata.name ?? ''}`, repoIdentifier: pvb.spec.repoIdentifier ?? '' },
      ),
    ]);
    inProgress = patch({ phase: DataPathPhase.InProgress, startTimestamp: kubeTime(ctx.clock.now()), path });
    inProgress.catch(() => undefined);
    log.info({ path, type }, 'backing up pod volume');
    const result = await uploader.backup(path, {
      tags: pvb.spec.tags ?? {},
      signal,
      // The same source for every backup of this claim (or pod volume), whichever pod mounts it,
      // so kopia finds the previous snapshot as the parent and skips unchanged files.
      source: `/${podNamespace}/${pvcName ?? `${pod.metadata.name ?? ''}/${pvb.spec.volume}`}`,
      ...(settings.parallelFiles !== undefined ? { parallelFiles: settings.parallelFiles } : {}),
      onProgress: (p) => progress.report(p),
    });
    await inProgress;
    await progress.close();
    if (result.dirTimesSnapshotID) {
      // Before Completed, so whoever sees the PVB completed (the backup recording it) sees this too.
      await ctx.cluster.patch(REF, { name: pvb.metadata.name ?? '', namespace: ctx.namespace }, 'merge', {
        metadata: { annotations: { [DIR_TIMES_ANNOTATION]: result.dirTimesSnapshotID } },
      });
    }
    await patch({
      phase: DataPathPhase.Completed,
      snapshotID: result.snapshotID,
      path,
      incrementalBytes: result.incrementalBytes,
      progress: { totalBytes: result.totalBytes, bytesDone: result.totalBytes },
      completionTimestamp: kubeTime(ctx.clock.now()),
      message: '',
    });
    log.info({ snapshotID: result.snapshotID, incrementalBytes: result.incrementalBytes }, 'pod volume backed up');
  } catch (err) {
    await inProgress.catch(() => undefined);
    await progress.close();
    await recordDataPathError(
      { ctx, what: 'backup', pod: pvb.spec.pod, volume: pvb.spec.volume, signal, log, patch },
      err,
    );
  }
}
