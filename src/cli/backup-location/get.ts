/** `skiff backup-location get [NAMES...]` (reference §8.2). */
import type { BackupStorageLocation } from '../../api/backup-storage-location.ts';
import { Kinds } from '../../api/kinds.ts';
import { byName, getCommand, type TableSpec } from '../get-command.ts';
import { formatTimestamp } from '../output.ts';

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

export const LOCATION_TABLE: TableSpec<BackupStorageLocation> = { columns: LOCATION_COLUMNS, row: locationRow };

export function backupLocationGetCommand() {
  return getCommand<BackupStorageLocation>({
    kind: Kinds.BackupStorageLocation,
    plural: 'locations',
    description: 'Get backup storage locations',
    examples: ['skiff backup-location get', 'skiff backup-location get --default -o yaml'],
    order: byName,
    ...LOCATION_TABLE,
    only: { flag: '--default', description: 'only the default location', keep: (l) => l.spec.default === true },
  });
}
