import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { test } from 'node:test';
import { skiffBinEnv } from '../../helpers/skiff-bin-env.ts';

const SKIFF = join(import.meta.dirname, '..', '..', '..', 'bin', 'skiff.mjs');

test('a reader that stops early (`skiff … | head`) ends the command quietly, not with an EPIPE stack trace', async () => {
  // The completion script is far larger than what a closed pipe lets through; closing the read
  // end at once is what `head` does once it has its lines.
  const child = spawn(process.execPath, [SKIFF, 'completion', 'bash'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: skiffBinEnv(process.env),
  });
  child.stdout.destroy();
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(stderr, '');
  assert.equal(code, 0);
});
