/** `skiff tenant schedule create|get|describe|delete`: TenantSchedules, which make TenantBackups on a cron schedule. */
import { Command } from '@commander-js/extra-typings';
import { parseCronSchedule } from '../../schedule/cron.ts';
import { TenantKinds } from '../../tenant/api/kinds.ts';
import { errorMessage } from '../../util/errors.ts';
import { buildTenantBackupSpec, tenantBackupOptions, type TenantBackupFlags } from './backup.ts';
import { createTenantObject } from './create.ts';
import { tenantDeleteCommand, tenantDescribeCommand, tenantGetCommand, type TenantNoun } from './resource-commands.ts';
import { TenantContext } from './tenant-context.ts';

export const SCHEDULE_NOUN: TenantNoun = { noun: 'schedule', kind: TenantKinds.TenantSchedule };

export interface TenantScheduleFlags extends TenantBackupFlags {
  schedule?: string | undefined;
  paused?: boolean | undefined;
}

/** Flags → the TenantSchedule spec (requester apart): the cron expression and the backup template. */
export function buildTenantScheduleSpec(flags: TenantScheduleFlags): {
  spec: Record<string, unknown>;
  problems: string[];
} {
  const template = buildTenantBackupSpec(flags);
  const problems = [...template.problems];
  const expression = flags.schedule?.trim() ?? '';
  if (expression === '') problems.push('--schedule is required, e.g. --schedule "0 1 * * *" or --schedule "@every 6h"');
  else {
    try {
      parseCronSchedule(expression);
    } catch (err) {
      problems.push(`--schedule: ${errorMessage(err)}`);
    }
  }
  return {
    spec: { schedule: expression, template: template.spec, ...(flags.paused ? { paused: true } : {}) },
    problems,
  };
}

function createCommand() {
  return tenantBackupOptions(
    new Command('create')
      .description('Back up on a schedule: a TenantBackup from this template at each tick')
      .argument('<name>', 'name of the TenantSchedule'),
  )
    .option('--schedule <cron>', 'a 5-field cron expression, or @every <duration>')
    .option('--paused', 'create it paused: no backups until unpaused')
    .option('-o, --output <format>', 'print the TenantSchedule (json|yaml) instead of creating it')
    .addHelpText(
      'after',
      `
The backups it makes run as you (the schedule's requester), checked again at each run. The
TenantPolicy may set a shortest interval.

Examples:
  skiff tenant schedule create nightly -n team-a --schedule "0 1 * * *" --ttl 168h
  skiff tenant schedule create web-hourly -n team-a --schedule "@every 1h" -l app=web`,
    )
    .action(async (name, flags, cmd) => {
      const ctx = TenantContext.fromCommand(cmd);
      const built = buildTenantScheduleSpec(flags);
      await createTenantObject(ctx, SCHEDULE_NOUN, name, { ...built, withRequester: true }, flags);
    });
}

export function tenantScheduleCommand() {
  return new Command('schedule')
    .description('Back up your namespaces on a schedule (TenantSchedule)')
    .addCommand(createCommand())
    .addCommand(tenantGetCommand(SCHEDULE_NOUN))
    .addCommand(tenantDescribeCommand(SCHEDULE_NOUN))
    .addCommand(tenantDeleteCommand(SCHEDULE_NOUN, 'the backups it made stay'))
    .addHelpText(
      'after',
      `
Examples:
  skiff tenant schedule create nightly -n team-a --schedule "0 1 * * *" --ttl 168h
  skiff tenant schedule get -n team-a`,
    );
}
