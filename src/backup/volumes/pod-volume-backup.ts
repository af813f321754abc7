/**
 * The PodVolumeBackup object for one volume of one pod (reference §6.3, contract §3). Pure.
 */
import type { PodVolumeBackup } from '../../api/pod-volume.ts';
import type { BackupStorageLocation } from '../../api/backup-storage-location.ts';
import { Annotations, Labels } from '../../api/labels.ts';
import { validLabelValue } from '../../util/label-value.ts';
import type { PodVolumePlan, VolumeDecision } from './plan.ts';
import type { UploaderType } from './settings.ts';

/**
 * Uploader settings key for `spec.uploaderConfig.parallelFilesUpload`, as Velero writes it
 * (contract §2). fs-agent exports it from `src/volumes/uploader/settings.ts`: use that at merge.
 */
export const PARALLEL_FILES_UPLOAD = 'ParallelFilesUpload';

export interface PodVolumeBackupInput {
  /** The server namespace, where PodVolumeBackups live. */
  namespace: string;
  backup: { name: string; uid: string };
  location: string;
  uploaderType: UploaderType;
  /** "" for kopia; the restic repository URL for restic (reference §2.5). */
  repoIdentifier: string;
  parallelFilesUpload?: number | undefined;
  pod: PodVolumePlan['pod'];
  decision: VolumeDecision;
}

export function podVolumeBackupObject(input: PodVolumeBackupInput): PodVolumeBackup {
  const { backup, pod, decision } = input;
  const pvcUid = decision.pvc?.uid;
  const tags: Record<string, string> = {
    backup: backup.name,
    'backup-uid': backup.uid,
    pod: pod.name,
    'pod-uid': pod.uid,
    ns: pod.namespace,
    volume: decision.volume,
    ...(pvcUid ? { 'pvc-uid': pvcUid } : {}),
  };
  const settings =
    input.parallelFilesUpload && input.parallelFilesUpload > 0
      ? { [PARALLEL_FILES_UPLOAD]: String(input.parallelFilesUpload) }
      : undefined;
  return {
    apiVersion: 'velero.io/v1',
    kind: 'PodVolumeBackup',
    metadata: {
      generateName: `${backup.name}-`,
      namespace: input.namespace,
      labels: {
        [Labels.BackupName]: validLabelValue(backup.name),
        [Labels.BackupUID]: backup.uid,
        ...(pvcUid ? { [Labels.PVCUID]: pvcUid } : {}),
      },
      ...(decision.pvc ? { annotations: { [Annotations.PVCName]: decision.pvc.name } } : {}),
      ownerReferences: [
        { apiVersion: 'velero.io/v1', kind: 'Backup', name: backup.name, uid: backup.uid, controller: true },
      ],
    },
    spec: {
      node: pod.node,
      pod: { kind: 'Pod', namespace: pod.namespace, name: pod.name, uid: pod.uid },
      volume: decision.volume,
      backupStorageLocation: input.location,
      repoIdentifier: input.repoIdentifier,
      uploaderType: input.uploaderType,
      tags,
      ...(settings ? { uploaderSettings: settings } : {}),
    },
  };
}

/**
 * The legacy restic repository URL of a namespace in a location (reference §2.5):
 * `resticRepoPrefix` when configured, else `s3:<s3Url or s3-<region>.amazonaws.com>/<bucket>/<prefix>/restic`.
 */
export function resticIdentifier(bsl: Pick<BackupStorageLocation, 'spec'>, volumeNamespace: string): string {
  const config = bsl.spec.config ?? {};
  if (config.resticRepoPrefix) return `${config.resticRepoPrefix.replace(/\/+$/u, '')}/${volumeNamespace}`;
  const endpoint = (config.s3Url ?? `s3-${config.region ?? 'us-east-1'}.amazonaws.com`).replace(/\/+$/u, '');
  const { bucket, prefix } = bsl.spec.objectStorage;
  const path = [bucket, prefix?.replace(/^\/+|\/+$/gu, ''), 'restic', volumeNamespace].filter(Boolean).join('/');
  return `s3:${endpoint}/${path}`;
}
