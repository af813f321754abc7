/**
 * Backup sync, step 4 (reference §5.4): after the Backup object is created from the bucket,
 * its PodVolumeBackups come back from `<backup>-podvolumebackups.json.gz`, as Velero does:
 * same names, in the server namespace, the location set to the one synced, the owner
 * reference and the `velero.io/backup-uid` label pointing at the new Backup, and the status
 * (snapshot IDs, progress, phase) as the backup left it.
 *
 * A PVB created without a status looks new to a node agent for a moment (status is a
 * subresource, so it is written after the create); the annotation `SYNCED_ANNOTATION` tells
 * Skiff's node agent never to run it.
 */
import { Kinds, Labels, resourceRef, type Backup } from '../api/index.ts';
import type { Cluster } from '../kube/cluster.ts';
import { KubeApiError } from '../kube/errors.ts';
import type { KubeObject } from '../kube/object.ts';
import type { BackupStore } from '../storage/index.ts';
import { errorMessage } from '../util/errors.ts';
import type { Logger } from '../util/log.ts';

/** On a PodVolumeBackup that backup sync made from the bucket: a record, never work to run. */
export const SYNCED_ANNOTATION = 'skiff.io/synced-from-location';

const PVB = resourceRef(Kinds.PodVolumeBackup);

export interface SyncedPodVolumeBackup {
  object: KubeObject;
  status: Record<string, unknown> | undefined;
}

/**
 * The PodVolumeBackup to create for one stored record, or a reason it cannot be (not an
 * object, no name). Pure.
 */
export function syncedPodVolumeBackup(
  stored: unknown,
  target: { backup: Backup; namespace: string; location: string },
): SyncedPodVolumeBackup | string {
  if (typeof stored !== 'object' || stored === null || Array.isArray(stored)) return 'it is not an object';
  const record = structuredClone(stored) as Partial<KubeObject> & { status?: Record<string, unknown> };
  const meta = record.metadata ?? {};
  const name = meta.name;
  if (!name) return 'it has no metadata.name';
  const backupName = target.backup.metadata.name ?? '';
  const backupUID = target.backup.metadata.uid ?? '';
  const owners = (meta.ownerReferences ?? []).map((ref) =>
    ref.kind === 'Backup' && ref.name === backupName ? { ...ref, uid: backupUID } : ref,
  );
  const object: KubeObject = {
    apiVersion: record.apiVersion ?? 'velero.io/v1',
    kind: record.kind ?? 'PodVolumeBackup',
    metadata: {
      name,
      namespace: target.namespace,
      labels: {
        ...meta.labels,
        [Labels.BackupName]: meta.labels?.[Labels.BackupName] ?? backupName,
        [Labels.BackupUID]: backupUID,
      },
      annotations: { ...meta.annotations, [SYNCED_ANNOTATION]: target.location },
      ...(owners.length > 0 ? { ownerReferences: owners } : {}),
    },
    spec: { ...(record.spec as Record<string, unknown> | undefined), backupStorageLocation: target.location },
  };
  return { object, status: record.status };
}

export interface PodVolumeSyncDeps {
  cluster: Cluster;
  namespace: string;
  log: Logger;
}

/**
 * Creates the synced backup's PodVolumeBackups; returns how many were created. A record that
 * cannot be made (or that exists already) is logged and skipped: the Backup itself is synced,
 * and a restore reads the records from the bucket anyway.
 */
export async function recreatePodVolumeBackups(
  deps: PodVolumeSyncDeps,
  store: BackupStore,
  backup: Backup,
  location: string,
): Promise<number> {
  const name = backup.metadata.name ?? '';
  let stored: unknown;
  try {
    stored = await store.getBackupFile(name, 'podVolumeBackups');
  } catch (err) {
    deps.log.warn(
      { backup: name, location },
      `backup sync: cannot read the pod volume backups of backup "${name}": ${errorMessage(err)}`,
    );
    return 0;
  }
  if (!Array.isArray(stored)) return 0;
  let created = 0;
  for (const record of stored) {
    const made = syncedPodVolumeBackup(record, { backup, namespace: deps.namespace, location });
    const pvbName = (record as Partial<KubeObject> | null)?.metadata?.name ?? '?';
    if (typeof made === 'string') {
      deps.log.warn({ backup: name, location }, `backup sync: skipping a pod volume backup of "${name}": ${made}`);
      continue;
    }
    try {
      await deps.cluster.create(PVB, made.object);
      if (made.status) await deps.cluster.patchStatus(PVB, { name: pvbName, namespace: deps.namespace }, made.status);
      created++;
    } catch (err) {
      if (err instanceof KubeApiError && err.alreadyExists) continue;
      deps.log.warn(
        { backup: name, location, podVolumeBackup: pvbName },
        `backup sync: cannot recreate PodVolumeBackup ${pvbName} of backup "${name}": ${errorMessage(err)}`,
      );
    }
  }
  return created;
}
