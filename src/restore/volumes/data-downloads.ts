/**
 * The data-mover part of a restore run (reference §7.5, DATAMOVER-CONTRACT "Restore side"): the
 * DataUploadResult ConfigMaps before any object is restored, a DataDownload for each moved claim
 * once the claim exists, then the wait for all of them (as for PodVolumeRestores); a DataDownload
 * that fails is a restore error (PartiallyFailed). The ConfigMaps are deleted at the end.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Kinds, resourceRef } from '../../api/kinds.ts';
import { Labels } from '../../api/labels.ts';
import type { Restore } from '../../api/restore.ts';
import { veleroListType } from '../../controllers/velero-types.ts';
import { isNotFound } from '../../kube/errors.ts';
import type { KubeObject } from '../../kube/object.ts';
import type { ResourceRef, ResourceType } from '../../kube/resource.ts';
import type { ListOptions } from '../../kube/list.ts';
import type { OperationLog } from '../../results/operation-log.ts';
import { scopeOf } from '../../results/results.ts';
import { parseDuration } from '../../util/duration.ts';
import { formatError } from '../../util/errors.ts';
import {
  dataDownloadObject,
  dataUploadResultConfigMap,
  DATA_UPLOAD_RESOURCE_USAGE,
  type DataMoverRestoreEnv,
  type RestoreRef,
} from '../actions/data-mover-actions.ts';
import { getPath } from '../actions/types.ts';
import type { AfterCreate } from '../apply/apply-operation.ts';
import type { RestorePlanStream } from '../plan/types.ts';
import { restoreUploaderSettings } from './pod-volume-restores.ts';

const DATA_DOWNLOADS: ResourceType = veleroListType(Kinds.DataDownload);
const CONFIG_MAPS: ResourceType = {
  group: '',
  version: 'v1',
  resource: 'configmaps',
  kind: 'ConfigMap',
  namespaced: true,
  verbs: [],
};
/** Velero's default item operation timeout (reference §1.2), which bounds the wait. */
export const DEFAULT_ITEM_OPERATION_TIMEOUT_MS = 4 * 60 * 60 * 1000;
/** The DataDownload's operationTimeout when the backup's csiSnapshotTimeout is unknown (reference Appendix B). */
const DEFAULT_CSI_SNAPSHOT_TIMEOUT = '10m0s';

/** The verbs this step uses (`Cluster` satisfies it). */
export interface DataDownloadCluster {
  create(rt: ResourceRef, obj: KubeObject): Promise<KubeObject>;
  find(rt: ResourceRef, name: string, namespace?: string): Promise<KubeObject | undefined>;
  delete(rt: ResourceRef, name: string, namespace?: string): Promise<unknown>;
  list(rt: ResourceType, opts?: ListOptions): AsyncIterable<KubeObject>;
}

export interface DataDownloadStepDeps {
  cluster: DataDownloadCluster;
  log: OperationLog;
  pollIntervalMs?: number;
  /** The Restore exists only in memory: its DataDownloads get no owner reference (their owner removes them). */
  restoreNotStored?: boolean;
}

export interface DataDownloadStep {
  /** Creates the DataUploadResult ConfigMaps; call before the plan is applied. */
  start(): Promise<void>;
  afterCreate: AfterCreate;
  /** Waits for every DataDownload of the restore; failures are in the log's errors. */
  finish(): Promise<void>;
  /** Deletes the ConfigMaps (also after a failed run). */
  cleanup(): Promise<void>;
}

/** One DataDownload that failed or did not finish, for the restore's errors. */
export interface DataDownloadProblem {
  name: string;
  pvc: string;
  message: string;
}

export interface DataDownloadOutcome {
  completed: number;
  pending: number;
  problems: DataDownloadProblem[];
}

/** Judges a restore's DataDownloads; `timedOut` turns the unfinished ones into problems. */
export function judgeDataDownloads(dds: readonly KubeObject[], timedOut: boolean): DataDownloadOutcome {
  const out: DataDownloadOutcome = { completed: 0, pending: 0, problems: [] };
  for (const dd of dds) {
    const phase = str(getPath(dd, 'status', 'phase'));
    const pvc = `${str(getPath(dd, 'spec', 'targetVolume', 'namespace'))}/${str(getPath(dd, 'spec', 'targetVolume', 'pvc'))}`;
    const name = dd.metadata.name ?? '';
    const message = str(getPath(dd, 'status', 'message'));
    if (phase === 'Completed') out.completed++;
    else if (phase === 'Failed' || phase === 'Canceled') {
      out.problems.push({ name, pvc, message: `${phase.toLowerCase()}: ${message || 'no message'}` });
    } else if (timedOut) out.problems.push({ name, pvc, message: `timed out in phase ${phase || 'New'}` });
    else out.pending++;
  }
  return out;
}

/** The step for a plan whose backup moved snapshot data, or undefined when there is none. */
export function dataDownloadStep(
  deps: DataDownloadStepDeps,
  restore: Restore,
  plan: Pick<RestorePlanStream, 'env'>,
): DataDownloadStep | undefined {
  const env = plan.env.dataMover;
  const uid = restore.metadata.uid ?? '';
  if (!env || uid === '' || !plan.env.restorePVs) return undefined;
  const ref: RestoreRef = { name: restore.metadata.name ?? '', uid, namespace: restore.metadata.namespace ?? '' };
  const { cluster, log } = deps;
  const dataMoverConfig = restoreUploaderSettings(restore.spec);
  let operationTimeout: string | undefined;
  return {
    async start() {
      operationTimeout = await backupCsiSnapshotTimeout(cluster, ref.namespace, restore.spec.backupName ?? '');
      await createResultConfigMaps(cluster, log, ref, env);
    },
    async afterCreate(op) {
      const planned = op.dataDownload;
      if (!planned) return;
      const where = `claim ${planned.namespace}/${planned.pvc}`;
      try {
        const made = await cluster.create(
          resourceRef(Kinds.DataDownload),
          dataDownloadObject(ref, planned, {
            dataMoverConfig,
            operationTimeout,
            ...(deps.restoreNotStored ? { restoreNotStored: true } : {}),
          }),
        );
        log.info(`created data download ${made.metadata.name ?? ''} for ${where}`, {
          snapshot: planned.volume.result.snapshotID,
          operationID: planned.operationID,
        });
      } catch (err) {
        log.error(scopeOf(planned.namespace), `could not start the data download of ${where}: ${formatError(err)}`);
      }
    },
    async finish() {
      const timeoutMs = itemOperationTimeoutMs(restore, log);
      await waitForDataDownloads(cluster, log, ref, timeoutMs, deps.pollIntervalMs ?? 1000);
    },
    async cleanup() {
      await deleteResultConfigMaps(cluster, log, ref);
    },
  };
}

async function createResultConfigMaps(
  cluster: DataDownloadCluster,
  log: OperationLog,
  ref: RestoreRef,
  env: DataMoverRestoreEnv,
): Promise<void> {
  for (const volume of Object.values(env.volumes)) {
    try {
      await cluster.create(CONFIG_MAPS, dataUploadResultConfigMap(ref, volume));
    } catch (err) {
      log.warn(
        'operation',
        `could not write the DataUploadResult ConfigMap of DataUpload ${volume.dataUpload}: ${formatError(err)}`,
      );
    }
  }
}

async function deleteResultConfigMaps(cluster: DataDownloadCluster, log: OperationLog, ref: RestoreRef): Promise<void> {
  const labelSelector = `${Labels.RestoreUID}=${ref.uid},${Labels.ResourceUsage}=${DATA_UPLOAD_RESOURCE_USAGE}`;
  try {
    for await (const cm of cluster.list(CONFIG_MAPS, { namespace: ref.namespace, labelSelector })) {
      await cluster.delete(CONFIG_MAPS, cm.metadata.name ?? '', ref.namespace).catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
    }
  } catch (err) {
    log.warn('operation', `could not delete the DataUploadResult ConfigMaps: ${formatError(err)}`);
  }
}

/** The wait's limit: the Restore's `spec.itemOperationTimeout`, else 4h (reference §1.2). */
function itemOperationTimeoutMs(restore: Restore, log: OperationLog): number {
  const raw = restore.spec.itemOperationTimeout;
  if (raw === undefined || raw === '') return DEFAULT_ITEM_OPERATION_TIMEOUT_MS;
  try {
    return parseDuration(raw, 'spec.itemOperationTimeout');
  } catch (err) {
    log.warn('operation', `${formatError(err)}; waiting up to 4h for the data downloads instead`);
    return DEFAULT_ITEM_OPERATION_TIMEOUT_MS;
  }
}

/** The backup's `csiSnapshotTimeout`, the DataDownloads' `operationTimeout` as in Velero. */
async function backupCsiSnapshotTimeout(
  cluster: DataDownloadCluster,
  namespace: string,
  backupName: string,
): Promise<string> {
  const backup = await cluster.find(resourceRef(Kinds.Backup), backupName, namespace).catch(() => undefined);
  const timeout = getPath(backup, 'spec', 'csiSnapshotTimeout');
  return typeof timeout === 'string' && timeout !== '' ? timeout : DEFAULT_CSI_SNAPSHOT_TIMEOUT;
}

/**
 * Waits until every DataDownload of the restore (those of an earlier, interrupted run too) has
 * finished, or `timeoutMs` has passed; records each failure as a restore error.
 */
export async function waitForDataDownloads(
  cluster: DataDownloadCluster,
  log: OperationLog,
  ref: RestoreRef,
  timeoutMs: number,
  pollMs: number,
): Promise<DataDownloadOutcome> {
  const deadline = Date.now() + timeoutMs;
  const labelSelector = `${Labels.RestoreUID}=${ref.uid}`;
  let outcome: DataDownloadOutcome;
  for (;;) {
    const dds: KubeObject[] = [];
    for await (const dd of cluster.list(DATA_DOWNLOADS, { namespace: ref.namespace, labelSelector })) dds.push(dd);
    outcome = judgeDataDownloads(dds, Date.now() >= deadline);
    if (outcome.pending === 0) break;
    await sleep(Math.min(pollMs, Math.max(0, deadline - Date.now())));
  }
  for (const p of outcome.problems) {
    log.error('operation', `data download ${p.name} of claim ${p.pvc} failed: ${p.message}`);
  }
  if (outcome.completed > 0) log.info('data downloads completed', { completed: outcome.completed });
  return outcome;
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
