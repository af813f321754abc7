/**
 * The command tree of a `skiff node-agent` process: the global flags and that one command.
 * main.ts loads it instead of the full tree (program.ts), so the agent, which runs on every
 * node beside the kopia or restic it starts, does not carry the rest of the CLI in its memory
 * (the server, installer and their dependencies: about 30 MiB of RSS; README "Node agent memory").
 */
import type { Command } from '@commander-js/extra-typings';
import { rootCommand } from '../root.ts';
import { nodeAgentCommand } from './node-agent.ts';

export function buildNodeAgentProgram(): Command {
  const program = rootCommand();
  program.addCommand(nodeAgentCommand());
  return program;
}
