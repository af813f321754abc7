/**
 * The pod-volume part of a restore run (reference §6.5 steps 2 and 5): each pod the restore
 * creates gets its PodVolumeRestores, and the restore then waits for all of them.
 */
import type { Restore } from '../../api/restore.ts';
import type { OperationLog } from '../../results/operation-log.ts';
import type { AfterCreate } from '../apply/apply-operation.ts';
import type { RestorePlanStream } from '../plan/types.ts';
import {
  DEFAULT_POD_VOLUME_TIMEOUT_MS,
  PodVolumeRestorer,
  podVolumeTimeoutMs,
  restoreUploaderSettings,
  type PodVolumeCluster,
} from './pod-volume-restores.ts';

export interface PodVolumeStepDeps {
  cluster: PodVolumeCluster;
  log: OperationLog;
  /** The server's `--fs-backup-timeout` (default 240m), which bounds the wait. */
  podVolumeTimeoutMs?: number;
  pollIntervalMs?: number;
  /** The Restore is not an object in the cluster: its PodVolumeRestores get no owner reference. */
  restoreNotStored?: boolean;
}

export interface PodVolumeStep {
  afterCreate: AfterCreate;
  /** Waits for every PodVolumeRestore of the restore; failures are in the log's errors. */
  finish(): Promise<void>;
}

/** The step for a plan with pod volumes to restore, or undefined when there is nothing to do. */
export function podVolumeStep(
  deps: PodVolumeStepDeps,
  restore: Restore,
  plan: Pick<RestorePlanStream, 'env'>,
): PodVolumeStep | undefined {
  const env = plan.env.podVolumes;
  const uid = restore.metadata.uid ?? '';
  if (!env || uid === '') return undefined;
  const restorer = new PodVolumeRestorer({
    cluster: deps.cluster,
    log: deps.log,
    restore: {
      name: restore.metadata.name ?? '',
      uid,
      namespace: restore.metadata.namespace ?? '',
      ...(deps.restoreNotStored ? { stored: false } : {}),
    },
    backupStorageLocation: env.backupStorageLocation,
    uploaderSettings: restoreUploaderSettings(restore.spec),
  });
  return {
    async afterCreate(op, created) {
      // The planner chose the volumes (plan-item.ts); the created pod brings the new uid.
      if (op.podVolumes) await restorer.start(created, op.target.sourceNamespace ?? '', op.podVolumes);
    },
    async finish() {
      const timeout = podVolumeTimeoutMs(
        restore.metadata.annotations,
        deps.podVolumeTimeoutMs ?? DEFAULT_POD_VOLUME_TIMEOUT_MS,
      );
      if (timeout.warning) deps.log.warn('operation', timeout.warning);
      await restorer.waitForAll(timeout.ms, deps.pollIntervalMs ?? 1000);
    },
  };
}
