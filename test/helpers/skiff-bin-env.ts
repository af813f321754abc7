/**
 * The environment of a `bin/skiff.mjs` process a test starts (CLI, server, node agent). Under `npm test`, c8 sets
 * NODE_V8_COVERAGE, and every Node process writes its raw coverage on exit: for one that runs the bundle, a
 * file of 12 MB or more that c8 then leaves out of the report (`--include src/**`), after reading it, and
 * precise coverage slows the process while it runs. So it is dropped when the bundle will run; when bin/skiff.mjs
 * falls back to src/ through tsx (no fresh bundle), that process's coverage counts and is kept.
 */
import { bundleIsFresh } from '../../bin/bundle.mjs';

let fresh: boolean | undefined;

export function skiffBinEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  fresh ??= bundleIsFresh();
  if (!fresh) return env;
  // Empty rather than deleted: Node passes its own NODE_V8_COVERAGE on to a child whose env lacks the key.
  return { ...env, NODE_V8_COVERAGE: '' };
}
