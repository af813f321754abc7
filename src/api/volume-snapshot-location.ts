/** velero.io/v1 VolumeSnapshotLocation (reference §1.5). */
import { Type, type Static } from 'typebox';
import { parseKind, type VeleroObject } from './parse.ts';
import { Nullable, PhaseEnum, SecretKeySelectorSchema, StringMap } from './schema.ts';

export const VolumeSnapshotLocationPhase = {
  Available: 'Available',
  Unavailable: 'Unavailable',
} as const;
export type VolumeSnapshotLocationPhase =
  (typeof VolumeSnapshotLocationPhase)[keyof typeof VolumeSnapshotLocationPhase];

export const VolumeSnapshotLocationSpecSchema = Type.Object({
  provider: Type.String({ description: 'VolumeSnapshotter plugin name.' }),
  config: Type.Optional(StringMap('Provider-specific settings.')),
  credential: Type.Optional(
    Nullable(
      Type.Object(SecretKeySelectorSchema.properties, {
        'x-kubernetes-map-type': 'atomic',
        description: 'Secret key with credentials for this location (1.10+).',
      }),
    ),
  ),
});
export type VolumeSnapshotLocationSpec = Static<typeof VolumeSnapshotLocationSpecSchema>;

export const VolumeSnapshotLocationStatusSchema = Type.Object({
  phase: Type.Optional(PhaseEnum(VolumeSnapshotLocationPhase, { description: 'Essentially unused by Velero.' })),
});
export type VolumeSnapshotLocationStatus = Static<typeof VolumeSnapshotLocationStatusSchema>;

export type VolumeSnapshotLocation = VeleroObject<VolumeSnapshotLocationSpec, VolumeSnapshotLocationStatus> & {
  apiVersion: 'velero.io/v1';
  kind: 'VolumeSnapshotLocation';
};

export const VolumeSnapshotLocationKind = {
  apiVersion: 'velero.io/v1',
  kind: 'VolumeSnapshotLocation',
  spec: VolumeSnapshotLocationSpecSchema,
  status: VolumeSnapshotLocationStatusSchema,
} as const;

export function parseVolumeSnapshotLocation(obj: unknown): VolumeSnapshotLocation {
  return parseKind(VolumeSnapshotLocationKind, obj) as VolumeSnapshotLocation;
}
