/** `skiff schedule create NAME --schedule CRON [backup flags]` (reference §8.2, §1.3). */
import { Command } from '@commander-js/extra-typings';
import { Kinds, resourceRef } from '../../api/kinds.ts';
import { backupSpecOptions } from '../backup/create.ts';
import { CliContext } from '../context.ts';
import { createNew, FlagError, throwIfProblems } from '../errors.ts';
import { formatObjects, parseOutputFormat } from '../output.ts';
import { buildSchedule } from './create-options.ts';
import { findVelero } from '../resources.ts';

const EXAMPLES = `
Examples:
  # Back up namespace web every night at 01:00 UTC, keeping each backup for 30 days
  skiff schedule create nightly --schedule "0 1 * * *" --include-namespaces web --ttl 720h

  # Every 6 hours, keeping the newest backup of each of the last 7 days and 4 weeks
  skiff schedule create web-6h --schedule "@every 6h" --include-namespaces web --retain daily=7,weekly=4

  # 02:30 Berlin time on weekdays, created paused
  skiff schedule create office --schedule "CRON_TZ=Europe/Berlin 30 2 * * 1-5" --paused

  # Every night, namespace monitoring with the cluster-scoped objects its operator uses (CRDs,
  # APIService, webhooks, aggregated ClusterRoles): the schedule carries the annotation
  # skiff.io/include-app-cluster-resources=true, and so does every backup it makes
  skiff schedule create monitoring-nightly --schedule @daily --include-namespaces monitoring --include-app-cluster-resources

  # Print the Schedule instead of creating it
  skiff schedule create nightly --schedule @daily -o yaml
`;

export function scheduleCreateCommand() {
  return backupSpecOptions(
    new Command('create').description('Create a schedule').argument('<name>', 'name of the schedule'),
  )
    .option(
      '--schedule <cron>',
      'when to back up: 5-field cron, @every 6h, @daily..., optional CRON_TZ=<zone> prefix (default zone UTC)',
    )
    .option(
      '--retain <rules>',
      'keep the newest backup of each of the last N periods, e.g. hourly=24,daily=7,weekly=4,monthly=12,yearly=2 (annotation skiff.io/retain)',
    )
    .option('--paused', 'create the schedule paused')
    .option('--skip-immediately [bool]', 'skip the first run that is due (true, false, or unset = server default)')
    .option('--use-owner-references-in-backup', 'make the schedule the owner of its backups: deleting it deletes them')
    .option('-o, --output <format>', 'print the Schedule (json|yaml) instead of creating it')
    .addHelpText('after', EXAMPLES)
    .action(async (name, flags, cmd) => {
      const ctx = CliContext.fromCommand(cmd);
      const output = parseOutputFormat(flags.output, ['json', 'yaml']);
      const { schedule, problems } = buildSchedule(name, ctx.namespace, flags);
      throwIfProblems(problems);
      if (output) {
        process.stdout.write(formatObjects([schedule], output));
        return;
      }
      const cluster = ctx.cluster();
      const location = schedule.spec.template.storageLocation;
      if (location && !(await findVelero(cluster, Kinds.BackupStorageLocation, location, ctx.namespace))) {
        throw new FlagError([
          `--storage-location: backup storage location ${location} not found in namespace ${ctx.namespace}: list them with skiff backup-location get`,
        ]);
      }
      await createNew(
        () => cluster.create(resourceRef(Kinds.Schedule), schedule),
        `schedule ${name} already exists in namespace ${ctx.namespace}: choose another name`,
      );
      console.log(`Schedule "${name}" created successfully.`);
    });
}
