/**
 * The node agent's DataUpload controller (reference §7.4; DATAMOVER-CONTRACT "Backup side"). Every agent sees
 * every DataUpload of the server namespace:
 * - New: the first agent to write the status claims it (claim.ts; the agents of nodes the source volume cannot
 *   reach wait a moment first, claim-preference.ts), readies the repository and exposes the snapshot
 *   (expose-snapshot.ts) at once, and marks it Prepared with the node the mover pod landed on;
 * - Prepared: the agent of that node uploads the mounted directory with kopia into the repository of the
 *   source namespace (InProgress with progress bytes, then Completed with the snapshot ID), then removes the
 *   mover's objects;
 * - `spec.cancel`: Canceling, the running step is aborted, Canceled;
 * - an agent that restarts fails what it left half done (`failLeftoverUploads`), and a Prepared upload waiting
 *   for its node is taken up when that node's agent comes back.
 */
import { DataPathPhase, Kinds, resourceRef, type DataUpload, type DataUploadStatus } from '../../api/index.ts';
import type { ControllerSpec, ReconcileResult } from '../../controllers/controller.ts';
import { veleroListType } from '../../controllers/velero-types.ts';
import type { KubeObject } from '../../kube/index.ts';
import { kubeTime } from '../../util/clock.ts';
import { parseDuration } from '../../util/duration.ts';
import { errorMessage } from '../../util/errors.ts';
import type { Logger } from '../../util/log.ts';
import type { NodeAgentContext } from '../node-agent/context.ts';
import { markCanceling, recordDataPathError } from '../node-agent/finish.ts';
import { ProgressWriter } from '../node-agent/progress.ts';
import { ensureRepository } from '../repository/ensure.ts';
import { openRepository } from '../repository/open.ts';
import type { Uploader } from '../uploader/index.ts';
import { parseBackupSettings } from '../uploader/settings.ts';
import { claimDataMover } from './claim.ts';
import { OTHER_NODE_CLAIM_DELAY_MS, sourceVolumeReaches } from './claim-preference.ts';
import { exposeSnapshot, unexposeSnapshot } from './expose-snapshot.ts';
import { moverGone, moverVolumeDir, waitForMoverVolume, type MoverPlacement } from './mover-pod.ts';
import { dataMoverRepositoryContext } from './tuning.ts';
import { DIR_TIMES_RESULT_KEY, nextUploadStep } from './upload-objects.ts';

const REF = resourceRef(Kinds.DataUpload);
export const DU_TYPE = veleroListType(Kinds.DataUpload);
const CANCEL_RETRY_MS = 200;
const BUSY_RETRY_MS = 1000;
/** Velero's default `operationTimeout` (the backup's csiSnapshotTimeout). */
const DEFAULT_OPERATION_TIMEOUT = '10m';
/** How long the mover objects may take to go once the work is over. */
const CLEANUP_WAIT_MS = 30_000;

export function dataUploadController(ctx: NodeAgentContext): ControllerSpec {
  const deferred = new Map<string, number>();
  return {
    name: 'data-upload',
    type: DU_TYPE,
    namespace: ctx.namespace,
    reconcile: (obj) => reconcile(ctx, obj, deferred),
    drain: () => ctx.work.drain(),
  };
}

function workKey(name: string): string {
  return `du/${name}`;
}

type Patch = (status: DataUploadStatus) => Promise<KubeObject>;

function patcher(ctx: NodeAgentContext, name: string): Patch {
  return (status) => ctx.cluster.patchStatus(REF, { name, namespace: ctx.namespace }, status);
}

function subject(du: DataUpload): string {
  return `the snapshot of claim ${du.spec.sourceNamespace}/${du.spec.sourcePVC}`;
}

/**
 * @param deferred when this agent first saw each new DataUpload whose source volume its node cannot reach
 *   (claim-preference.ts): it claims one only `OTHER_NODE_CLAIM_DELAY_MS` later.
 */
async function reconcile(
  ctx: NodeAgentContext,
  obj: KubeObject,
  deferred: Map<string, number>,
): Promise<ReconcileResult | undefined> {
  const du = obj as DataUpload;
  const name = du.metadata.name ?? '';
  const key = workKey(name);
  const step = nextUploadStep(du, ctx.node, ctx.work.has(key));
  if (step !== 'claim') deferred.delete(name);
  switch (step) {
    case 'none':
      return undefined;
    case 'cancel':
      return cancel(ctx, du);
    case 'claim': {
      if (ctx.work.full()) return { requeueAfterMs: BUSY_RETRY_MS };
      const waitMs = await claimDelay(ctx, du, deferred);
      if (waitMs > 0) return { requeueAfterMs: waitMs };
      deferred.delete(name);
      const accepted = await claimDataMover(ctx.cluster, REF, du, ctx.node, kubeTime(ctx.clock.now()));
      if (!accepted) return undefined;
      ctx.work.start(key, async (signal) => {
        // The repository is made ready and connected while the snapshot is exposed (a new one may still be
        // being created by the server; a connect is a round of reads from the bucket).
        const unneeded = new AbortController();
        const repository = openMoverRepository(ctx, accepted as DataUpload, AbortSignal.any([signal, unneeded.signal]));
        repository.catch(() => undefined);
        const placement = await expose(ctx, accepted as DataUpload, signal);
        // The mover pod landed on this node: upload now. (Prepared reaches this agent's informer while this
        // work still runs under the same key, so the reconcile of that event leaves it; nothing else would.)
        if (placement?.node === ctx.node) await upload(ctx, accepted as DataUpload, signal, { repository, placement });
        // Done, or the agent of that node uploads, or the exposing failed: a wait or connect still running here
        // is not needed any more.
        unneeded.abort();
        await repository.catch(() => undefined);
      });
      return undefined;
    }
    case 'upload':
      if (ctx.work.full()) return { requeueAfterMs: BUSY_RETRY_MS };
      ctx.work.start(key, (signal) => upload(ctx, du, signal));
      return undefined;
  }
}

/** How long this agent still leaves a new DataUpload to the agent of the source volume's node; 0: claim it now. */
async function claimDelay(ctx: NodeAgentContext, du: DataUpload, deferred: Map<string, number>): Promise<number> {
  const name = du.metadata.name ?? '';
  let since = deferred.get(name);
  if (since === undefined) {
    if (await sourceVolumeReaches(ctx.cluster, du, ctx.node)) return 0;
    since = Date.now();
    deferred.set(name, since);
  }
  return Math.max(0, since + OTHER_NODE_CLAIM_DELAY_MS - Date.now());
}

async function cancel(ctx: NodeAgentContext, du: DataUpload): Promise<ReconcileResult | undefined> {
  const name = du.metadata.name ?? '';
  const phase = du.status?.phase ?? '';
  const key = workKey(name);
  if (ctx.work.has(key)) {
    if (!(await markCanceling(ctx.cluster, REF, { name, namespace: ctx.namespace }, phase))) {
      return { requeueAfterMs: CANCEL_RETRY_MS };
    }
    ctx.work.cancel(key);
    return undefined;
  }
  // Nobody runs it here: the agent it belongs to (or any, while it is New) ends it.
  const mine =
    phase === '' ||
    phase === DataPathPhase.New ||
    du.status?.node === ctx.node ||
    (!du.status?.node && du.status?.acceptedByNode === ctx.node);
  if (!mine) return undefined;
  await unexposeSnapshot(ctx.cluster, { namespace: ctx.namespace, name });
  await patcher(
    ctx,
    name,
  )({
    phase: DataPathPhase.Canceled,
    message: 'canceled before the upload started',
    completionTimestamp: kubeTime(ctx.clock.now()),
  });
  return undefined;
}

/** Exposes the snapshot and marks the DataUpload Prepared; returns where the mover landed (undefined: it failed). */
async function expose(ctx: NodeAgentContext, du: DataUpload, signal: AbortSignal): Promise<MoverPlacement | undefined> {
  const name = du.metadata.name ?? '';
  const log = ctx.log.child({ dataUpload: name });
  const patch = patcher(ctx, name);
  try {
    const timeoutMs = parseDuration(du.spec.operationTimeout || DEFAULT_OPERATION_TIMEOUT, 'spec.operationTimeout');
    const placement = await exposeSnapshot(ctx.cluster, du, { signal, timeoutMs, node: ctx.node, step: steps(log) });
    await patch({ phase: DataPathPhase.Prepared, node: placement.node });
    log.info({ node: placement.node, pv: placement.pvName }, 'snapshot exposed to the data mover');
    return placement;
  } catch (err) {
    await endWithError(ctx, du, signal, log, err);
    return undefined;
  }
}

/**
 * The kopia repository of the DataUpload's source namespace, ready (the server creates it when it is new) and
 * connected, with the data mover's tuning.
 */
async function openMoverRepository(ctx: NodeAgentContext, du: DataUpload, signal: AbortSignal): Promise<Uploader> {
  // Always kopia, whatever the server's uploader type (reference §7.4.3).
  const key = {
    volumeNamespace: du.spec.sourceNamespace,
    location: du.spec.backupStorageLocation,
    type: 'kopia' as const,
  };
  await ensureRepository(ctx.cluster, ctx.namespace, key, signal);
  const uploader = await openRepository(dataMoverRepositoryContext(ctx), key);
  await uploader.connect(signal);
  return uploader;
}

/**
 * Uploads the mover's volume. `exposed`: what the agent that exposed the snapshot already has (the repository
 * being connected, the mover's placement), so that it need not be waited for or read again.
 */
async function upload(
  ctx: NodeAgentContext,
  du: DataUpload,
  signal: AbortSignal,
  exposed?: { repository: Promise<Uploader>; placement: MoverPlacement },
): Promise<void> {
  const name = du.metadata.name ?? '';
  const log = ctx.log.child({ dataUpload: name });
  const patch = patcher(ctx, name);
  const progress = new ProgressWriter(async (p) => {
    await patch({ progress: { totalBytes: p.totalBytes, bytesDone: p.bytesDone } });
  });
  try {
    const ref = { namespace: ctx.namespace, name };
    const volume = await (exposed
      ? moverVolumeDir(ctx.cluster, ctx, ref, exposed.placement, signal)
      : waitForMoverVolume(ctx.cluster, () => ctx, ref, { signal, timeoutMs: 60_000 }));
    if (volume.node !== ctx.node) throw new Error(`the mover pod runs on ${volume.node}, not on ${ctx.node}`);
    const settings = parseBackupSettings(du.spec.dataMoverConfig ?? {});
    const step = steps(log);
    step('mover volume mounted');
    const uploader = await (exposed?.repository ?? openMoverRepository(ctx, du, signal));
    step('repository connected');
    // One write as kopia starts: InProgress, where, and the directory read.
    await patch({
      phase: DataPathPhase.InProgress,
      startTimestamp: kubeTime(ctx.clock.now()),
      node: ctx.node,
      path: volume.dir,
    });
    log.info({ path: volume.dir }, 'uploading the snapshot');
    const result = await uploader.backup(volume.dir, {
      tags: {},
      signal,
      // The same source as a file-system backup of the claim: kopia finds the previous snapshot as the parent.
      source: `/${du.spec.sourceNamespace}/${du.spec.sourcePVC}`,
      ...(settings.parallelFiles !== undefined ? { parallelFiles: settings.parallelFiles } : {}),
      onProgress: (p) => progress.report(p),
    });
    await progress.close();
    step('kopia done');
    // The mover's objects are deleted before the DataUpload is Completed (as Velero orders it), but their going
    // (the pod's, then the claim's once its protection finalizer is lifted) is not waited for: the backup
    // need not wait for it.
    await removeMover(ctx, name, log);
    step('mover objects deleted');
    await patch({
      phase: DataPathPhase.Completed,
      snapshotID: result.snapshotID,
      path: volume.dir,
      incrementalBytes: result.incrementalBytes,
      progress: { totalBytes: result.totalBytes, bytesDone: result.totalBytes },
      completionTimestamp: kubeTime(ctx.clock.now()),
      nodeOS: 'linux',
      message: '',
      ...(result.dirTimesSnapshotID ? { dataMoverResult: { [DIR_TIMES_RESULT_KEY]: result.dirTimesSnapshotID } } : {}),
    });
    log.info({ snapshotID: result.snapshotID, incrementalBytes: result.incrementalBytes }, 'snapshot data moved');
    void moverGone(ctx.cluster, { namespace: ctx.namespace, name }, CLEANUP_WAIT_MS).then(
      (gone) => gone || log.warn(`the data mover's pod or claim is still there ${CLEANUP_WAIT_MS / 1000}s later`),
      (err: unknown) => log.warn({ err: errorMessage(err) }, "cannot check that the data mover's objects are gone"),
    );
  } catch (err) {
    await progress.close();
    await endWithError(ctx, du, signal, log, err);
  }
}

/** Removes the mover's objects, then records how the work ended (Canceled or Failed, with the reason). */
/** Logs each step at debug level with the time since the first (bench:datamover reads them). */
function steps(log: Logger): (what: string) => void {
  const start = Date.now();
  return (what) => log.debug({ step: what, ms: Date.now() - start }, 'data mover step');
}

async function endWithError(
  ctx: NodeAgentContext,
  du: DataUpload,
  signal: AbortSignal,
  log: Logger,
  err: unknown,
): Promise<void> {
  const name = du.metadata.name ?? '';
  await cleanUp(ctx, name, log);
  await recordDataPathError(
    {
      ctx,
      what: 'backup',
      pod: {},
      volume: du.spec.sourcePVC,
      subject: subject(du),
      signal,
      log,
      patch: patcher(ctx, name),
    },
    err,
  );
}

async function cleanUp(ctx: NodeAgentContext, name: string, log: Logger): Promise<void> {
  await removeMover(ctx, name, log, CLEANUP_WAIT_MS);
}

/** Deletes the mover's objects; with `waitMs`, waits that long at most for the pod and claim to be gone. */
async function removeMover(ctx: NodeAgentContext, name: string, log: Logger, waitMs = 0): Promise<void> {
  try {
    await unexposeSnapshot(ctx.cluster, { namespace: ctx.namespace, name }, waitMs);
  } catch (err) {
    log.warn({ err: errorMessage(err) }, 'cannot remove the data mover objects');
  }
}

const LEFT_BEHIND: readonly string[] = [DataPathPhase.Accepted, DataPathPhase.InProgress, DataPathPhase.Canceling];

/**
 * At start: the DataUploads a previous run of this agent left half done (exposing, uploading or canceling)
 * end Failed (Canceled when canceling) with the reason, their mover objects removed. One Prepared for this
 * node had not started: it is taken up as usual.
 */
export async function failLeftoverUploads(ctx: NodeAgentContext): Promise<number> {
  let count = 0;
  for await (const obj of ctx.cluster.list(DU_TYPE, { namespace: ctx.namespace })) {
    const du = obj as DataUpload;
    const phase = du.status?.phase ?? '';
    if (!LEFT_BEHIND.includes(phase)) continue;
    const mine =
      phase === DataPathPhase.Accepted ? du.status?.acceptedByNode === ctx.node : du.status?.node === ctx.node;
    if (!mine) continue;
    const name = du.metadata.name ?? '';
    await cleanUp(ctx, name, ctx.log);
    await patcher(
      ctx,
      name,
    )({
      phase: phase === DataPathPhase.Canceling ? DataPathPhase.Canceled : DataPathPhase.Failed,
      message: `node agent on ${ctx.node} restarted while the upload was in progress`,
      completionTimestamp: kubeTime(ctx.clock.now()),
    });
    ctx.log.warn({ dataUpload: name, phase }, 'upload left in progress by a previous run');
    count++;
  }
  return count;
}
