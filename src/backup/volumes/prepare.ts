/**
 * The backup controller's volume step: before InProgress, resolve the volume fields and read
 * the resource policies (a missing or malformed ConfigMap is FailedValidation naming it);
 * when the run starts, the PodVolumeBackups executor for it.
 */
import type { Backup, BackupSpec } from '../../api/backup.ts';
import type { BackupStorageLocation } from '../../api/backup-storage-location.ts';
import type { Cluster } from '../../kube/cluster.ts';
import { errorMessage } from '../../util/errors.ts';
import { loadResourcePolicies } from '../../volumes/policy/config-map.ts';
import type { ResourcePolicies } from '../../volumes/policy/types.ts';
import type { BackupPlan } from '../plan/backup-plan.ts';
import { ensureRepository as defaultEnsureRepository } from '../../volumes/repository/ensure.ts';

type EnsureRepository = typeof defaultEnsureRepository;
import { PodVolumeBackups } from './run-pod-volumes.ts';
import { resolveVolumeFields, type ResolvedVolumeFields, type ServerVolumeDefaults } from './settings.ts';

export interface BackupVolumeDeps extends Partial<ServerVolumeDefaults> {
  ensureRepository?: EnsureRepository;
  /** How often PodVolumeBackups are read while the backup waits; default 1 s. */
  pollMs?: number;
}

export interface PreparedVolumes {
  fields: ResolvedVolumeFields;
  policies: ResourcePolicies | undefined;
  pvcsIncluded: boolean;
  location: BackupStorageLocation;
  /** Spec fields the server fills in (defaultVolumesToFsBackup), as Velero stores them. */
  specFields: Pick<BackupSpec, 'defaultVolumesToFsBackup'>;
}

interface PrepareDeps {
  cluster: Cluster;
  namespace: string;
  volumes?: BackupVolumeDeps | undefined;
  locations: { get(name: string): Promise<BackupStorageLocation> };
}

/** Also adds the fields' warnings to the plan's, so the backup's log and results carry them. */
export async function prepareVolumes(
  deps: PrepareDeps,
  backup: Backup,
  plan: BackupPlan,
  locationName: string,
): Promise<PreparedVolumes | { errors: string[] }> {
  const errors: string[] = [];
  const fields = resolveVolumeFields(backup.spec, backup.metadata.annotations, serverDefaults(deps.volumes));
  errors.push(...fields.validationErrors);
  let policies: ResourcePolicies | undefined;
  try {
    policies = await loadResourcePolicies(deps.cluster, deps.namespace, backup.spec);
  } catch (err) {
    errors.push(errorMessage(err));
  }
  let location: BackupStorageLocation | undefined;
  try {
    location = await deps.locations.get(locationName);
  } catch {
    // The controller reports an unusable location itself.
  }
  if (errors.length > 0 || !location) return { errors };
  plan.warnings.push(...fields.warnings);
  return {
    fields,
    policies,
    pvcsIncluded: !plan.skippedTypes.some((t) => t.groupResource === 'persistentvolumeclaims'),
    location,
    specFields: { defaultVolumesToFsBackup: fields.defaultVolumesToFsBackup },
  };
}

export function serverDefaults(v: BackupVolumeDeps | undefined): ServerVolumeDefaults {
  return {
    defaultVolumesToFsBackup: v?.defaultVolumesToFsBackup ?? false,
    uploaderType: v?.uploaderType ?? 'kopia',
    fsBackupTimeout: v?.fsBackupTimeout,
  };
}

export function podVolumeBackupsFor(deps: PrepareDeps, backup: Backup, prepared: PreparedVolumes): PodVolumeBackups {
  return new PodVolumeBackups({
    cluster: deps.cluster,
    namespace: deps.namespace,
    backup: { name: backup.metadata.name ?? '', uid: backup.metadata.uid ?? '' },
    location: prepared.location,
    fields: prepared.fields,
    settings: {
      policies: prepared.policies,
      defaultVolumesToFsBackup: prepared.fields.defaultVolumesToFsBackup,
      defaultSource: prepared.fields.defaultSource,
      snapshotVolumes: backup.spec.snapshotVolumes ?? undefined,
      pvcsIncluded: prepared.pvcsIncluded,
    },
    ensureRepository: deps.volumes?.ensureRepository ?? defaultEnsureRepository,
    parallelFilesUpload: backup.spec.uploaderConfig?.parallelFilesUpload,
    ...(deps.volumes?.pollMs ? { pollMs: deps.volumes.pollMs } : {}),
  });
}
