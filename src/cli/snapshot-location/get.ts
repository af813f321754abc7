/** `skiff snapshot-location get [NAMES...]` (reference §8.2). */
import { Kinds } from '../../api/kinds.ts';
import type { VolumeSnapshotLocation } from '../../api/volume-snapshot-location.ts';
import { byName, getCommand } from '../get-command.ts';
import { formatTable } from '../output.ts';

export function formatSnapshotLocationTable(locations: readonly VolumeSnapshotLocation[]): string {
  return formatTable(
    ['NAME', 'PROVIDER'],
    locations.map((l) => [l.metadata.name ?? '', l.spec.provider]),
  );
}

export function snapshotLocationGetCommand() {
  return getCommand<VolumeSnapshotLocation>({
    kind: Kinds.VolumeSnapshotLocation,
    plural: 'locations',
    description: 'Get volume snapshot locations',
    examples: ['skiff snapshot-location get', 'skiff snapshot-location get default -o yaml'],
    order: byName,
    table: formatSnapshotLocationTable,
  });
}
