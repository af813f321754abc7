/** velero.io/v1 Schedule (reference §1.3, §5.1). */
import { Type, type Static } from 'typebox';
import { BackupSpecSchema } from './backup.ts';
import { parseKind, type VeleroObject } from './parse.ts';
import { OptionalBool, PhaseEnum, StringList, Timestamp } from './schema.ts';

export const SchedulePhase = {
  New: 'New',
  Enabled: 'Enabled',
  FailedValidation: 'FailedValidation',
} as const;
export type SchedulePhase = (typeof SchedulePhase)[keyof typeof SchedulePhase];

export const ScheduleSpecSchema = Type.Object({
  template: Type.Object(BackupSpecSchema.properties, { description: 'Spec copied into each Backup.' }),
  schedule: Type.String({
    description: 'Cron expression (5 fields, @every/@daily descriptors, optional CRON_TZ=/TZ= prefix).',
  }),
  useOwnerReferencesInBackup: Type.Optional(OptionalBool('Make the Schedule the controller owner of its Backups.')),
  paused: Type.Optional(Type.Boolean({ description: 'A paused schedule creates no backups.' })),
  skipImmediately: Type.Optional(OptionalBool('Skip the first run; reset to false once applied.')),
});
export type ScheduleSpec = Static<typeof ScheduleSpecSchema>;

export const ScheduleStatusSchema = Type.Object({
  phase: Type.Optional(PhaseEnum(SchedulePhase)),
  lastBackup: Type.Optional(Timestamp('When the last backup was created.')),
  lastSkipped: Type.Optional(Timestamp('When a run was last skipped (skipImmediately).')),
  validationErrors: Type.Optional(StringList('Why the spec failed validation.')),
});
export type ScheduleStatus = Static<typeof ScheduleStatusSchema>;

export type Schedule = VeleroObject<ScheduleSpec, ScheduleStatus> & { apiVersion: 'velero.io/v1'; kind: 'Schedule' };

export const ScheduleKind = {
  apiVersion: 'velero.io/v1',
  kind: 'Schedule',
  spec: ScheduleSpecSchema,
  status: ScheduleStatusSchema,
} as const;

export function parseSchedule(obj: unknown): Schedule {
  return parseKind(ScheduleKind, obj) as Schedule;
}
