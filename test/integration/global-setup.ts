/**
 * One test environment per run: started here if it is not already up, stopped at the
 * end only if this run started it. A failure to start fails the run with the reason.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { testEnvRunDir } from '../helpers/testenv.ts';

const root = join(import.meta.dirname, '..', '..');
let startedHere = false;

export function globalSetup(): void {
  const already = existsSync(join(testEnvRunDir(), 'env'));
  const res = spawnSync('bash', [join(root, 'scripts/testenv/up.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (res.status !== 0) {
    throw new Error(
      `the test environment did not start (scripts/testenv/up.sh exited ${res.status ?? res.signal}); see the messages above`,
    );
  }
  startedHere = !already;
}

export function globalTeardown(): void {
  if (!startedHere || process.env.SKIFF_KEEP_TESTENV) return;
  spawnSync('bash', [join(root, 'scripts/testenv/down.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
}
