/**
 * The node agent's DataDownload controller (reference §1.13, §7.5; DATAMOVER-CONTRACT "Restore
 * side"). Every agent sees a new DataDownload; the first to claim it (claim.ts) exposes a
 * volume: a claim like the user's (class, size, access modes) and a mover pod in the server
 * namespace (mover-pod.ts), and waits until the pod is placed and the volume provisioned
 * (Prepared, `status.node`). The agent of that node then restores the kopia snapshot into the
 * mounted directory, with the directory times (InProgress, progress in bytes), hands the volume
 * to the user's claim (bind-pv.ts) and ends Completed. `spec.cancel` → Canceling → Canceled; any
 * failure ends Failed with the reason; the mover's pod and claim are removed in every case. An
 * agent that restarts fails what it had in flight (`failDataDownloadLeftovers`), so nothing hangs.
 */
import { DataPathPhase, Kinds, resourceRef, type DataDownload, type DataDownloadStatus } from '../../api/index.ts';
import type { ControllerSpec, ReconcileResult } from '../../controllers/controller.ts';
import { veleroListType } from '../../controllers/velero-types.ts';
import type { Cluster, KubeObject } from '../../kube/index.ts';
import { kubeTime, type Clock } from '../../util/clock.ts';
import { parseDuration } from '../../util/duration.ts';
import { errorMessage } from '../../util/errors.ts';
import type { Logger } from '../../util/log.ts';
import { DIR_TIMES_ANNOTATION } from '../dir-times/record.ts';
import type { NodeAgentContext } from '../node-agent/context.ts';
import { markCanceling } from '../node-agent/finish.ts';
import { ProgressWriter } from '../node-agent/progress.ts';
import { openRepository } from '../repository/open.ts';
import { parseRestoreSettings } from '../uploader/settings.ts';
import { handOverVolume } from './bind-pv.ts';
import { dataMoverRepositoryContext } from './tuning.ts';
import { claimDataMover } from './claim.ts';
import {
  createMover,
  deleteMover,
  moverVolumeDir,
  PVCS,
  waitForMoverPlacement,
  type MoverRequest,
  type MoverVolumeSpec,
} from './mover-pod.ts';

const REF = resourceRef(Kinds.DataDownload);
export const DD_TYPE = veleroListType(Kinds.DataDownload);
const FINAL: readonly string[] = [DataPathPhase.Completed, DataPathPhase.Failed, DataPathPhase.Canceled];
/** Velero's `--data-mover-prepare-timeout` default (reference §6.1), when the DataDownload names no timeout. */
export const DEFAULT_PREPARE_TIMEOUT_MS = 30 * 60 * 1000;
/** How long handing the volume over may take (the mover's objects going, the PV binding). */
const HAND_OVER_TIMEOUT_MS = 5 * 60 * 1000;
const RETRY_MS = 1000;
/** Label on the mover's pod and claim naming the DataDownload (reference Appendix A). */
const OWNER_LABEL = 'velero.io/data-download';

export function dataDownloadController(ctx: NodeAgentContext): ControllerSpec {
  return {
    name: 'data-download',
    type: DD_TYPE,
    namespace: ctx.namespace,
    reconcile: (obj) => reconcile(ctx, obj),
    drain: () => ctx.work.drain(),
  };
}

/**
 * The mover's claim for a target claim (pure): the same storage class, size, access modes and
 * volume mode, never a data source or selector. Throws naming what is missing.
 */
export function restoreVolumeSpec(target: KubeObject, snapshotSize?: number): MoverVolumeSpec {
  const spec = (target.spec ?? {}) as {
    storageClassName?: string;
    accessModes?: string[];
    volumeMode?: string;
    resources?: { requests?: { storage?: string } };
  };
  const ref = `${target.metadata.namespace ?? ''}/${target.metadata.name ?? ''}`;
  if (!spec.storageClassName) {
    throw new Error(`claim ${ref} has no storageClassName: a volume for its data cannot be provisioned`);
  }
  const size = spec.resources?.requests?.storage ?? (snapshotSize !== undefined ? String(snapshotSize) : undefined);
  if (!size) throw new Error(`claim ${ref} requests no storage size`);
  return {
    storageClassName: spec.storageClassName,
    size,
    ...(spec.accessModes ? { accessModes: spec.accessModes } : {}),
    ...(spec.volumeMode ? { volumeMode: spec.volumeMode } : {}),
  };
}

/** The preparation limit: the DataDownload's `spec.operationTimeout`, else the prepare default. */
export function prepareTimeoutMs(dd: Pick<DataDownload, 'spec'>): number {
  const raw = dd.spec.operationTimeout;
  if (!raw) return DEFAULT_PREPARE_TIMEOUT_MS;
  try {
    return parseDuration(raw, 'spec.operationTimeout');
  } catch {
    return DEFAULT_PREPARE_TIMEOUT_MS;
  }
}

function workKey(name: string): string {
  return `dd/${name}`;
}

async function reconcile(ctx: NodeAgentContext, obj: KubeObject): Promise<ReconcileResult | undefined> {
  const dd = obj as DataDownload;
  const name = dd.metadata.name ?? '';
  const phase = dd.status?.phase ?? '';
  if (FINAL.includes(phase)) return undefined;
  const target = { name, namespace: ctx.namespace };
  const patch = (status: DataDownloadStatus): Promise<KubeObject> => ctx.cluster.patchStatus(REF, target, status);
  if (ctx.work.has(workKey(name))) return whileRunning(ctx, dd, phase);
  if (dd.spec.cancel) {
    await cancelIdle(ctx, dd, phase, patch);
    return undefined;
  }
  if (dd.spec.datamover && dd.spec.datamover !== 'velero') return undefined; // another data mover's work
  return startWork(ctx, dd, phase, patch);
}

/** A DataDownload this agent is working on: a cancel aborts the work (Canceling first). */
async function whileRunning(
  ctx: NodeAgentContext,
  dd: DataDownload,
  phase: string,
): Promise<ReconcileResult | undefined> {
  const name = dd.metadata.name ?? '';
  if (dd.spec.cancel) {
    if (!(await markCanceling(ctx.cluster, REF, { name, namespace: ctx.namespace }, phase))) {
      return { requeueAfterMs: 200 };
    }
    ctx.work.cancel(workKey(name));
    return undefined;
  }
  // Prepared by this agent's own expose, which is just ending: look again to start the restore.
  return phase === DataPathPhase.Prepared && dd.status?.node === ctx.node ? { requeueAfterMs: 200 } : undefined;
}

/** A canceled DataDownload no agent is working on: the agent that holds it (any agent while it is New) ends it. */
async function cancelIdle(ctx: NodeAgentContext, dd: DataDownload, phase: string, patch: Patch): Promise<void> {
  const mine =
    (phase === DataPathPhase.Prepared && dd.status?.node === ctx.node) ||
    (phase === DataPathPhase.Accepted && dd.status?.acceptedByNode === ctx.node);
  if (phase !== '' && phase !== DataPathPhase.New && !mine) return;
  await deleteMover(ctx.cluster, { name: dd.metadata.name ?? '', namespace: ctx.namespace }).catch(() => undefined);
  await patch({
    phase: DataPathPhase.Canceled,
    message: 'canceled before its data was restored',
    completionTimestamp: kubeTime(ctx.clock.now()),
  });
}

/** New: claim it and expose the volume; Prepared on this node: restore into it. */
async function startWork(
  ctx: NodeAgentContext,
  dd: DataDownload,
  phase: string,
  patch: Patch,
): Promise<ReconcileResult | undefined> {
  const key = workKey(dd.metadata.name ?? '');
  const isNew = phase === '' || phase === DataPathPhase.New;
  const preparedHere = phase === DataPathPhase.Prepared && dd.status?.node === ctx.node;
  if (!isNew && !preparedHere) return undefined;
  if (ctx.work.full()) return { requeueAfterMs: RETRY_MS };
  if (preparedHere) {
    ctx.work.start(key, (signal) => restore(ctx, dd, patch, signal));
    return undefined;
  }
  const accepted = await claimDataMover(ctx.cluster, REF, dd, ctx.node, kubeTime(ctx.clock.now()));
  if (accepted) ctx.work.start(key, (signal) => expose(ctx, accepted as DataDownload, patch, signal));
  return undefined;
}

type Patch = (status: DataDownloadStatus) => Promise<KubeObject>;

/** Accepted → Prepared: the mover's claim and pod, placed and provisioned. */
async function expose(ctx: NodeAgentContext, dd: DataDownload, patch: Patch, signal: AbortSignal): Promise<void> {
  const name = dd.metadata.name ?? '';
  const log = ctx.log.child({ dataDownload: name });
  const mover = { namespace: ctx.namespace, name };
  try {
    const { pvc, namespace } = dd.spec.targetVolume;
    const target = await ctx.cluster.find(PVCS, pvc, namespace);
    if (!target) throw new Error(`target claim ${namespace}/${pvc} not found`);
    const request: MoverRequest = {
      namespace: ctx.namespace,
      owner: { apiVersion: 'velero.io/v2alpha1', kind: 'DataDownload', name, uid: dd.metadata.uid ?? '' },
      volume: restoreVolumeSpec(target, dd.spec.snapshotSize),
      labels: { [OWNER_LABEL]: name },
    };
    await createMover(ctx.cluster, request);
    const placement = await waitForMoverPlacement(ctx.cluster, mover, { signal, timeoutMs: prepareTimeoutMs(dd) });
    log.info({ node: placement.node, pv: placement.pvName }, 'data download volume prepared');
    await patch({ phase: DataPathPhase.Prepared, node: placement.node });
  } catch (err) {
    await endWithError(ctx, { name, log, signal, patch }, err);
  }
}

/** Prepared → InProgress → Completed, on the node the mover's volume is on. */
async function restore(ctx: NodeAgentContext, dd: DataDownload, patch: Patch, signal: AbortSignal): Promise<void> {
  const name = dd.metadata.name ?? '';
  const log = ctx.log.child({ dataDownload: name });
  const mover = { namespace: ctx.namespace, name };
  const progress = new ProgressWriter(async (p) => {
    await patch({ progress: { totalBytes: p.totalBytes, bytesDone: p.bytesDone } });
  });
  try {
    const pvc = await ctx.cluster.get(PVCS, name, ctx.namespace);
    const pvName = (pvc.spec as { volumeName?: string } | undefined)?.volumeName ?? '';
    const pod = await ctx.cluster.get({ group: '', version: 'v1', resource: 'pods' }, name, ctx.namespace);
    const volume = await moverVolumeDir(
      ctx.cluster,
      ctx,
      mover,
      { node: ctx.node, podUid: pod.metadata.uid ?? '', pvName },
      signal,
    );
    const settings = parseRestoreSettings(dd.spec.dataMoverConfig ?? undefined);
    // Moved data is always in the kopia repository of the source namespace (DATAMOVER-CONTRACT).
    const uploader = await openRepository(dataMoverRepositoryContext(ctx), {
      volumeNamespace: dd.spec.sourceNamespace,
      location: dd.spec.backupStorageLocation,
      type: 'kopia',
    });
    await patch({ phase: DataPathPhase.InProgress, startTimestamp: kubeTime(ctx.clock.now()), node: ctx.node });
    log.info({ dir: volume.dir, snapshotID: dd.spec.snapshotID }, 'restoring moved snapshot data');
    const dirTimesSnapshotID = dd.metadata.annotations?.[DIR_TIMES_ANNOTATION];
    await uploader.restore(dd.spec.snapshotID, volume.dir, {
      signal,
      ...(dirTimesSnapshotID ? { dirTimesSnapshotID } : {}),
      writeSparseFiles: settings.writeSparseFiles,
      ...(settings.parallelFiles !== undefined ? { parallelFiles: settings.parallelFiles } : {}),
      ...(dd.spec.snapshotSize ? { totalBytes: dd.spec.snapshotSize } : {}),
      onProgress: (p) => progress.report(p),
    });
    await progress.close();
    const { pvc: targetPvc, namespace } = dd.spec.targetVolume;
    await handOverVolume(ctx.cluster, {
      mover,
      pvName: volume.pvName,
      target: { namespace, name: targetPvc },
      timeoutMs: HAND_OVER_TIMEOUT_MS,
      signal,
    });
    const total = dd.spec.snapshotSize ?? dd.status?.progress?.totalBytes;
    await patch({
      phase: DataPathPhase.Completed,
      completionTimestamp: kubeTime(ctx.clock.now()),
      message: '',
      ...(total !== undefined ? { progress: { totalBytes: total, bytesDone: total } } : {}),
    });
    log.info({ pv: volume.pvName, claim: `${namespace}/${targetPvc}` }, 'moved snapshot data restored');
  } catch (err) {
    await progress.close();
    await endWithError(ctx, { name, log, signal, patch }, err);
  }
}

/** Canceled (its own cancel), Failed naming the agent's stop, or Failed with the error; the mover goes. */
async function endWithError(
  ctx: NodeAgentContext,
  end: { name: string; log: Logger; signal: AbortSignal; patch: Patch },
  err: unknown,
): Promise<void> {
  const canceled = end.signal.aborted && !ctx.work.stopping;
  const message = canceled
    ? 'canceled: spec.cancel was set while the data download was in progress'
    : ctx.work.stopping
      ? `node agent on ${ctx.node} stopped while the data download was in progress`
      : `data download failed: ${errorMessage(err)}`;
  if (!canceled) end.log.warn({ err }, 'data download failed');
  await deleteMover(ctx.cluster, { namespace: ctx.namespace, name: end.name }).catch((e: unknown) =>
    end.log.warn({ err: e }, "cannot delete the data mover's pod and claim"),
  );
  await end
    .patch({
      phase: canceled ? DataPathPhase.Canceled : DataPathPhase.Failed,
      message,
      completionTimestamp: kubeTime(ctx.clock.now()),
    })
    .catch((patchErr: unknown) => end.log.error({ err: patchErr }, 'cannot record the end of the data download'));
}

const IN_FLIGHT: readonly string[] = [
  DataPathPhase.Accepted,
  DataPathPhase.Prepared,
  DataPathPhase.InProgress,
  DataPathPhase.Canceling,
];

/**
 * Fails every DataDownload this node accepted or was restoring that a previous run of the agent
 * left in flight (its data path died with it), and removes its mover's pod and claim.
 */
export async function failDataDownloadLeftovers(
  cluster: Cluster,
  namespace: string,
  node: string,
  clock: Clock,
  log: Logger,
): Promise<number> {
  let count = 0;
  for await (const obj of cluster.list(DD_TYPE, { namespace })) {
    const dd = obj as DataDownload;
    const phase = dd.status?.phase ?? '';
    if (!IN_FLIGHT.includes(phase)) continue;
    const holder = phase === DataPathPhase.Accepted ? dd.status?.acceptedByNode : dd.status?.node;
    if (holder !== node) continue;
    const name = dd.metadata.name ?? '';
    await deleteMover(cluster, { namespace, name }).catch(() => undefined);
    await cluster.patchStatus(
      REF,
      { name, namespace },
      {
        phase: phase === DataPathPhase.Canceling ? DataPathPhase.Canceled : DataPathPhase.Failed,
        message: `node agent on ${node} restarted while the data download was in progress`,
        completionTimestamp: kubeTime(clock.now()),
      },
    );
    log.warn({ dataDownload: name, phase }, 'data download left in progress by a previous run');
    count++;
  }
  return count;
}
