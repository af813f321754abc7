/** `skiff schedule describe [NAMES...]` (reference §8.2), with what retention keeps. */
import { Command } from '@commander-js/extra-typings';
import type { Backup } from '../../api/backup.ts';
import { Kinds } from '../../api/kinds.ts';
import { Labels } from '../../api/labels.ts';
import type { Schedule } from '../../api/schedule.ts';
import { validLabelValue } from '../../util/label-value.ts';
import { CliContext } from '../context.ts';
import { formatObjects, parseOutputFormat } from '../output.ts';
import { getNamedOrSelected, listVelero, newestFirst } from '../resources.ts';
import { describeSchedule } from './describe-format.ts';

export function scheduleDescribeCommand() {
  return new Command('describe')
    .description('Describe schedules, and what their retention rules keep')
    .argument('[names...]', 'schedules to describe (default: all)')
    .option('-l, --selector <selector>', 'only schedules whose labels match this selector')
    .option('-o, --output <format>', 'json or yaml instead of text')
    .addHelpText(
      'after',
      `
Examples:
  skiff schedule describe nightly
  skiff schedule describe nightly -o yaml`,
    )
    .action(async (names, flags, cmd) => {
      const ctx = CliContext.fromCommand(cmd);
      const output = parseOutputFormat(flags.output, ['json', 'yaml']);
      const cluster = ctx.cluster();
      const schedules = newestFirst(
        await getNamedOrSelected<Schedule>(cluster, Kinds.Schedule, ctx.namespace, names, flags.selector),
      );
      if (output) {
        process.stdout.write(formatObjects(schedules, output, names.length !== 1));
        return;
      }
      const now = new Date();
      const texts: string[] = [];
      for (const s of schedules) {
        const selector = `${Labels.ScheduleName}=${validLabelValue(s.metadata.name ?? '')}`;
        const backups = await listVelero<Backup>(cluster, Kinds.Backup, ctx.namespace, selector);
        texts.push(describeSchedule(s, backups, now));
      }
      process.stdout.write(texts.join('\n'));
    });
}
