/**
 * Colour only on a terminal and never with NO_COLOR (issue 12: `npm start` wrote escape codes
 * into pipes and log files). The quickstart scripts colour through scripts/say.sh only.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const SAY = join(ROOT, 'scripts', 'say.sh');
const ESC = '\x1b';
const SNIPPET = `. ${JSON.stringify(SAY)}; step 'Install Skiff'; done_ 'CRDs installed'`;

function envWithout(...names: string[]): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const n of names) delete env[n];
  return env;
}

test('into a pipe, the headings and check marks carry no escape codes', () => {
  const res = spawnSync('bash', ['-c', SNIPPET], { encoding: 'utf8', env: envWithout('NO_COLOR') });
  assert.equal(res.status, 0, res.stderr);
  assert.match(res.stdout, /==> Install Skiff/);
  assert.match(res.stdout, /✔ CRDs installed/);
  assert.ok(!res.stdout.includes(ESC), JSON.stringify(res.stdout));
});

/** Runs the snippet on a pseudo-terminal (util-linux `script`), as a person at a terminal sees it. */
function onTerminal(env: NodeJS.ProcessEnv): string {
  const res = spawnSync('script', ['-qec', `bash -c ${shellQuote(SNIPPET)}`, '/dev/null'], { encoding: 'utf8', env });
  assert.equal(res.status, 0, res.stderr);
  return res.stdout;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

const hasScript = spawnSync('script', ['--version']).status === 0;

test('on a terminal they are coloured', { skip: hasScript ? false : 'util-linux script is not installed' }, () => {
  const out = onTerminal(envWithout('NO_COLOR'));
  assert.ok(out.includes(`${ESC}[1m==> Install Skiff`), JSON.stringify(out));
});

test(
  'on a terminal with NO_COLOR set they are not',
  { skip: hasScript ? false : 'util-linux script is not installed' },
  () => {
    const out = onTerminal({ ...process.env, NO_COLOR: '1' });
    assert.match(out, /==> Install Skiff/);
    assert.ok(!out.includes(ESC), JSON.stringify(out));
  },
);

test('no other script writes escape codes of its own: colour goes through scripts/say.sh', () => {
  const offenders: string[] = [];
  for (const dir of ['scripts', join('scripts', 'testenv'), 'bin', 'bench']) {
    const abs = join(ROOT, dir);
    if (!existsSync(abs)) continue;
    for (const f of readdirSync(abs)) {
      const path = join(abs, f);
      if (path === SAY || !/\.(sh|mjs|ts)$/.test(f)) continue;
      const text = readFileSync(path, 'utf8');
      if (text.includes(ESC) || /\\033\[|\\e\[|\\x1b\[|\\u001b\[/i.test(text)) offenders.push(join(dir, f));
    }
  }
  assert.deepEqual(offenders, []);
});
