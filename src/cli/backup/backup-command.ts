/** `skiff backup ...`: the backup verbs. */
import { Command } from '@commander-js/extra-typings';
import { backupCreateCommand } from './create.ts';
import { backupDeleteCommand } from './delete.ts';
import { backupDescribeCommand } from './describe.ts';
import { backupDownloadCommand } from './download.ts';
import { backupGetCommand } from './get.ts';
import { backupLogsCommand } from './logs.ts';

export function backupCommand() {
  return new Command('backup')
    .description('Work with backups')
    .addCommand(backupCreateCommand())
    .addCommand(backupGetCommand())
    .addCommand(backupDescribeCommand())
    .addCommand(backupLogsCommand())
    .addCommand(backupDownloadCommand())
    .addCommand(backupDeleteCommand())
    .addHelpText(
      'after',
      `
Examples:
  skiff backup create web --include-namespaces web --wait
  skiff backup get
  skiff backup describe web --details`,
    );
}
