/**
 * `skiff plugin add|remove|get` (reference §8.2). Skiff loads no plugin binaries: what Velero's
 * built-in plugins and its AWS object-store plugin do is part of Skiff itself. Adding or removing
 * a plugin image is refused, naming it, rather than accepted and never run.
 */
import { Command } from '@commander-js/extra-typings';
import { FlagError } from '../errors.ts';

const NO_PLUGINS =
  "Skiff runs no plugins: Velero's built-in item actions, the CSI actions and the AWS (S3) object store are built in";

/** `skiff plugin get` (also `skiff get plugins`). */
export function pluginGetCommand() {
  return new Command('get').description('Say what Skiff has built in').action(() => {
    process.stdout.write(`${NO_PLUGINS}.\n`);
  });
}

export function pluginCommand() {
  const cmd = new Command('plugin').description('Velero plugins (Skiff has them built in, and loads no others)');
  cmd
    .command('add')
    .description('Refused: Skiff loads no plugin images')
    .argument('<image>', 'the plugin image')
    .action((image) => {
      throw new FlagError([`${NO_PLUGINS}, and it cannot load ${image}`]);
    });
  cmd
    .command('remove')
    .description('Refused: Skiff loads no plugin images')
    .argument('<name-or-image>', 'the plugin')
    .action((name) => {
      throw new FlagError([`${NO_PLUGINS}: there is no ${name} to remove`]);
    });
  return cmd.addCommand(pluginGetCommand()).addHelpText(
    'after',
    `
Examples:
  skiff plugin get`,
  );
}
