import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
// @ts-expect-error: plain JavaScript run before the TypeScript is loaded; no declarations
import { nodeTooOld as tooOld, nodeTooOldMessage as tooOldMessage } from '../../../bin/node-version.mjs';

const nodeTooOld = tooOld as (version: string) => boolean;
const nodeTooOldMessage = tooOldMessage as (version: string, root: string) => string;

const ROOT = join(import.meta.dirname, '..', '..', '..');
const SYSTEM_NODE = '/usr/bin/node';

test('Node older than 22.2 is too old; 22.2 and later are not', () => {
  for (const v of ['18.19.0', '20.20.2', '22.1.9']) assert.equal(nodeTooOld(v), true, v);
  for (const v of ['22.2.0', '22.19.0', '24.21.0', '26.0.0']) assert.equal(nodeTooOld(v), false, v);
});

test('the message names the Node it needs, the one it has, and how to get the pinned one', () => {
  const m = nodeTooOldMessage('20.20.2', '/src/skiff');
  assert.match(m, />= 22\.2/);
  assert.match(m, /Node 20\.20\.2/);
  assert.match(m, /npm ci' in \/src\/skiff/);
});

function systemNodeVersion(): string | undefined {
  if (!existsSync(SYSTEM_NODE)) return undefined;
  return spawnSync(SYSTEM_NODE, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim();
}

const old = systemNodeVersion();
test(
  "the README's `node bin/skiff.mjs` works when the shell's Node is too old: skiff moves to the pinned Node",
  { skip: old && nodeTooOld(old) ? false : `${SYSTEM_NODE} is not an old Node here (${old ?? 'absent'})` },
  () => {
    const res = spawnSync(SYSTEM_NODE, [join(ROOT, 'bin', 'skiff.mjs'), 'version', '--client-only'], {
      encoding: 'utf8',
      env: { ...process.env, PATH: '/usr/bin:/bin' },
    });
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stdout, /Version: \d+\.\d+\.\d+/);
  },
);

test(
  '`/usr/bin/node bin/skiff.mjs --help` (the machine’s own, too old Node) prints the help',
  { skip: old && nodeTooOld(old) ? false : `${SYSTEM_NODE} is not an old Node here (${old ?? 'absent'})` },
  () => {
    const res = spawnSync(SYSTEM_NODE, [join(ROOT, 'bin', 'skiff.mjs'), '--help'], {
      encoding: 'utf8',
      env: { ...process.env, PATH: '/usr/bin:/bin' },
    });
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stdout, /^Usage: skiff /m);
    assert.match(res.stdout, /skiff backup create web/);
    assert.doesNotMatch(res.stderr, /TypeError/);
  },
);
