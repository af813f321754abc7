/** `skiff snapshot-location set NAME` (reference §8.2): change the credential or the config. */
import { Command } from '@commander-js/extra-typings';
import { Kinds, resourceRef } from '../../api/kinds.ts';
import type { VolumeSnapshotLocationSpec } from '../../api/volume-snapshot-location.ts';
import { CliContext } from '../context.ts';
import { FlagError, throwIfProblems } from '../errors.ts';
import { collect, parseCredential, parseKeyValues, ProblemCollector } from '../flags.ts';
import { findVelero } from '../resources.ts';
import { NO_SNAPSHOTTER_NOTE } from './snapshot-location-options.ts';

export interface SetSnapshotLocationFlags {
  credential?: string | undefined;
  config?: string[] | undefined;
}

/** The merge patch for the flags given; `--config` keys are merged into the existing config. */
export function snapshotLocationPatch(flags: SetSnapshotLocationFlags): {
  patch: Partial<VolumeSnapshotLocationSpec>;
  problems: string[];
} {
  const p = new ProblemCollector();
  const patch: Partial<VolumeSnapshotLocationSpec> = {};
  if (flags.credential !== undefined) {
    const credential = p.attempt(() => parseCredential(flags.credential ?? ''));
    if (credential) patch.credential = credential;
  }
  const config = p.attempt(() => parseKeyValues(flags.config, '--config'));
  if (config && Object.keys(config).length > 0) patch.config = config;
  if (Object.keys(patch).length === 0 && p.problems.length === 0) {
    p.add('nothing to change: give --credential or --config');
  }
  return { patch, problems: p.problems };
}

export function snapshotLocationSetCommand() {
  return new Command('set')
    .description('Change a volume snapshot location')
    .argument('<name>', 'the location')
    .option('--credential <secret=key>', 'secret and key in the server namespace holding credentials for this location')
    .option('--config <pairs>', 'provider settings to add or change, k=v,...', collect)
    .addHelpText(
      'after',
      `
Examples:
  skiff snapshot-location set default --credential aws-credentials=cloud
  skiff snapshot-location set default --config region=us-west-2`,
    )
    .action(async (name, flags, cmd) => {
      const ctx = CliContext.fromCommand(cmd);
      const { patch, problems } = snapshotLocationPatch(flags);
      throwIfProblems(problems);
      const cluster = ctx.cluster();
      const ref = resourceRef(Kinds.VolumeSnapshotLocation);
      if (!(await findVelero(cluster, Kinds.VolumeSnapshotLocation, name, ctx.namespace))) {
        throw new FlagError([`volume snapshot location ${name} not found in namespace ${ctx.namespace}`]);
      }
      await cluster.patch(ref, { name, namespace: ctx.namespace }, 'merge', { spec: patch });
      console.log(`Snapshot volume location "${name}" configured successfully.`);
      console.log(NO_SNAPSHOTTER_NOTE);
    });
}
