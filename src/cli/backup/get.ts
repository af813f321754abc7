/** `skiff backup get [NAMES...]`: a table (or json/yaml) of backups (reference §8.2). */
import type { Backup } from '../../api/backup.ts';
import { Kinds } from '../../api/kinds.ts';
import { getCommand, type TableSpec } from '../get-command.ts';
import { formatRelative, formatTimestamp } from '../output.ts';
import { newestFirst } from '../resources.ts';
import { selectorText } from '../selector-text.ts';

export const BACKUP_COLUMNS = [
  'NAME',
  'STATUS',
  'ERRORS',
  'WARNINGS',
  'CREATED',
  'EXPIRES',
  'STORAGE LOCATION',
  'SELECTOR',
] as const;

/**
 * The phase as shown: Velero shows an unset phase as New, and a backup being deleted as
 * Deleting. A queued backup shows its place in the queue, e.g. `Queued (2)`.
 */
export function displayPhase(backup: Backup): string {
  if (backup.metadata.deletionTimestamp) return 'Deleting';
  const phase = backup.status?.phase ?? 'New';
  const position = backup.status?.queuePosition;
  return phase === 'Queued' && position ? `Queued (${position})` : phase;
}

export function backupRow(backup: Backup, now: Date): string[] {
  const status = backup.status ?? {};
  return [
    backup.metadata.name ?? '',
    displayPhase(backup),
    String(status.errors ?? 0),
    String(status.warnings ?? 0),
    formatTimestamp(backup.metadata.creationTimestamp),
    formatRelative(status.expiration, now),
    backup.spec.storageLocation ?? '',
    selectorText(backup.spec.labelSelector, backup.spec.orLabelSelectors),
  ];
}

export const BACKUP_TABLE: TableSpec<Backup> = { columns: BACKUP_COLUMNS, row: backupRow };

export function backupGetCommand() {
  return getCommand<Backup>({
    kind: Kinds.Backup,
    plural: 'backups',
    description: 'Get backups',
    examples: [
      'skiff backup get',
      'skiff backup get web-daily -o yaml',
      'skiff backup get -l velero.io/schedule-name=nightly',
    ],
    order: newestFirst,
    ...BACKUP_TABLE,
  });
}
