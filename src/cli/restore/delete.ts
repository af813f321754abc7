/**
 * `skiff restore delete`: deletes Restore objects. The server's finalizer removes the
 * restore's files under `restores/<name>/` first (reference §1.2); restored objects stay.
 */
import { Command } from '@commander-js/extra-typings';
import { Kinds, resourceRef } from '../../api/kinds.ts';
import type { Restore } from '../../api/restore.ts';
import { CliContext } from '../context.ts';
import { throwIfProblems } from '../errors.ts';
import { confirmed } from '../prompt.ts';
import { getNamedOrSelected } from '../resources.ts';

/** Names, --all and -l choose restores in mutually exclusive ways, as in Velero. */
export function restoreDeleteSelectionProblems(
  names: readonly string[],
  all: boolean,
  selector: string | undefined,
): string[] {
  const ways = [names.length > 0, all, selector !== undefined].filter(Boolean).length;
  if (ways === 0) return ['name the restores to delete, or use --all or -l/--selector'];
  if (ways > 1) return ['use only one of: restore names, --all, -l/--selector'];
  return [];
}

export function restoreDeleteCommand() {
  return new Command('delete')
    .description('Delete restores and their files in object storage (restored objects are kept)')
    .argument('[names...]', 'restores to delete')
    .option('--all', 'delete all restores')
    .option('-l, --selector <selector>', 'delete the restores whose labels match this selector')
    .option('--confirm', 'do not ask for confirmation')
    .addHelpText(
      'after',
      `
Examples:
  skiff restore delete web-daily-20250131140509 --confirm
  skiff restore delete --all --confirm`,
    )
    .action(async (names, flags, cmd) => {
      const ctx = CliContext.fromCommand(cmd);
      throwIfProblems(restoreDeleteSelectionProblems(names, flags.all ?? false, flags.selector));
      const cluster = ctx.cluster();
      const restores = await getNamedOrSelected<Restore>(cluster, Kinds.Restore, ctx.namespace, names, flags.selector);
      if (restores.length === 0) {
        console.log('No restores found.');
        return;
      }
      const what =
        restores.length === 1
          ? `Deleting restore ${restores[0]?.metadata.name ?? ''}.`
          : `Deleting ${restores.length} restores.`;
      if (!(await confirmed(what, flags.confirm))) {
        console.log('Cancelled.');
        return;
      }
      for (const r of restores) {
        await cluster.delete(resourceRef(Kinds.Restore), r.metadata.name ?? '', ctx.namespace);
        console.log(`Request to delete restore "${r.metadata.name ?? ''}" submitted successfully.`);
      }
      console.log('The restores will be fully deleted after their files in object storage are removed.');
    });
}
