// How the process that runs `skiff server` (where backups and restores run) is started.

// V8 flags for that process (ADR 0004).
//
// --max-semi-space-size=4: a young generation of 4 MiB per semi-space. V8 doubles the young
// generation (to 16 MiB per semi-space on a machine this size) once enough bytes have survived
// young collections in total, so without a cap a backup's peak memory kept growing with its number
// of objects even though what it holds does not: measured +16 MiB between 10,000 and 50,000
// objects. Capped, the young generation stays at the size a small backup already reaches.
//
// --heap-growing-percent=30: after each full collection the old generation may grow to 1.3x what
// survived, where V8 would otherwise allow up to 4x on a small heap. That bounds the server's peak
// memory as --optimize-for-size did (restore peak tree RSS at 10,000 objects 262 -> 149 MiB
// with it), without its cost: it also pinned the young generation at 1 MiB and made every full
// collection a memory-reducing one: a third of a backup's and up to half of a restore's own CPU.
export const SERVER_NODE_FLAGS = ['--max-semi-space-size=4', '--heap-growing-percent=30'];

// V8 flags for `skiff node-agent`: the server's (it too runs for days), and --lite-mode: no
// optimising compilers, so no optimised code and less of Node's executable in memory. The
// agent's JavaScript only watches its objects and reads the uploader's progress lines; the data
// goes through kopia or restic. Measured on an idle agent: 77 -> 72 MiB RSS.
export const NODE_AGENT_NODE_FLAGS = [...SERVER_NODE_FLAGS, '--lite-mode'];

/** The V8 flags the process of a subcommand needs at start-up; undefined for the short-lived ones. */
export function nodeFlagsFor(subcommand) {
  if (subcommand === 'server') return SERVER_NODE_FLAGS;
  if (subcommand === 'node-agent') return NODE_AGENT_NODE_FLAGS;
  return undefined;
}

/** Set in the environment of the server process that bin/skiff.mjs starts. */
export const SERVER_CHILD_ENV = 'SKIFF_SERVER_CHILD';

/** `flags` the process was not started with, by flag name: the user's own value of one wins. */
export function missingServerFlags(execArgv, nodeOptions, flags = SERVER_NODE_FLAGS) {
  const given = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)];
  return flags.filter((flag) => {
    const name = flag.split('=')[0];
    return !given.some((arg) => arg === name || arg.startsWith(`${name}=`));
  });
}

/** True when the flags, or the user's own choice of the same settings, are already in effect. */
export function serverFlagsApplied(execArgv, nodeOptions, flags = SERVER_NODE_FLAGS) {
  return missingServerFlags(execArgv, nodeOptions, flags).length === 0;
}

/**
 * The subcommand: the first argument that is neither a global option nor its value. Runs before
 * the command tree is loaded, so it names the global options that take a value itself (a unit
 * test keeps the list in step with src/cli/program.ts).
 */
export const GLOBAL_OPTIONS_WITH_VALUE = ['--kubeconfig', '--kubecontext', '-n', '--namespace'];

export function subcommand(args) {
  const withValue = new Set(GLOBAL_OPTIONS_WITH_VALUE);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (withValue.has(arg)) i++;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}
