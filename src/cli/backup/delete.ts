/**
 * `skiff backup delete`: creates one DeleteBackupRequest per backup; the server does the
 * deleting (reference §1.7, §5.3). Deleting the Backup CR directly would leave the data
 * in the bucket, and sync would bring the backup back.
 */
import { Command } from '@commander-js/extra-typings';
import type { Backup } from '../../api/backup.ts';
import { Kinds, resourceRef } from '../../api/kinds.ts';
import { deleteBackupRequestFor } from '../../deletion/delete-request.ts';
import { CliContext } from '../context.ts';
import { throwIfProblems } from '../errors.ts';
import { confirmed } from '../prompt.ts';
import { getNamedOrSelected } from '../resources.ts';

/** Names, --all and -l choose backups in mutually exclusive ways, as in Velero. */
export function deleteSelectionProblems(
  names: readonly string[],
  all: boolean,
  selector: string | undefined,
): string[] {
  const ways = [names.length > 0, all, selector !== undefined].filter(Boolean).length;
  if (ways === 0) return ['name the backups to delete, or use --all or -l/--selector'];
  if (ways > 1) return ['use only one of: backup names, --all, -l/--selector'];
  return [];
}

export function backupDeleteCommand() {
  return new Command('delete')
    .description('Delete backups, their files in object storage and their snapshots')
    .argument('[names...]', 'backups to delete')
    .option('--all', 'delete all backups')
    .option('-l, --selector <selector>', 'delete the backups whose labels match this selector')
    .option('--confirm', 'do not ask for confirmation')
    .addHelpText(
      'after',
      `
Examples:
  skiff backup delete web-daily --confirm
  skiff backup delete -l velero.io/schedule-name=nightly --confirm`,
    )
    .action(async (names, flags, cmd) => {
      const ctx = CliContext.fromCommand(cmd);
      throwIfProblems(deleteSelectionProblems(names, flags.all ?? false, flags.selector));
      const cluster = ctx.cluster();
      const backups = await getNamedOrSelected<Backup>(cluster, Kinds.Backup, ctx.namespace, names, flags.selector);
      if (backups.length === 0) {
        console.log('No backups found.');
        return;
      }
      const what =
        backups.length === 1
          ? `Deleting backup ${backups[0]?.metadata.name ?? ''}.`
          : `Deleting ${backups.length} backups.`;
      if (!(await confirmed(what, flags.confirm))) {
        console.log('Cancelled.');
        return;
      }
      for (const b of backups) {
        await cluster.create(resourceRef(Kinds.DeleteBackupRequest), deleteBackupRequestFor(b));
        console.log(`Request to delete backup "${b.metadata.name ?? ''}" submitted successfully.`);
      }
      console.log(
        'The backups will be fully deleted after all associated data (snapshots, backup files, restores) are removed.',
      );
    });
}
