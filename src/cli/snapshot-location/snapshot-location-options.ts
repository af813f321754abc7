/** Flags → VolumeSnapshotLocation, pure (reference §1.5, §8.2). */
import type { VolumeSnapshotLocation, VolumeSnapshotLocationSpec } from '../../api/volume-snapshot-location.ts';
import { newObjectMetadata, parseCredential, parseKeyValues, parseLabels, ProblemCollector } from '../flags.ts';

export interface SnapshotLocationFlags {
  provider?: string | undefined;
  config?: string[] | undefined;
  credential?: string | undefined;
  labels?: string[] | undefined;
}

/**
 * Skiff has no volume snapshotter of its own yet: a VolumeSnapshotLocation is kept for Velero
 * compatibility (manifests, `--volume-snapshot-locations`), and PVs with native snapshots are
 * restored without their data, with a warning. Every command that writes one says so:
 * `snapshot-location create` and `set`, and `install` when it creates VSL `default`.
 */
export const NO_SNAPSHOTTER_NOTE =
  'Note: Skiff takes no native volume snapshots yet; the location is stored for Velero compatibility.';

export function buildSnapshotLocation(
  name: string,
  namespace: string,
  flags: SnapshotLocationFlags,
): { location: VolumeSnapshotLocation; problems: string[] } {
  const p = new ProblemCollector();
  if (!flags.provider) p.add('--provider is required (e.g. aws, gcp or azure)');
  const spec: VolumeSnapshotLocationSpec = { provider: flags.provider ?? '' };
  const config = p.attempt(() => parseKeyValues(flags.config, '--config'));
  if (config && Object.keys(config).length > 0) spec.config = config;
  if (flags.credential !== undefined) {
    const credential = p.attempt(() => parseCredential(flags.credential ?? ''));
    if (credential) spec.credential = credential;
  }
  const labels = p.attempt(() => parseLabels(flags.labels)) ?? {};
  const location: VolumeSnapshotLocation = {
    apiVersion: 'velero.io/v1',
    kind: 'VolumeSnapshotLocation',
    metadata: newObjectMetadata(name, namespace, labels),
    spec,
  };
  return { location, problems: p.problems };
}
