/** `skiff snapshot-location ...`: where native volume snapshots would be taken (reference §1.5). */
import { Command } from '@commander-js/extra-typings';
import { snapshotLocationCreateCommand } from './create.ts';
import { snapshotLocationDeleteCommand } from './delete.ts';
import { snapshotLocationGetCommand } from './get.ts';
import { snapshotLocationSetCommand } from './set.ts';

export function snapshotLocationCommand() {
  return new Command('snapshot-location')
    .description('Work with volume snapshot locations')
    .addCommand(snapshotLocationCreateCommand())
    .addCommand(snapshotLocationGetCommand())
    .addCommand(snapshotLocationSetCommand())
    .addCommand(snapshotLocationDeleteCommand())
    .addHelpText(
      'after',
      `
Examples:
  skiff snapshot-location create default --provider aws --config region=us-east-1
  skiff snapshot-location get`,
    );
}
