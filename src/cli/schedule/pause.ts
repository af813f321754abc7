/** `skiff schedule pause|unpause [NAMES...] | --all | -l` (reference §8.2, §1.3). */
import { Command } from '@commander-js/extra-typings';
import { Kinds, resourceRef } from '../../api/kinds.ts';
import type { Schedule } from '../../api/schedule.ts';
import { CliContext } from '../context.ts';
import { throwIfProblems } from '../errors.ts';
import { parseOptionalBool, ProblemCollector } from '../flags.ts';
import { getNamedOrSelected } from '../resources.ts';

/** Names, --all and -l choose schedules in mutually exclusive ways, as in Velero. */
export function selectionProblems(names: readonly string[], all: boolean, selector: string | undefined): string[] {
  const ways = [names.length > 0, all, selector !== undefined].filter(Boolean).length;
  if (ways === 0) return ['name the schedules, or use --all or -l/--selector'];
  if (ways > 1) return ['use only one of: schedule names, --all, -l/--selector'];
  return [];
}

interface PauseFlags {
  all?: boolean | undefined;
  selector?: string | undefined;
  skipImmediately?: string | boolean | undefined;
}

async function setPaused(ctx: CliContext, names: string[], flags: PauseFlags, paused: boolean): Promise<void> {
  const p = new ProblemCollector();
  for (const problem of selectionProblems(names, flags.all ?? false, flags.selector)) p.add(problem);
  const skip = p.attempt(() => parseOptionalBool(flags.skipImmediately, '--skip-immediately'));
  throwIfProblems(p.problems);
  const cluster = ctx.cluster();
  const schedules = await getNamedOrSelected<Schedule>(cluster, Kinds.Schedule, ctx.namespace, names, flags.selector);
  if (schedules.length === 0) {
    console.log('No schedules found.');
    return;
  }
  const verb = paused ? 'paused' : 'unpaused';
  for (const s of schedules) {
    const name = s.metadata.name ?? '';
    if ((s.spec.paused ?? false) === paused && skip === undefined) {
      console.log(`Schedule "${name}" is already ${verb}.`);
      continue;
    }
    // Unpausing: a run that fell due while paused is taken at once unless skipImmediately says otherwise.
    const spec = { paused, ...(skip !== undefined ? { skipImmediately: skip } : {}) };
    await cluster.patch(resourceRef(Kinds.Schedule), { name, namespace: ctx.namespace }, 'merge', { spec });
    console.log(`Schedule "${name}" ${verb} successfully.`);
  }
}

export function schedulePauseCommand() {
  return new Command('pause')
    .description('Pause schedules: they create no backups until unpaused')
    .argument('[names...]', 'schedules to pause')
    .option('--all', 'pause all schedules')
    .option('-l, --selector <selector>', 'pause the schedules whose labels match this selector')
    .addHelpText(
      'after',
      `
Examples:
  skiff schedule pause nightly
  skiff schedule pause --all`,
    )
    .action(async (names, flags, cmd) => setPaused(CliContext.fromCommand(cmd), names, flags, true));
}

export function scheduleUnpauseCommand() {
  return new Command('unpause')
    .description('Unpause schedules')
    .argument('[names...]', 'schedules to unpause')
    .option('--all', 'unpause all schedules')
    .option('-l, --selector <selector>', 'unpause the schedules whose labels match this selector')
    .option(
      '--skip-immediately [bool]',
      'skip the run that is due at once after unpausing (true, false, or unset = server default)',
    )
    .addHelpText(
      'after',
      `
Examples:
  skiff schedule unpause nightly
  skiff schedule unpause -l team=web --skip-immediately`,
    )
    .action(async (names, flags, cmd) => setPaused(CliContext.fromCommand(cmd), names, flags, false));
}
