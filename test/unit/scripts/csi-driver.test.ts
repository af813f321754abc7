/**
 * The project's CSI test driver (test/csi-driver/, Go) has its own Go unit tests; `npm test` runs them here so
 * CI (which runs only `npm test`) covers them, and checks the sources are gofmt-clean. Uses the test
 * environment's Go caches (scripts/testenv/build.sh), so the driver's modules are downloaded once.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const DRIVER = join(import.meta.dirname, '..', '..', 'csi-driver');
const CACHE = process.env.SKIFF_TESTENV_CACHE ?? join(homedir(), '.cache', 'skiff-testenv');
const goEnv = {
  ...process.env,
  GOMODCACHE: join(CACHE, 'gomod'),
  GOCACHE: join(CACHE, 'gocache'),
  GOPATH: join(CACHE, 'gopath'),
  GOWORK: 'off',
  GOTOOLCHAIN: 'local',
  CGO_ENABLED: '0',
  GOFLAGS: '',
};

function go(...args: string[]): { status: number | null; output: string } {
  const res = spawnSync('go', args, { cwd: DRIVER, env: goEnv, encoding: 'utf8', timeout: 600_000 });
  if (res.error) throw new Error(`running go ${args.join(' ')}: ${res.error.message} (Go >= 1.26 must be on PATH)`);
  return { status: res.status, output: `${res.stdout}${res.stderr}` };
}

test('the CSI test driver passes its Go unit tests (go vet included)', () => {
  const res = go('test', '-count=1', './...');
  assert.equal(res.status, 0, res.output);
});

test('the CSI test driver sources are gofmt-clean', () => {
  const res = spawnSync('gofmt', ['-l', '.'], { cwd: DRIVER, encoding: 'utf8' });
  assert.equal(res.status, 0, res.stderr);
  assert.equal(res.stdout.trim(), '', `gofmt would change: ${res.stdout}`);
});
