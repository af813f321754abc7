/**
 * DeleteBackupRequests (reference §1.7): the one way Skiff builds them, used by
 * `skiff backup delete`, garbage collection and the deletion controller's look-ups.
 */
import type { Backup } from '../api/backup.ts';
import { Labels } from '../api/labels.ts';
import type { DeleteBackupRequest } from '../api/requests.ts';
import { validLabelValue } from '../util/label-value.ts';

/** Labels a DeleteBackupRequest carries: the backup's (normalised) name and its uid. */
export function deleteRequestLabels(backupName: string, backupUid: string | undefined): Record<string, string> {
  return {
    [Labels.BackupName]: validLabelValue(backupName),
    [Labels.BackupUID]: backupUid ?? '',
  };
}

/** The label selector of the requests for one backup (by name and uid, as garbage collection looks them up). */
export function deleteRequestSelector(backupName: string, backupUid: string | undefined): string {
  return Object.entries(deleteRequestLabels(backupName, backupUid))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** The request for one backup: generateName `<backup>-`, in the backup's namespace, labelled with its name and uid. */
export function deleteBackupRequestFor(backup: Backup): DeleteBackupRequest {
  const name = backup.metadata.name ?? '';
  return {
    apiVersion: 'velero.io/v1',
    kind: 'DeleteBackupRequest',
    metadata: {
      generateName: `${name}-`,
      namespace: backup.metadata.namespace ?? '',
      labels: deleteRequestLabels(name, backup.metadata.uid),
    },
    spec: { backupName: name },
  };
}
