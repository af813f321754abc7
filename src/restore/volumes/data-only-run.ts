/**
 * The executor of a data-only restore (data-only.ts): read the backup's PodVolumeBackups,
 * match them to the pods that exist now, create the data-only PodVolumeRestores and wait.
 */
import { Kinds, resourceRef } from '../../api/kinds.ts';
import type { Restore } from '../../api/restore.ts';
import type { OperationLog } from '../../results/operation-log.ts';
import type { BackupStore } from '../../storage/index.ts';
import { ValidationError } from '../../util/errors.ts';
import { dataOnlyProblems, planDataOnly, type DataOnlyPlan } from './data-only.ts';
import { indexPodVolumeBackups } from './pod-volumes.ts';
import {
  DEFAULT_POD_VOLUME_TIMEOUT_MS,
  PodVolumeRestorer,
  podVolumeTimeoutMs,
  restoreUploaderSettings,
  type PodVolumeCluster,
} from './pod-volume-restores.ts';

const PODS = { group: '', version: 'v1', resource: 'pods' };

export interface DataOnlyDeps {
  cluster: PodVolumeCluster;
  store: BackupStore;
  /** The server namespace, where the Backup is. */
  veleroNamespace: string;
}

/** The plan against the live cluster and the backup's location; throws ValidationError for a refused spec. */
export async function planDataOnlyForCluster(
  deps: DataOnlyDeps,
  restore: Restore,
): Promise<{ plan: DataOnlyPlan; backupStorageLocation: string }> {
  const problems = dataOnlyProblems(restore.metadata.annotations, restore.spec);
  if (problems.length > 0) throw new ValidationError(problems.join('; '));
  const backupName = restore.spec.backupName ?? '';
  const pvbs = await deps.store.getBackupFile(backupName, 'podVolumeBackups');
  const index = indexPodVolumeBackups(Array.isArray(pvbs) ? pvbs : []);
  const plan = await planDataOnly(restore.spec, index, (ns, name) => deps.cluster.find(PODS, name, ns));
  if (Object.keys(index).length === 0) {
    plan.warnings.push(`backup ${backupName} has no file-system backups of pod volumes: there is no data to restore`);
  }
  const backup = await deps.cluster.find(resourceRef(Kinds.Backup), backupName, deps.veleroNamespace);
  const location = (backup?.spec as { storageLocation?: string } | undefined)?.storageLocation ?? '';
  return { plan, backupStorageLocation: location };
}

/** Runs a data-only restore; returns how many pods got data. Failures are in the log's errors. */
export async function runDataOnlyRestore(
  deps: DataOnlyDeps & { log: OperationLog; podVolumeTimeoutMs?: number; pollIntervalMs?: number },
  restore: Restore,
): Promise<number> {
  const { plan, backupStorageLocation } = await planDataOnlyForCluster(deps, restore);
  for (const w of plan.warnings) deps.log.warn('operation', w);
  const restorer = new PodVolumeRestorer({
    cluster: deps.cluster,
    log: deps.log,
    restore: {
      name: restore.metadata.name ?? '',
      uid: restore.metadata.uid ?? '',
      namespace: restore.metadata.namespace ?? deps.veleroNamespace,
    },
    backupStorageLocation,
    uploaderSettings: restoreUploaderSettings(restore.spec),
    dataOnly: true,
  });
  for (const p of plan.pods) await restorer.start(p.pod, p.sourceNamespace, p.volumes);
  const timeout = podVolumeTimeoutMs(
    restore.metadata.annotations,
    deps.podVolumeTimeoutMs ?? DEFAULT_POD_VOLUME_TIMEOUT_MS,
  );
  if (timeout.warning) deps.log.warn('operation', timeout.warning);
  await restorer.waitForAll(timeout.ms, deps.pollIntervalMs ?? 1000);
  return plan.pods.length;
}
