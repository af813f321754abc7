/**
 * `skiff schedule delete`: deletes Schedule objects. Their backups stay, unless the schedule
 * used owner references, in which case Kubernetes garbage-collects the Backup objects
 * (reference §5.1) — their data stays in the bucket, and `skiff backup delete` removes it.
 */
import { Command } from '@commander-js/extra-typings';
import { Kinds, resourceRef } from '../../api/kinds.ts';
import type { Schedule } from '../../api/schedule.ts';
import { CliContext } from '../context.ts';
import { throwIfProblems } from '../errors.ts';
import { confirmed } from '../prompt.ts';
import { getNamedOrSelected } from '../resources.ts';
import { selectionProblems } from './pause.ts';

export function scheduleDeleteCommand() {
  return new Command('delete')
    .description('Delete schedules (their backups stay)')
    .argument('[names...]', 'schedules to delete')
    .option('--all', 'delete all schedules')
    .option('-l, --selector <selector>', 'delete the schedules whose labels match this selector')
    .option('--confirm', 'do not ask for confirmation')
    .addHelpText(
      'after',
      `
Examples:
  skiff schedule delete nightly --confirm
  skiff schedule delete --all --confirm`,
    )
    .action(async (names, flags, cmd) => {
      const ctx = CliContext.fromCommand(cmd);
      throwIfProblems(selectionProblems(names, flags.all ?? false, flags.selector));
      const cluster = ctx.cluster();
      const schedules = await getNamedOrSelected<Schedule>(
        cluster,
        Kinds.Schedule,
        ctx.namespace,
        names,
        flags.selector,
      );
      if (schedules.length === 0) {
        console.log('No schedules found.');
        return;
      }
      const what =
        schedules.length === 1
          ? `Deleting schedule ${schedules[0]?.metadata.name ?? ''}.`
          : `Deleting ${schedules.length} schedules.`;
      if (!(await confirmed(what, flags.confirm))) {
        console.log('Cancelled.');
        return;
      }
      for (const s of schedules) {
        await cluster.delete(resourceRef(Kinds.Schedule), s.metadata.name ?? '', ctx.namespace);
        console.log(`Schedule deleted: ${s.metadata.name ?? ''}`);
      }
    });
}
