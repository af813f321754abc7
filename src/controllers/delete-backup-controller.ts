import { Kinds, Labels, resourceRef, type Backup, type DeleteBackupRequest } from '../api/index.ts';
import type { Cluster } from '../kube/cluster.ts';
import type { KubeObject } from '../kube/object.ts';
import { errorMessage } from '../util/errors.ts';
import { validLabelValue } from '../util/label-value.ts';
import type { Logger } from '../util/log.ts';
import type { ServerMetrics } from '../server/metrics.ts';
import type { ControllerSpec, ReconcileResult } from './controller.ts';
import type { LocationResolver } from './locations.ts';

export interface DeleteBackupDeps {
  cluster: Cluster;
  namespace: string;
  locations: LocationResolver;
  log: Logger;
  /** Prometheus metrics (reference §10.3); absent in tests that do not look at them. */
  metrics?: ServerMetrics;
}

const TYPE = {
  group: 'velero.io',
  version: 'v1',
  resource: 'deletebackuprequests',
  kind: 'DeleteBackupRequest',
  namespaced: true,
  verbs: [],
};
const RESTORES = {
  group: 'velero.io',
  version: 'v1',
  resource: 'restores',
  kind: 'Restore',
  namespaced: true,
  verbs: [],
};

/**
 * DeleteBackupRequest (reference §5.3): the backup's objects in storage go first, then
 * its restores' files and objects, then the Backup object. A ReadOnly location refuses.
 */
export function deleteBackupController(deps: DeleteBackupDeps): ControllerSpec {
  return { name: 'delete-backup', type: TYPE, namespace: deps.namespace, reconcile: (obj) => reconcile(deps, obj) };
}

async function reconcile(deps: DeleteBackupDeps, obj: KubeObject): Promise<ReconcileResult | undefined> {
  const req = obj as DeleteBackupRequest;
  if (req.status?.phase === 'Processed') return undefined;
  const name = req.metadata.name ?? '';
  const ref = resourceRef(Kinds.DeleteBackupRequest);
  const target = { name, namespace: deps.namespace };
  await deps.cluster.patchStatus(ref, target, { phase: 'InProgress' });
  // The request carries no schedule; the backup does (reference §10.3 labels deletions by schedule).
  const backup = await deps.cluster.find(resourceRef(Kinds.Backup), req.spec.backupName, deps.namespace);
  const schedule = backup?.metadata.labels?.[Labels.ScheduleName] ?? '';
  deps.metrics?.backupDeletionAttempted(schedule);
  const errors = await deleteBackup(deps, req.spec.backupName);
  deps.metrics?.backupDeletionFinished(schedule, errors.length === 0);
  await deps.cluster.patchStatus(ref, target, { phase: 'Processed', errors });
  deps.log.info({ backup: req.spec.backupName, errors }, 'delete backup request processed');
  return undefined;
}

async function deleteBackup(deps: DeleteBackupDeps, backupName: string): Promise<string[]> {
  const backupRef = resourceRef(Kinds.Backup);
  const backup = (await deps.cluster.find(backupRef, backupName, deps.namespace)) as Backup | undefined;
  if (!backup) return [`backup ${backupName} not found`];
  const location = backup.spec.storageLocation ?? 'default';
  try {
    const bsl = await deps.locations.get(location);
    if (bsl.spec.accessMode === 'ReadOnly') {
      return [`cannot delete backup because backup storage location ${location} is currently in read-only mode`];
    }
    await deps.cluster.patch(backupRef, { name: backupName, namespace: deps.namespace }, 'merge', {
      status: { phase: 'Deleting' },
    });
    const store = await deps.locations.store(bsl);
    await store.deleteBackup(backupName);
    for await (const r of deps.cluster.list(RESTORES, { namespace: deps.namespace })) {
      if ((r.spec as { backupName?: string } | undefined)?.backupName !== backupName) continue;
      await store.deleteRestore(r.metadata.name ?? '');
      await deps.cluster.delete(RESTORES, r.metadata.name ?? '', deps.namespace);
    }
  } catch (err) {
    return [`deleting backup ${backupName} from storage location ${location}: ${errorMessage(err)}`];
  }
  await deps.cluster.delete(backupRef, backupName, deps.namespace);
  return [];
}

/** Labels a DeleteBackupRequest carries (reference §1.7). */
export function deleteRequestLabels(backup: Backup): Record<string, string> {
  return {
    [Labels.BackupName]: validLabelValue(backup.metadata.name ?? ''),
    [Labels.BackupUID]: backup.metadata.uid ?? '',
  };
}
