/** `skiff backup-location ...`: where backups are stored. */
import { Command } from '@commander-js/extra-typings';
import { backupLocationCreateCommand } from './create.ts';
import { backupLocationDeleteCommand } from './delete.ts';
import { backupLocationGetCommand } from './get.ts';
import { backupLocationSetCommand } from './set.ts';

export function backupLocationCommand() {
  return new Command('backup-location')
    .description('Work with backup storage locations')
    .addCommand(backupLocationCreateCommand())
    .addCommand(backupLocationGetCommand())
    .addCommand(backupLocationSetCommand())
    .addCommand(backupLocationDeleteCommand())
    .addHelpText(
      'after',
      `
Examples:
  skiff backup-location create local --provider filesystem --bucket skiff --config path=/var/backups
  skiff backup-location get`,
    );
}
