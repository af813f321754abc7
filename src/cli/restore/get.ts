/** `skiff restore get [NAMES...]`: a table (or json/yaml) of restores (reference §8.2). */
import { Kinds } from '../../api/kinds.ts';
import type { Restore } from '../../api/restore.ts';
import { getCommand, type TableSpec } from '../get-command.ts';
import { formatTimestamp } from '../output.ts';
import { newestFirst } from '../resources.ts';
import { selectorText } from '../selector-text.ts';

export const RESTORE_COLUMNS = [
  'NAME',
  'BACKUP',
  'STATUS',
  'STARTED',
  'COMPLETED',
  'ERRORS',
  'WARNINGS',
  'CREATED',
  'SELECTOR',
] as const;

/**
 * The phase as shown: unset is New, and a restore being deleted shows Deleting. A restore
 * waiting for another to finish with its namespaces shows its place, e.g. `New (queued: 2)`.
 */
export function displayRestorePhase(restore: Restore): string {
  if (restore.metadata.deletionTimestamp) return 'Deleting';
  const phase = restore.status?.phase ?? 'New';
  const position = restore.status?.queuePosition;
  return phase === 'New' && position ? `New (queued: ${position})` : phase;
}

export function restoreRow(restore: Restore): string[] {
  const status = restore.status ?? {};
  return [
    restore.metadata.name ?? '',
    restore.spec.backupName ?? '',
    displayRestorePhase(restore),
    formatTimestamp(status.startTimestamp),
    formatTimestamp(status.completionTimestamp),
    String(status.errors ?? 0),
    String(status.warnings ?? 0),
    formatTimestamp(restore.metadata.creationTimestamp),
    selectorText(restore.spec.labelSelector, restore.spec.orLabelSelectors),
  ];
}

export const RESTORE_TABLE: TableSpec<Restore> = { columns: RESTORE_COLUMNS, row: restoreRow };

export function restoreGetCommand() {
  return getCommand<Restore>({
    kind: Kinds.Restore,
    plural: 'restores',
    description: 'Get restores',
    examples: ['skiff restore get', 'skiff restore get web-daily-20250131140509 -o yaml'],
    order: newestFirst,
    ...RESTORE_TABLE,
  });
}
