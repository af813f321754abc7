/** `skiff snapshot-location create NAME` (reference §8.2). */
import { Command } from '@commander-js/extra-typings';
import { Kinds, resourceRef } from '../../api/kinds.ts';
import { CliContext } from '../context.ts';
import { createNew, throwIfProblems } from '../errors.ts';
import { collect } from '../flags.ts';
import { formatObjects, parseOutputFormat } from '../output.ts';
import { buildSnapshotLocation, NO_SNAPSHOTTER_NOTE } from './snapshot-location-options.ts';

export function snapshotLocationCreateCommand() {
  return new Command('create')
    .description('Create a volume snapshot location')
    .argument('<name>', 'name of the location')
    .option('--provider <name>', 'volume snapshotter provider (e.g. aws)')
    .option('--config <pairs>', 'provider settings, k=v,... (e.g. region=us-east-1)', collect)
    .option('--credential <secret=key>', 'secret and key in the server namespace holding credentials for this location')
    .option('--labels <pairs>', 'labels for the location, k=v,...', collect)
    .option('-o, --output <format>', 'print the location (json|yaml) instead of creating it')
    .addHelpText(
      'after',
      `
Examples:
  skiff snapshot-location create default --provider aws --config region=us-east-1
  skiff snapshot-location create ebs-west --provider aws --config region=us-west-2 --credential aws-west=cloud
  skiff snapshot-location create ebs --provider aws --config region=eu-west-1 -o yaml`,
    )
    .action(async (name, flags, cmd) => {
      const ctx = CliContext.fromCommand(cmd);
      const output = parseOutputFormat(flags.output, ['json', 'yaml']);
      const { location, problems } = buildSnapshotLocation(name, ctx.namespace, flags);
      throwIfProblems(problems);
      if (output) {
        process.stdout.write(formatObjects([location], output));
        return;
      }
      await createNew(
        () => ctx.cluster().create(resourceRef(Kinds.VolumeSnapshotLocation), location),
        `volume snapshot location ${name} already exists in namespace ${ctx.namespace}: use skiff snapshot-location set`,
      );
      console.log(`Snapshot volume location "${name}" configured successfully.`);
      console.log(NO_SNAPSHOTTER_NOTE);
    });
}
