import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { applyClientConfigPairs, formatClientConfig } from '../../../src/cli/client/config.ts';
import { clientConfigFile, readClientConfig, resolveNamespace } from '../../../src/cli/context.ts';
import { skiffBinEnv } from '../../helpers/skiff-bin-env.ts';

const SKIFF = join(import.meta.dirname, '..', '..', '..', 'bin', 'skiff.mjs');

describe('skiff client config set|get (reference §8.1)', () => {
  const home = mkdtempSync(join(tmpdir(), 'skiff-client-config-'));
  after(() => rmSync(home, { recursive: true, force: true }));
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [SKIFF, 'client', 'config', ...args], {
      encoding: 'utf8',
      env: skiffBinEnv({ ...process.env, HOME: home }),
    });

  test('set writes the file every later command reads its namespace from; get prints it', () => {
    const set = run('set', 'namespace=backups', 'features=EnableCSI');
    assert.equal(set.status, 0, set.stderr);
    const env = { HOME: home };
    assert.equal(resolveNamespace(undefined, env, readClientConfig(env)), 'backups');
    assert.equal(statSync(clientConfigFile(env)).mode & 0o777, 0o600);
    assert.equal(run('get').stdout, 'features: EnableCSI\nnamespace: backups\n');
    assert.equal(run('get', 'namespace', 'cacert').stdout, 'namespace: backups\ncacert: <NOT SET>\n');
    assert.equal(run('set', 'namespace=').status, 0);
    assert.equal(resolveNamespace(undefined, env, readClientConfig(env)), 'velero');
  });

  test('what Skiff would not act on is refused, each problem named, and the file is left as it was', () => {
    const file = clientConfigFile({ HOME: home });
    writeFileSync(file, '{"namespace":"keep"}\n');
    const r = run(
      'set',
      'namespace=other',
      'colorized=true',
      'features=EnableFoo',
      'cacert=/no/such/ca.pem',
      'colour=1',
      'oops',
    );
    assert.equal(r.status, 1);
    for (const problem of [
      /colorized=true: skiff prints no colours/,
      /features: skiff has no client feature EnableFoo/,
      /cacert: no file at \/no\/such\/ca\.pem/,
      /unknown key "colour"/,
      /"oops" is not KEY=VALUE/,
    ]) {
      assert.match(r.stderr, problem);
    }
    assert.equal(readFileSync(file, 'utf8'), '{"namespace":"keep"}\n');
  });
});

test('pairs: keys are case-insensitive, an empty value removes the key, keys Velero wrote are kept', () => {
  const { config, problems } = applyClientConfigPairs({ namespace: 'a', colorized: 'false', other: 'x' }, [
    'Namespace=b',
    'colorized=',
  ]);
  assert.deepEqual(problems, []);
  assert.deepEqual(config, { namespace: 'b', other: 'x' });
  assert.equal(formatClientConfig(config, []), 'namespace: b\nother: x\n');
});
