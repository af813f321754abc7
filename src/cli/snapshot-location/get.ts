/** `skiff snapshot-location get [NAMES...]` (reference §8.2). */
import { Command } from '@commander-js/extra-typings';
import { Kinds } from '../../api/kinds.ts';
import type { VolumeSnapshotLocation } from '../../api/volume-snapshot-location.ts';
import { CliContext } from '../context.ts';
import { formatObjects, formatTable, parseOutputFormat } from '../output.ts';
import { getNamedOrSelected } from '../resources.ts';

export function formatSnapshotLocationTable(locations: readonly VolumeSnapshotLocation[]): string {
  return formatTable(
    ['NAME', 'PROVIDER'],
    locations.map((l) => [l.metadata.name ?? '', l.spec.provider]),
  );
}

export function snapshotLocationGetCommand() {
  return new Command('get')
    .description('Get volume snapshot locations')
    .argument('[names...]', 'locations to show (default: all)')
    .option('-l, --selector <selector>', 'only locations whose labels match this selector')
    .option('-o, --output <format>', 'table, json or yaml', 'table')
    .addHelpText(
      'after',
      `
Examples:
  skiff snapshot-location get
  skiff snapshot-location get default -o yaml`,
    )
    .action(async (names, flags, cmd) => {
      const ctx = CliContext.fromCommand(cmd);
      const output = parseOutputFormat(flags.output) ?? 'table';
      const locations = await getNamedOrSelected<VolumeSnapshotLocation>(
        ctx.cluster(),
        Kinds.VolumeSnapshotLocation,
        ctx.namespace,
        names,
        flags.selector,
      );
      locations.sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
      if (output !== 'table') {
        process.stdout.write(formatObjects(locations, output, names.length !== 1));
        return;
      }
      process.stdout.write(formatSnapshotLocationTable(locations));
    });
}
