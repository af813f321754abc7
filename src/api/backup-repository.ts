/** velero.io/v1 BackupRepository (reference §1.6, §6.4). */
import { Type, type Static } from 'typebox';
import { parseKind, type VeleroObject } from './parse.ts';
import { Duration, Nullable, PhaseEnum, StringEnum, StringMap, Timestamp } from './schema.ts';

export const BackupRepositoryPhase = { New: 'New', Ready: 'Ready', NotReady: 'NotReady' } as const;
export type BackupRepositoryPhase = (typeof BackupRepositoryPhase)[keyof typeof BackupRepositoryPhase];

export const RepositoryType = { Kopia: 'kopia', Restic: 'restic' } as const;
export type RepositoryType = (typeof RepositoryType)[keyof typeof RepositoryType];

export const MaintenanceResult = { Succeeded: 'Succeeded', Failed: 'Failed' } as const;
export type MaintenanceResult = (typeof MaintenanceResult)[keyof typeof MaintenanceResult];

export const BackupRepositorySpecSchema = Type.Object({
  volumeNamespace: Type.String({ description: 'Workload namespace whose volumes the repository holds.' }),
  backupStorageLocation: Type.String({ description: 'BSL the repository lives in.' }),
  repositoryType: Type.Optional(StringEnum(['kopia', 'restic', ''], { description: 'kopia, or restic (legacy).' })),
  resticIdentifier: Type.Optional(Type.String({ description: 'Deprecated: legacy restic repository URL.' })),
  maintenanceFrequency: Type.Optional(Duration('How often maintenance runs.')),
  repositoryConfig: Type.Optional(Nullable(StringMap('Repository settings (cacheLimitMB, fullMaintenanceInterval).'))),
});
export type BackupRepositorySpec = Static<typeof BackupRepositorySpecSchema>;

export const BackupRepositoryStatusSchema = Type.Object({
  phase: Type.Optional(PhaseEnum(BackupRepositoryPhase)),
  message: Type.Optional(Type.String({ description: 'Why the repository is not ready.' })),
  lastMaintenanceTime: Type.Optional(Timestamp('When maintenance last succeeded.')),
  recentMaintenance: Type.Optional(
    Type.Array(
      Type.Object({
        result: Type.Optional(StringEnum(Object.values(MaintenanceResult))),
        startTimestamp: Type.Optional(Timestamp('When the maintenance run started.')),
        completeTimestamp: Type.Optional(Timestamp('When the maintenance run finished.')),
        message: Type.Optional(Type.String({ description: 'Outcome details.' })),
      }),
      { description: 'Latest maintenance runs, newest last.' },
    ),
  ),
});
export type BackupRepositoryStatus = Static<typeof BackupRepositoryStatusSchema>;

export type BackupRepository = VeleroObject<BackupRepositorySpec, BackupRepositoryStatus> & {
  apiVersion: 'velero.io/v1';
  kind: 'BackupRepository';
};

export const BackupRepositoryKind = {
  apiVersion: 'velero.io/v1',
  kind: 'BackupRepository',
  spec: BackupRepositorySpecSchema,
  status: BackupRepositoryStatusSchema,
} as const;

export function parseBackupRepository(obj: unknown): BackupRepository {
  return parseKind(BackupRepositoryKind, obj) as BackupRepository;
}
