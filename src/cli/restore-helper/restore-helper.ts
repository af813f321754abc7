/**
 * `skiff restore-helper <restore-uid>`: the command of the `restore-wait` init container
 * (Skiff's `/velero-restore-helper`, reference §6.5 step 4). Exits 0 once every volume under
 * --restores-dir carries the node agent's `.velero/<restore-uid>` marker, after removing them.
 */
import { Command } from '@commander-js/extra-typings';
import { waitForRestoredVolumes } from '../../restore/volumes/restore-helper.ts';
import { FlagError } from '../errors.ts';

const EXAMPLES = `
The restore adds this as the init container restore-wait of each pod whose volumes it restores;
it is not meant to be run by hand, except to see what it does:

Examples:
  # Wait until the node agent has restored every volume mounted under /restores for this restore
  skiff restore-helper 5f1c2d9e-0b7a-4c3e-9a53-0d6f3c1b2a11

  # The same against a local folder (each sub-folder one volume)
  skiff restore-helper --restores-dir ./restores 5f1c2d9e-0b7a-4c3e-9a53-0d6f3c1b2a11
`;

export function restoreHelperCommand() {
  return new Command('restore-helper')
    .description("Wait for a restore's pod volume data, then let the pod's containers start (restore-wait)")
    .argument('<restore-uid>', 'uid of the Restore whose markers to wait for')
    .option('--restores-dir <dir>', 'folder holding one mounted volume per sub-folder', '/restores')
    .addHelpText('after', EXAMPLES)
    .action(async (restoreUID, flags) => {
      if (restoreUID.trim() === '') throw new FlagError(['the restore uid must not be empty']);
      const controller = new AbortController();
      const stop = (): void => controller.abort();
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      let last = '';
      const done = await waitForRestoredVolumes(flags.restoresDir, restoreUID, {
        signal: controller.signal,
        onWaiting: (volumes) => {
          const text = volumes.join(', ');
          if (text !== last) console.log(`waiting for the data of volume(s) ${text}`);
          last = text;
        },
      });
      console.log(`all volume data restored (${done.length} volume(s)); the pod may start`);
    });
}
