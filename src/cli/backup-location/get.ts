/** `skiff backup-location get [NAMES...]` (reference §8.2). */
import { Command } from '@commander-js/extra-typings';
import type { BackupStorageLocation } from '../../api/backup-storage-location.ts';
import { Kinds } from '../../api/kinds.ts';
import { CliContext } from '../context.ts';
import { formatObjects, formatTable, formatTimestamp, parseOutputFormat } from '../output.ts';
import { getNamedOrSelected } from '../resources.ts';

export const LOCATION_COLUMNS = [
  'NAME',
  'PROVIDER',
  'BUCKET/PREFIX',
  'PHASE',
  'LAST VALIDATED',
  'ACCESS MODE',
  'DEFAULT',
] as const;

export function locationRow(bsl: BackupStorageLocation): string[] {
  const { objectStorage } = bsl.spec;
  return [
    bsl.metadata.name ?? '',
    bsl.spec.provider,
    objectStorage.prefix ? `${objectStorage.bucket}/${objectStorage.prefix}` : objectStorage.bucket,
    bsl.status?.phase ?? 'Unknown',
    bsl.status?.lastValidationTime ? formatTimestamp(bsl.status.lastValidationTime) : 'Unknown',
    bsl.spec.accessMode ?? 'ReadWrite',
    bsl.spec.default ? 'true' : '',
  ];
}

export function formatLocationTable(locations: readonly BackupStorageLocation[]): string {
  return formatTable(LOCATION_COLUMNS, locations.map(locationRow));
}

export function backupLocationGetCommand() {
  return new Command('get')
    .description('Get backup storage locations')
    .argument('[names...]', 'locations to show (default: all)')
    .option('-l, --selector <selector>', 'only locations whose labels match this selector')
    .option('--default', 'only the default location')
    .option('-o, --output <format>', 'table, json or yaml', 'table')
    .addHelpText(
      'after',
      `
Examples:
  skiff backup-location get
  skiff backup-location get --default -o yaml`,
    )
    .action(async (names, flags, cmd) => {
      const ctx = CliContext.fromCommand(cmd);
      const output = parseOutputFormat(flags.output) ?? 'table';
      let locations = await getNamedOrSelected<BackupStorageLocation>(
        ctx.cluster(),
        Kinds.BackupStorageLocation,
        ctx.namespace,
        names,
        flags.selector,
      );
      if (flags.default) locations = locations.filter((l) => l.spec.default);
      locations.sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
      if (output !== 'table') {
        process.stdout.write(formatObjects(locations, output, names.length !== 1));
        return;
      }
      process.stdout.write(formatLocationTable(locations));
    });
}
