/** `skiff schedule get [NAMES...]`: a table (or json/yaml) of schedules (reference §8.2). */
import { Command } from '@commander-js/extra-typings';
import { Kinds } from '../../api/kinds.ts';
import type { Schedule } from '../../api/schedule.ts';
import { CliContext } from '../context.ts';
import { formatObjects, formatRelative, formatTable, formatTimestamp, parseOutputFormat } from '../output.ts';
import { getNamedOrSelected, newestFirst } from '../resources.ts';
import { selectorText } from '../selector-text.ts';

export const SCHEDULE_COLUMNS = [
  'NAME',
  'STATUS',
  'CREATED',
  'SCHEDULE',
  'BACKUP TTL',
  'LAST BACKUP',
  'SELECTOR',
  'PAUSED',
] as const;

export function scheduleRow(s: Schedule, now: Date): string[] {
  const t = s.spec.template;
  return [
    s.metadata.name ?? '',
    s.status?.phase ?? 'New',
    formatTimestamp(s.metadata.creationTimestamp),
    s.spec.schedule,
    t.ttl ?? '0s',
    s.status?.lastBackup ? formatRelative(s.status.lastBackup, now) : 'n/a',
    selectorText(t.labelSelector, t.orLabelSelectors),
    String(s.spec.paused ?? false),
  ];
}

export function scheduleGetCommand() {
  return new Command('get')
    .description('Get schedules')
    .argument('[names...]', 'schedules to show (default: all)')
    .option('-l, --selector <selector>', 'only schedules whose labels match this selector')
    .option('-o, --output <format>', 'table, json or yaml', 'table')
    .addHelpText(
      'after',
      `
Examples:
  skiff schedule get
  skiff schedule get nightly -o yaml`,
    )
    .action(async (names, flags, cmd) => {
      const ctx = CliContext.fromCommand(cmd);
      const output = parseOutputFormat(flags.output) ?? 'table';
      const schedules = newestFirst(
        await getNamedOrSelected<Schedule>(ctx.cluster(), Kinds.Schedule, ctx.namespace, names, flags.selector),
      );
      if (output !== 'table') {
        process.stdout.write(formatObjects(schedules, output, names.length !== 1));
        return;
      }
      const now = new Date();
      process.stdout.write(
        formatTable(
          SCHEDULE_COLUMNS,
          schedules.map((s) => scheduleRow(s, now)),
        ),
      );
    });
}
