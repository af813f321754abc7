/**
 * The node agent's PodVolumeRestore controller (reference §6.5; contract §4): takes a PVR once
 * its pod is scheduled to this node and, when the pod has the `restore-wait` init container,
 * once that container runs; restores the snapshot into the volume's directory, then writes the
 * empty marker `<volume>/.velero/<restore UID>` that lets restore-wait finish. A data-only
 * restore (annotation `skiff.io/data-only: "true"`) restores into the running pod and writes no
 * marker.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DataPathPhase,
  Kinds,
  Labels,
  Names,
  resourceRef,
  type PodVolumeRestore,
  type PodVolumeRestoreStatus,
} from '../../api/index.ts';
import type { ControllerSpec, ReconcileResult } from '../../controllers/controller.ts';
import { veleroListType } from '../../controllers/velero-types.ts';
import type { KubeObject } from '../../kube/index.ts';
import { kubeTime } from '../../util/clock.ts';
import { DIR_TIMES_ANNOTATION } from '../dir-times/record.ts';
import { openRepository, repositoryTypeOf } from '../repository/open.ts';
import { parseRestoreSettings } from '../uploader/settings.ts';
import type { NodeAgentContext } from './context.ts';
import { volumePathOf } from './pod-volume.ts';
import { markCanceling, recordDataPathError } from './finish.ts';
import { ProgressWriter } from './progress.ts';

const REF = resourceRef(Kinds.PodVolumeRestore);
export const PVR_TYPE = veleroListType(Kinds.PodVolumeRestore);
const FINAL: readonly string[] = [DataPathPhase.Completed, DataPathPhase.Failed, DataPathPhase.Canceled];
/** How soon a PVR whose pod is not ready for it (not scheduled, restore-wait not running) looks again. */
const WAIT_RETRY_MS = 1000;
/** Annotation of a data-only restore's PVRs (contract §4). */
export const DATA_ONLY_ANNOTATION = 'skiff.io/data-only';

export function podVolumeRestoreController(ctx: NodeAgentContext): ControllerSpec {
  return {
    name: 'pod-volume-restore',
    type: PVR_TYPE,
    namespace: ctx.namespace,
    reconcile: (obj) => reconcile(ctx, obj),
    drain: () => ctx.work.drain(),
  };
}

interface PodStatusLike {
  spec?: { nodeName?: string; initContainers?: { name: string }[] };
  status?: { initContainerStatuses?: { name: string; state?: { running?: unknown } }[] };
}

/** Whether the PVR's pod is this node's and ready for its data: the pod, or why to wait. */
async function podReadyForData(
  ctx: NodeAgentContext,
  pvr: PodVolumeRestore,
  dataOnly: boolean,
): Promise<KubeObject | 'wait' | 'elsewhere'> {
  const { name = '', namespace, uid } = pvr.spec.pod;
  const found = await ctx.cluster.find({ group: '', version: 'v1', resource: 'pods' }, name, namespace);
  const pod = found as PodStatusLike | undefined;
  if (!found || !pod || (uid && found.metadata.uid !== uid)) return 'wait';
  const nodeName = pod.spec?.nodeName;
  if (!nodeName) return 'wait';
  if (nodeName !== ctx.node) return 'elsewhere';
  const helper = Names.RestoreHelperInitContainer;
  if (!dataOnly && (pod.spec?.initContainers ?? []).some((c) => c.name === helper)) {
    const status = (pod.status?.initContainerStatuses ?? []).find((c) => c.name === helper);
    if (!status?.state?.running) return 'wait';
  }
  return found;
}

async function reconcile(ctx: NodeAgentContext, obj: KubeObject): Promise<ReconcileResult | undefined> {
  const pvr = obj as PodVolumeRestore;
  const name = pvr.metadata.name ?? '';
  const phase = pvr.status?.phase ?? '';
  if (FINAL.includes(phase)) return undefined;
  const key = `pvr/${name}`;
  const patch = (status: PodVolumeRestoreStatus): Promise<KubeObject> =>
    ctx.cluster.patchStatus(REF, { name, namespace: ctx.namespace }, status);
  if (ctx.work.has(key)) {
    if (pvr.spec.cancel) {
      if (!(await markCanceling(ctx.cluster, REF, { name, namespace: ctx.namespace }, phase))) {
        return { requeueAfterMs: WAIT_RETRY_MS };
      }
      ctx.work.cancel(key);
    }
    return undefined;
  }
  if (phase !== '' && phase !== DataPathPhase.New) return undefined;

  const dataOnly = pvr.metadata.annotations?.[DATA_ONLY_ANNOTATION] === 'true';
  const pod = await podReadyForData(ctx, pvr, dataOnly);
  if (pod === 'elsewhere') return undefined;
  if (pvr.spec.cancel) {
    if (pod !== 'wait')
      await patch({ phase: DataPathPhase.Canceled, message: 'canceled before it started', node: ctx.node });
    return undefined;
  }
  if (pod === 'wait' || ctx.work.full()) return { requeueAfterMs: WAIT_RETRY_MS };

  await patch({ phase: DataPathPhase.Accepted, acceptedTimestamp: kubeTime(ctx.clock.now()), node: ctx.node });
  ctx.work.start(key, (signal) => run(ctx, { pvr, pod, dataOnly, patch }, signal));
  return undefined;
}

interface RestoreJob {
  pvr: PodVolumeRestore;
  pod: KubeObject;
  dataOnly: boolean;
  patch: (status: PodVolumeRestoreStatus) => Promise<KubeObject>;
}

async function run(ctx: NodeAgentContext, job: RestoreJob, signal: AbortSignal): Promise<void> {
  const { pvr, pod, dataOnly, patch } = job;
  const log = ctx.log.child({ podVolumeRestore: pvr.metadata.name });
  const progress = new ProgressWriter(async (p) => {
    await patch({ progress: { totalBytes: p.totalBytes, bytesDone: p.bytesDone } });
  });
  try {
    const restoreUID = pvr.metadata.labels?.[Labels.RestoreUID];
    if (!dataOnly && !restoreUID) throw new Error(`it has no ${Labels.RestoreUID} label to name the done marker`);
    const { path } = await volumePathOf(ctx.cluster, ctx, pod, pvr.spec.volume, signal);
    const settings = parseRestoreSettings(pvr.spec.uploaderSettings);
    const uploader = await openRepository(
      ctx,
      {
        volumeNamespace: pvr.spec.sourceNamespace,
        location: pvr.spec.backupStorageLocation,
        type: repositoryTypeOf(pvr.spec.uploaderType),
      },
      { owner: `PodVolumeRestore ${pvr.metadata.name ?? ''}`, repoIdentifier: pvr.spec.repoIdentifier ?? '' },
    );
    await patch({ phase: DataPathPhase.InProgress, startTimestamp: kubeTime(ctx.clock.now()) });
    log.info({ path, snapshotID: pvr.spec.snapshotID }, 'restoring pod volume');
    const dirTimesSnapshotID = pvr.metadata.annotations?.[DIR_TIMES_ANNOTATION];
    await uploader.restore(pvr.spec.snapshotID, path, {
      signal,
      ...(dirTimesSnapshotID ? { dirTimesSnapshotID } : {}),
      writeSparseFiles: settings.writeSparseFiles,
      ...(settings.parallelFiles !== undefined ? { parallelFiles: settings.parallelFiles } : {}),
      ...(pvr.spec.snapshotSize ? { totalBytes: pvr.spec.snapshotSize } : {}),
      onProgress: (p) => progress.report(p),
    });
    await progress.close();
    if (!dataOnly && restoreUID) {
      // The marker restore-wait waits for (§6.5 step 3).
      await mkdir(join(path, '.velero'), { recursive: true });
      await writeFile(join(path, '.velero', restoreUID), '');
    }
    const total = pvr.spec.snapshotSize ?? pvr.status?.progress?.totalBytes;
    await patch({
      phase: DataPathPhase.Completed,
      completionTimestamp: kubeTime(ctx.clock.now()),
      message: '',
      ...(total !== undefined ? { progress: { totalBytes: total, bytesDone: total } } : {}),
    });
    log.info('pod volume restored');
  } catch (err) {
    await progress.close();
    await recordDataPathError(
      { ctx, what: 'restore', pod: pvr.spec.pod, volume: pvr.spec.volume, signal, log, patch },
      err,
    );
  }
}
