import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { commandTree } from '../../../src/cli/completion/command-tree.ts';
import { completionScript, SHELLS } from '../../../src/cli/completion/scripts.ts';
import { buildProgram } from '../../../src/cli/program.ts';
import { SKIFF_VERSION } from '../../../src/util/version.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

const tree = commandTree(buildProgram());
const topLevel = tree.children.map((c) => c.path[1] ?? '');

/** Runs the generated bash function on a command line and returns what it offers. */
function bashComplete(words: string[]): string[] {
  const script = completionScript('bash', tree);
  const line = words.map((w) => `'${w}'`).join(' ');
  const res = spawnSync(
    'bash',
    [
      '-c',
      `${script}\nCOMP_WORDS=(${line}); COMP_CWORD=${words.length - 1}; _skiff_complete; printf '%s\\n' "\${COMPREPLY[@]}"`,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(res.status, 0, res.stderr);
  return res.stdout.split('\n').filter((l) => l !== '');
}

describe('skiff completion', () => {
  test('the tree has the commands of issue 11', () => {
    for (const c of ['version', 'completion', 'snapshot-location']) assert.ok(topLevel.includes(c), c);
  });

  /** How each script offers a command word. */
  const offers: Record<(typeof SHELLS)[number], (word: string) => string> = {
    bash: (w) => ` ${w} `,
    zsh: (w) => `'${w}:`,
    fish: (w) => `-a '${w}'`,
  };

  for (const shell of SHELLS) {
    test(`the ${shell} script offers every top-level command and knows every subcommand`, () => {
      const script = completionScript(shell, tree).replace(/words='/g, "words=' ");
      for (const node of tree.children) {
        assert.ok(script.includes(offers[shell](node.path[1] ?? '')), `${shell}: ${node.path.join(' ')}`);
        for (const sub of node.children)
          assert.ok(script.includes(sub.path.join(' ')), `${shell}: ${sub.path.join(' ')}`);
      }
    });
  }

  test('bash offers every top-level command after `skiff `', () => {
    const offered = bashComplete(['skiff', '']);
    for (const c of topLevel) assert.ok(offered.includes(c), c);
  });

  test('the bash script is valid bash', () => {
    const res = spawnSync('bash', ['-n'], { input: completionScript('bash', tree), encoding: 'utf8' });
    assert.equal(res.status, 0, res.stderr);
  });

  // CI installs zsh and fish (.ci/run): there a missing shell fails these tests instead of skipping them.
  const installed = (shell: string): boolean =>
    Boolean(process.env.CI) || spawnSync(shell, ['-c', 'exit 0']).status === 0;

  for (const shell of ['zsh', 'fish'] as const) {
    test(`the ${shell} script is valid ${shell}`, { skip: !installed(shell) && `${shell} is not installed` }, () => {
      const file = join(tempDir('skiff-completion-'), `skiff.${shell}`);
      writeFileSync(file, completionScript(shell, tree));
      const res = spawnSync(shell, ['-n', file], { encoding: 'utf8' });
      assert.equal(res.status, 0, res.stderr);
    });
  }

  test(
    'fish completes subcommands past global flags and their values',
    { skip: !installed('fish') && 'fish is not installed' },
    () => {
      const script = completionScript('fish', tree);
      const res = spawnSync('fish', ['-c', `${script}\ncomplete -C 'skiff -n backup backup cr'`], { encoding: 'utf8' });
      assert.equal(res.status, 0, res.stderr);
      assert.match(res.stdout, /^create\tCreate a backup$/m);
    },
  );

  test('bash completes commands, subcommands and flags, past global flags and their values', () => {
    assert.deepEqual(bashComplete(['skiff', 'snap']), ['snapshot-location']);
    assert.deepEqual(bashComplete(['skiff', '-n', 'backup', 'backup', 'cr']), ['create']);
    assert.deepEqual(bashComplete(['skiff', 'backup', 'create', 'web', '--include-namespaces', 'backup', '--stor']), [
      '--storage-location',
    ]);
    assert.deepEqual(bashComplete(['skiff', 'version', '--cl']), ['--client-only']);
  });
});

describe('skiff version', () => {
  test('the version constant is package.json’s', () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', '..', 'package.json'), 'utf8')) as {
      version: string;
    };
    assert.equal(SKIFF_VERSION, pkg.version);
  });
});
