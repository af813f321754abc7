/**
 * The PodVolumeBackup object for one volume of one pod (reference §6.3, contract §3). Pure.
 */
import type { PodVolumeBackup } from '../../api/pod-volume.ts';
import { Annotations, Labels } from '../../api/labels.ts';
import { validLabelValue } from '../../util/label-value.ts';
import { UploaderSettingKeys } from '../../volumes/uploader/settings.ts';
import type { PodVolumePlan, VolumeDecision } from './plan.ts';
import type { UploaderType } from './settings.ts';

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
      ? { [UploaderSettingKeys.ParallelFilesUpload]: String(input.parallelFilesUpload) }
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
