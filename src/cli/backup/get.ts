/** `skiff backup get [NAMES...]`: a table (or json/yaml) of backups (reference §8.2). */
import { Command } from '@commander-js/extra-typings';
import type { Backup } from '../../api/backup.ts';
import { Kinds } from '../../api/kinds.ts';
import { CliContext } from '../context.ts';
import { formatObjects, formatRelative, formatTable, formatTimestamp, parseOutputFormat } from '../output.ts';
import { getNamedOrSelected, newestFirst } from '../resources.ts';
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

export function formatBackupTable(backups: readonly Backup[], now: Date): string {
  return formatTable(
    BACKUP_COLUMNS,
    backups.map((b) => backupRow(b, now)),
  );
}

export function backupGetCommand() {
  return new Command('get')
    .description('Get backups')
    .argument('[names...]', 'backups to show (default: all)')
    .option('-l, --selector <selector>', 'only backups whose labels match this selector')
    .option('-o, --output <format>', 'table, json or yaml', 'table')
    .addHelpText(
      'after',
      `
Examples:
  skiff backup get
  skiff backup get web-daily -o yaml
  skiff backup get -l velero.io/schedule-name=nightly`,
    )
    .action(async (names, flags, cmd) => {
      const ctx = CliContext.fromCommand(cmd);
      const output = parseOutputFormat(flags.output) ?? 'table';
      const backups = newestFirst(
        await getNamedOrSelected<Backup>(ctx.cluster(), Kinds.Backup, ctx.namespace, names, flags.selector),
      );
      if (output !== 'table') {
        process.stdout.write(formatObjects(backups, output, names.length !== 1));
        return;
      }
      process.stdout.write(formatBackupTable(backups, new Date()));
    });
}
