/** `skiff schedule ...`: the schedule verbs (reference §8.2). */
import { Command } from '@commander-js/extra-typings';
import { scheduleCreateCommand } from './create.ts';
import { scheduleDeleteCommand } from './delete.ts';
import { scheduleDescribeCommand } from './describe.ts';
import { scheduleGetCommand } from './get.ts';
import { schedulePauseCommand, scheduleUnpauseCommand } from './pause.ts';

export function scheduleCommand() {
  return new Command('schedule')
    .description('Work with schedules: backups taken on a cron schedule, with optional retention')
    .addCommand(scheduleCreateCommand())
    .addCommand(scheduleGetCommand())
    .addCommand(scheduleDescribeCommand())
    .addCommand(schedulePauseCommand())
    .addCommand(scheduleUnpauseCommand())
    .addCommand(scheduleDeleteCommand())
    .addHelpText(
      'after',
      `
Examples:
  skiff schedule create nightly --schedule "0 1 * * *" --include-namespaces web --retain daily=7,weekly=4
  skiff schedule get
  skiff schedule describe nightly
  skiff schedule pause nightly`,
    );
}
