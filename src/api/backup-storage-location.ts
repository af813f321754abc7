/** velero.io/v1 BackupStorageLocation (reference §1.4, §5.5, §5.6). */
import { Type, type Static } from 'typebox';
import { parseKind, type VeleroObject } from './parse.ts';
import { Duration, Nullable, PhaseEnum, SecretKeySelectorSchema, StringEnum, StringMap, Timestamp } from './schema.ts';

export const BackupStorageLocationPhase = {
  Available: 'Available',
  Unavailable: 'Unavailable',
} as const;
export type BackupStorageLocationPhase = (typeof BackupStorageLocationPhase)[keyof typeof BackupStorageLocationPhase];

export const BackupStorageLocationAccessMode = {
  ReadWrite: 'ReadWrite',
  ReadOnly: 'ReadOnly',
} as const;
export type BackupStorageLocationAccessMode =
  (typeof BackupStorageLocationAccessMode)[keyof typeof BackupStorageLocationAccessMode];

const AccessModeField = StringEnum(Object.values(BackupStorageLocationAccessMode), {
  description: 'ReadWrite (default) or ReadOnly.',
});

export const BackupStorageLocationSpecSchema = Type.Object({
  provider: Type.String({ description: 'Object-store plugin; a name without / gets the velero.io/ prefix.' }),
  objectStorage: Type.Object({
    bucket: Type.String({ description: 'Bucket name.' }),
    prefix: Type.Optional(Type.String({ description: 'Path inside the bucket.' })),
    caCert: Type.Optional(Type.String({ format: 'byte', description: 'Deprecated CA bundle; use caCertRef.' })),
    caCertRef: Type.Optional(
      Nullable(
        Type.Object(SecretKeySelectorSchema.properties, {
          'x-kubernetes-map-type': 'atomic',
          description: 'Secret key holding a CA bundle (1.18+).',
        }),
      ),
    ),
  }),
  config: Type.Optional(StringMap('Provider-specific settings (region, s3Url, ...).')),
  credential: Type.Optional(
    Nullable(
      Type.Object(SecretKeySelectorSchema.properties, {
        'x-kubernetes-map-type': 'atomic',
        description: 'Secret key with credentials for this location.',
      }),
    ),
  ),
  default: Type.Optional(Type.Boolean({ description: 'The location used when a backup names none.' })),
  accessMode: Type.Optional(AccessModeField),
  backupSyncPeriod: Type.Optional(Nullable(Duration('How often to sync backups from storage; 0 disables.'))),
  validationFrequency: Type.Optional(Nullable(Duration('How often to validate the location; 0 disables.'))),
});
export type BackupStorageLocationSpec = Static<typeof BackupStorageLocationSpecSchema>;

export const BackupStorageLocationStatusSchema = Type.Object({
  // The CRD defaults the phase to Unavailable until the first validation (reference §1.4).
  phase: Type.Optional(PhaseEnum(BackupStorageLocationPhase, { default: 'Unavailable' })),
  lastSyncedTime: Type.Optional(Timestamp('When backups were last synced from storage.')),
  lastValidationTime: Type.Optional(Timestamp('When the location was last validated.')),
  message: Type.Optional(Type.String({ description: 'Why the location is unavailable.' })),
  lastSyncedRevision: Type.Optional(Type.String({ description: 'Deprecated.' })),
  accessMode: Type.Optional(
    StringEnum(Object.values(BackupStorageLocationAccessMode), { description: 'Deprecated; see spec.accessMode.' }),
  ),
});
export type BackupStorageLocationStatus = Static<typeof BackupStorageLocationStatusSchema>;

export type BackupStorageLocation = VeleroObject<BackupStorageLocationSpec, BackupStorageLocationStatus> & {
  apiVersion: 'velero.io/v1';
  kind: 'BackupStorageLocation';
};

export const BackupStorageLocationKind = {
  apiVersion: 'velero.io/v1',
  kind: 'BackupStorageLocation',
  spec: BackupStorageLocationSpecSchema,
  status: BackupStorageLocationStatusSchema,
} as const;

export function parseBackupStorageLocation(obj: unknown): BackupStorageLocation {
  return parseKind(BackupStorageLocationKind, obj) as BackupStorageLocation;
}
