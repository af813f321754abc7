/** Entry of the `skiff` command (bin/skiff.mjs): parse, run, map errors to messages and exit codes. */
import { describeError, buildProgram } from './program.ts';

async function main(): Promise<void> {
  try {
    await buildProgram().parseAsync(process.argv);
  } catch (err) {
    const { message, exitCode } = describeError(err);
    console.error(`Error: ${message}`);
    if (process.env.SKIFF_DEBUG && err instanceof Error) console.error(err.stack);
    process.exitCode = exitCode;
  }
}

await main();
