/**
 * What a backup's deletion leaves behind of its native volume snapshots (Velero's
 * `<backup>-volumesnapshots.json.gz`: provider snapshots a volume snapshotter plugin took).
 * Skiff has no volume snapshotter, so it cannot delete them; the message names each one.
 */
import { isRecord } from '../kube/object.ts';

/** The message for a deletion that leaves these stored snapshots, or undefined when there are none. */
export function nativeSnapshotsLeftMessage(backupName: string, stored: unknown): string | undefined {
  if (!Array.isArray(stored) || stored.length === 0) return undefined;
  const names = stored.map((s) => {
    const spec = isRecord(s) && isRecord(s.spec) ? s.spec : {};
    const status = isRecord(s) && isRecord(s.status) ? s.status : {};
    const id = typeof status.providerSnapshotID === 'string' ? status.providerSnapshotID : '(no snapshot ID)';
    const volume = typeof spec.providerVolumeID === 'string' ? ` of volume ${spec.providerVolumeID}` : '';
    const location = typeof spec.location === 'string' ? ` in location ${spec.location}` : '';
    return `${id}${volume}${location}`;
  });
  return (
    `backup ${backupName} was deleted without its ${stored.length} native volume snapshots, which Skiff cannot ` +
    `delete (it has no volume snapshotter): delete them with the provider's tools: ${names.join(', ')}`
  );
}
