/** `skiff completion bash|zsh|fish` (reference §8.2): prints a completion script for the shell. */
import { Command, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { FlagError } from '../errors.ts';
import { commandTree } from './command-tree.ts';
import { completionScript, SHELLS, type Shell } from './scripts.ts';

/** `root`: the program whose tree the script completes (given late: this command is part of it). */
export function completionCommand(root: () => CommandUnknownOpts) {
  return new Command('completion')
    .description('Print a shell completion script (bash, zsh or fish)')
    .argument('<shell>', `one of ${SHELLS.join(', ')}`)
    .addHelpText(
      'after',
      `
Examples:
  source <(skiff completion bash)                      # this bash session
  skiff completion bash > /etc/bash_completion.d/skiff # every bash session
  source <(skiff completion zsh)                       # zsh (after compinit)
  skiff completion fish > ~/.config/fish/completions/skiff.fish`,
    )
    .action((shell) => {
      if (!(SHELLS as readonly string[]).includes(shell)) {
        throw new FlagError([`shell "${shell}" is not supported: use one of ${SHELLS.join(', ')}`]);
      }
      process.stdout.write(completionScript(shell as Shell, commandTree(root())));
    });
}
