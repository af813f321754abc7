/** `skiff restore ...`: the restore verbs. */
import { Command } from '@commander-js/extra-typings';
import { restoreCreateCommand } from './create.ts';
import { restoreDeleteCommand } from './delete.ts';
import { restoreDescribeCommand } from './describe.ts';
import { restoreGetCommand } from './get.ts';
import { restoreLogsCommand } from './logs.ts';

export function restoreCommand() {
  return new Command('restore')
    .description('Work with restores')
    .addCommand(restoreCreateCommand())
    .addCommand(restoreGetCommand())
    .addCommand(restoreDescribeCommand())
    .addCommand(restoreLogsCommand())
    .addCommand(restoreDeleteCommand())
    .addHelpText(
      'after',
      `
Examples:
  skiff restore create --from-backup web-daily --dry-run
  skiff restore create --from-backup web-daily --wait
  skiff restore get
  skiff restore describe web-daily-20250131140509 --details`,
    );
}
