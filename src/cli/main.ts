/** Entry of the `skiff` command (bin/skiff.mjs): parse, run, map errors to messages and exit codes. */
// @ts-expect-error: plain JavaScript run before the TypeScript is loaded; no declarations
import * as serverProcess from '../../bin/server-process.mjs';
import { describeError } from './describe-error.ts';

/** The subcommand of a command line, found as bin/skiff.mjs finds it (past the global options). */
const subcommand = (serverProcess as { subcommand: (args: string[]) => string | undefined }).subcommand;

/**
 * The command tree to load: `skiff node-agent` gets one with only its own command, so none of
 * the rest of the CLI is loaded into the agent's memory. Imported on demand: in the bundle
 * (scripts/build.ts) each tree is its own chunk, and the agent's loads only what it imports.
 */
async function loadProgram() {
  if (subcommand(process.argv.slice(2)) === 'node-agent') {
    return (await import('./node-agent/program.ts')).buildNodeAgentProgram();
  }
  return (await import('./program.ts')).buildProgram();
}

/**
 * A reader that stops early (`skiff restore create --dry-run | head`) closes the pipe under a
 * command still printing: stop quietly, as other command-line tools do, rather than crash on the
 * unhandled EPIPE with a stack trace. Not for the server and the node agent, which log there:
 * losing their log stream stays a failure a supervisor sees.
 */
function stopQuietlyWhenOutputCloses(command: string | undefined): void {
  if (command === 'server' || command === 'node-agent') return;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

async function main(): Promise<void> {
  stopQuietlyWhenOutputCloses(subcommand(process.argv.slice(2)));
  try {
    await (await loadProgram()).parseAsync(process.argv);
  } catch (err) {
    const { message, exitCode } = describeError(err);
    console.error(`Error: ${message}`);
    if (process.env.SKIFF_DEBUG && err instanceof Error) console.error(err.stack);
    process.exitCode = exitCode;
  }
}

await main();
