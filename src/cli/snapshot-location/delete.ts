/** `skiff snapshot-location delete NAME...`: deletes the location objects; snapshots already taken are not touched. */
import { Command } from '@commander-js/extra-typings';
import { Kinds, resourceRef } from '../../api/kinds.ts';
import type { VolumeSnapshotLocation } from '../../api/volume-snapshot-location.ts';
import { deleteSelectionProblems } from '../backup/delete.ts';
import { CliContext } from '../context.ts';
import { throwIfProblems } from '../errors.ts';
import { confirmed } from '../prompt.ts';
import { getNamedOrSelected } from '../resources.ts';

export function snapshotLocationDeleteCommand() {
  return new Command('delete')
    .description('Delete volume snapshot locations')
    .argument('[names...]', 'locations to delete')
    .option('--all', 'delete all volume snapshot locations')
    .option('-l, --selector <selector>', 'delete the locations whose labels match this selector')
    .option('--confirm', 'do not ask for confirmation')
    .addHelpText(
      'after',
      `
Examples:
  skiff snapshot-location delete ebs-west --confirm
  skiff snapshot-location delete --all --confirm`,
    )
    .action(async (names, flags, cmd) => {
      const ctx = CliContext.fromCommand(cmd);
      throwIfProblems(deleteSelectionProblems(names, flags.all ?? false, flags.selector));
      const cluster = ctx.cluster();
      const locations = await getNamedOrSelected<VolumeSnapshotLocation>(
        cluster,
        Kinds.VolumeSnapshotLocation,
        ctx.namespace,
        names,
        flags.selector,
      );
      if (locations.length === 0) {
        console.log('No volume snapshot locations found.');
        return;
      }
      const list = locations.map((l) => l.metadata.name ?? '').join(', ');
      if (!(await confirmed(`Deleting volume snapshot location(s) ${list}.`, flags.confirm))) {
        console.log('Cancelled.');
        return;
      }
      for (const l of locations) {
        const name = l.metadata.name ?? '';
        await cluster.delete(resourceRef(Kinds.VolumeSnapshotLocation), name, ctx.namespace);
        console.log(`Volume snapshot location "${name}" deleted.`);
      }
    });
}
