/** `skiff repo ...`: the backup repositories that hold volume data (reference §8.2). */
import { Command } from '@commander-js/extra-typings';
import { repoGetCommand } from './get.ts';

export function repoCommand() {
  return new Command('repo')
    .description('Work with backup repositories (volume data, per namespace and location)')
    .addCommand(repoGetCommand())
    .addHelpText(
      'after',
      `
Examples:
  skiff repo get`,
    );
}
