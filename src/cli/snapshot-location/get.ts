/** `skiff snapshot-location get [NAMES...]` (reference §8.2). */
import { Kinds } from '../../api/kinds.ts';
import type { VolumeSnapshotLocation } from '../../api/volume-snapshot-location.ts';
import { byName, getCommand } from '../get-command.ts';

const SNAPSHOT_LOCATION_COLUMNS = ['NAME', 'PROVIDER'] as const;

function snapshotLocationRow(l: VolumeSnapshotLocation): string[] {
  return [l.metadata.name ?? '', l.spec.provider];
}

export function snapshotLocationGetCommand() {
  return getCommand<VolumeSnapshotLocation>({
    kind: Kinds.VolumeSnapshotLocation,
    plural: 'locations',
    description: 'Get volume snapshot locations',
    examples: ['skiff snapshot-location get', 'skiff snapshot-location get default -o yaml'],
    order: byName,
    columns: SNAPSHOT_LOCATION_COLUMNS,
    row: snapshotLocationRow,
  });
}
