import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StorageConfigError } from '../../../src/storage/errors.ts';
import {
  CredentialProcess,
  CredentialProcessError,
  parseCredentialProcessOutput,
  refreshTime,
  runCommand,
  splitCommand,
  type RunCommand,
} from '../../../src/storage/providers/aws/credential-process.ts';
import { resolveCredentialSource } from '../../../src/storage/providers/aws/credential-source.ts';
import { defaultChainEnv } from '../../../src/storage/providers/aws/default-chain.ts';

const MIN = 60_000;
const T0 = Date.parse('2026-03-01T12:00:00Z');

describe('credentialProcess argument splitting', () => {
  test('blanks separate arguments; quotes and backslashes keep them together', () => {
    assert.deepEqual(splitCommand('/usr/local/bin/get-creds --role backup'), [
      '/usr/local/bin/get-creds',
      '--role',
      'backup',
    ]);
    assert.deepEqual(splitCommand(`  aws  configure export-credentials --profile 'my profile'  `), [
      'aws',
      'configure',
      'export-credentials',
      '--profile',
      'my profile',
    ]);
    assert.deepEqual(splitCommand(String.raw`tool "a \"quoted\" \\ word" it\'s ''`), [
      'tool',
      'a "quoted" \\ word',
      "it's",
      '',
    ]);
    // In double quotes a backslash before another character stays, as in a shell.
    assert.deepEqual(splitCommand(String.raw`tool "C:\dir"`), ['tool', String.raw`C:\dir`]);
    assert.deepEqual(splitCommand(`sh -c 'vault read -format=json aws/creds/backup | jq .'`), [
      'sh',
      '-c',
      'vault read -format=json aws/creds/backup | jq .',
    ]);
  });

  test('shell operators and expansions outside single quotes are refused, naming the character', () => {
    assert.match(splitCommand('get-creds | jq .') as string, /"\|" would need a shell.*sh -c/);
    assert.match(splitCommand('get-creds --token $TOKEN') as string, /"\$" would need a shell/);
    assert.match(splitCommand('get-creds "$HOME/x"') as string, /"\$" would need a shell/);
    assert.match(splitCommand('get-creds; rm -rf /') as string, /";"/);
    assert.deepEqual(splitCommand(`get-creds '$HOME' \\| "\\$x"`), ['get-creds', '$HOME', '|', '$x']);
  });

  test('empty values and unclosed quotes are refused', () => {
    assert.equal(splitCommand('   '), 'it is empty');
    assert.equal(splitCommand(`tool 'open`), 'its single quote is not closed');
    assert.equal(splitCommand('tool "open'), 'its double quote is not closed');
    assert.equal(splitCommand('tool \\'), 'it ends with a lone backslash');
  });
});

describe('credential_process output', () => {
  const valid = {
    Version: 1,
    AccessKeyId: 'AKIA1',
    SecretAccessKey: 'secret',
    SessionToken: 'token',
    Expiration: '2026-03-01T12:15:00Z',
  };

  test('the AWS format: keys, session token and expiration', () => {
    assert.deepEqual(parseCredentialProcessOutput(JSON.stringify(valid)), {
      accessKeyId: 'AKIA1',
      secretAccessKey: 'secret',
      sessionToken: 'token',
      expiration: new Date('2026-03-01T12:15:00Z'),
    });
    assert.deepEqual(parseCredentialProcessOutput('{"Version":1,"AccessKeyId":"a","SecretAccessKey":"b"}\n'), {
      accessKeyId: 'a',
      secretAccessKey: 'b',
    });
    const offset = parseCredentialProcessOutput(
      JSON.stringify({ ...valid, Expiration: '2026-03-01T13:15:00.5+01:00' }),
    );
    assert.equal(typeof offset === 'object' && offset.expiration?.toISOString(), '2026-03-01T12:15:00.500Z');
  });

  test('each defect is named, and the output (secrets) is never quoted', () => {
    const reason = (value: unknown): string => parseCredentialProcessOutput(JSON.stringify(value)) as string;
    assert.match(parseCredentialProcessOutput('AccessKeyId=secret') as string, /not JSON \(18 bytes, starting "A"\)/);
    assert.doesNotMatch(parseCredentialProcessOutput('AccessKeyId=secret') as string, /secret/);
    assert.equal(reason([valid]), 'its output is not a JSON object');
    assert.equal(reason({ ...valid, Version: 2 }), 'its output has "Version": 2, expected 1');
    assert.equal(reason({ ...valid, Version: undefined }), 'its output has "Version": missing, expected 1');
    assert.equal(reason({ ...valid, AccessKeyId: '' }), 'its output lacks "AccessKeyId"');
    assert.equal(reason({ ...valid, SecretAccessKey: 7 }), 'its output lacks "SecretAccessKey"');
    assert.equal(reason({ ...valid, SessionToken: 1 }), 'its "SessionToken" is not a string');
    assert.match(reason({ ...valid, Expiration: 'tomorrow' }), /"Expiration" "tomorrow" is not an ISO 8601 time/);
    assert.match(reason({ ...valid, Expiration: 1767225600 }), /"Expiration" 1767225600 is not/);
  });
});

describe('refresh timing', () => {
  test('5 minutes before expiry, or a quarter of the lifetime for short-lived credentials', () => {
    assert.equal(refreshTime(T0, T0 + 60 * MIN), T0 + 55 * MIN);
    assert.equal(refreshTime(T0, T0 + 15 * MIN), T0 + 15 * MIN - 225_000);
    assert.equal(refreshTime(T0, T0 + 4000), T0 + 3000);
  });

  /** A command that hands out numbered credentials living `lifetimeMs` on the fake clock. */
  function fakeCommand(clock: { ms: number }, lifetimeMs: number): { run: RunCommand; runs: () => number } {
    let runs = 0;
    const run: RunCommand = () => {
      runs++;
      return Promise.resolve(
        JSON.stringify({
          Version: 1,
          AccessKeyId: `key-${runs}`,
          SecretAccessKey: 's',
          Expiration: new Date(clock.ms + lifetimeMs).toISOString(),
        }),
      );
    };
    return { run, runs: () => runs };
  }

  test('credentials are handed out until their refresh time, then the command runs again', async () => {
    const clock = { ms: T0 };
    const command = fakeCommand(clock, 15 * MIN);
    const p = new CredentialProcess('get-creds', { clock: { now: () => new Date(clock.ms) }, run: command.run });
    const [a, b] = await Promise.all([p.get(), p.get()]);
    assert.equal(a.accessKeyId, 'key-1');
    assert.equal(b.accessKeyId, 'key-1');
    assert.equal(command.runs(), 1, 'callers asking at once share one run');
    clock.ms = T0 + 11 * MIN;
    assert.equal((await p.get()).accessKeyId, 'key-1');
    clock.ms = T0 + 11 * MIN + 15_000;
    assert.equal((await p.get()).accessKeyId, 'key-2');
    assert.equal(command.runs(), 2);
  });

  test('a kopia or restic run gets credentials with at least half their lifetime left', async () => {
    const clock = { ms: T0 };
    const command = fakeCommand(clock, 60 * MIN);
    const p = new CredentialProcess('get-creds', { clock: { now: () => new Date(clock.ms) }, run: command.run });
    await p.get();
    clock.ms = T0 + 29 * MIN;
    assert.equal((await p.get({ forChildProcess: true })).accessKeyId, 'key-1');
    clock.ms = T0 + 31 * MIN;
    assert.equal((await p.get()).accessKeyId, 'key-1', 'the S3 client keeps them until 5 minutes before expiry');
    assert.equal((await p.get({ forChildProcess: true })).accessKeyId, 'key-2');
  });

  test('credentials without Expiration never expire', async () => {
    const clock = { ms: T0 };
    let runs = 0;
    const p = new CredentialProcess('get-creds', {
      clock: { now: () => new Date(clock.ms) },
      run: () => {
        runs++;
        return Promise.resolve('{"Version":1,"AccessKeyId":"a","SecretAccessKey":"b"}');
      },
    });
    await p.get();
    clock.ms = T0 + 1000 * 24 * 60 * MIN;
    await p.get({ forChildProcess: true });
    assert.equal(runs, 1);
  });

  test('a failed run, malformed output or expired credentials are errors naming the command; the next call runs it again', async () => {
    const clock = { now: () => new Date(T0) };
    const outputs: (string | Error)[] = [
      new Error('it exited with 3: role revoked'),
      '{"Version":2}',
      JSON.stringify({ Version: 1, AccessKeyId: 'a', SecretAccessKey: 'b', Expiration: '2026-03-01T11:59:00Z' }),
      '{"Version":1,"AccessKeyId":"a","SecretAccessKey":"b"}',
    ];
    const p = new CredentialProcess("get-creds --role 'backup'", {
      clock,
      run: () => {
        const next = outputs.shift();
        return next instanceof Error ? Promise.reject(next) : Promise.resolve(next ?? '');
      },
    });
    await assert.rejects(p.get(), (err: unknown) => {
      assert.ok(err instanceof CredentialProcessError);
      assert.equal(
        err.message,
        "spec.config.credentialProcess `get-creds --role 'backup'` failed: it exited with 3: role revoked",
      );
      return true;
    });
    await assert.rejects(p.get(), /`get-creds --role 'backup'`: its output has "Version": 2, expected 1/);
    await assert.rejects(p.get(), /returned credentials that expired at 2026-03-01T11:59:00.000Z/);
    assert.equal((await p.get()).accessKeyId, 'a');
  });

  test('an unusable command is refused when the provider is made', () => {
    assert.throws(
      () => new CredentialProcess("get-creds 'x"),
      /credentialProcess `get-creds 'x` cannot be used: its single quote/,
    );
  });
});

describe('running the command', () => {
  test('stdout is the result; a failure quotes stderr; a command that does not finish in time is killed', async () => {
    assert.equal(await runCommand(['sh', '-c', 'echo out; echo noise >&2'], 5000), 'out\n');
    await assert.rejects(
      runCommand(['sh', '-c', 'echo "token expired" >&2; exit 3'], 5000),
      /^Error: it exited with 3: token expired$/,
    );
    await assert.rejects(runCommand(['/nonexistent/get-creds'], 5000), /"\/nonexistent\/get-creds" was not found/);
    await assert.rejects(runCommand(['sleep', '30'], 200), /it did not finish within 0.2 s/);
  });
});

describe('where credentials come from', () => {
  const init = (config: Record<string, string>, credential = false) => ({
    provider: 'aws',
    bucket: 'b',
    config,
    ...(credential ? { credential: { namespace: 'velero', name: 'creds', key: 'cloud' } } : {}),
  });

  test('credentialProcess, else the secret or server file, else the default chain', async () => {
    const fromProcess = await resolveCredentialSource(
      init({ credentialProcess: 'get-creds --for test-a' }),
      {},
      'default',
    );
    assert.equal(fromProcess.kind, 'process');
    assert.equal(fromProcess.kind === 'process' && fromProcess.process.command, 'get-creds --for test-a');
    const fromSecret = await resolveCredentialSource(
      init({}, true),
      { readSecretKey: () => Promise.resolve('[default]\naws_access_key_id=a\naws_secret_access_key=b\n') },
      'default',
    );
    assert.deepEqual(fromSecret, { kind: 'static', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    assert.deepEqual(await resolveCredentialSource(init({}), {}, 'default'), { kind: 'default-chain' });
  });

  test('a profile holding credential_process instead of keys runs that command (AWS config-file style)', async () => {
    const source = await resolveCredentialSource(
      init({}, true),
      { readSecretKey: () => Promise.resolve('[backup]\ncredential_process = /opt/bin/get-creds --role backup\n') },
      'backup',
    );
    assert.equal(source.kind === 'process' && source.process.command, '/opt/bin/get-creds --role backup');
  });

  test('credentialProcess with spec.credential, or an unusable command, is a config error naming the field', async () => {
    await assert.rejects(
      resolveCredentialSource(init({ credentialProcess: 'get-creds' }, true), {}, 'default'),
      (err: unknown) => err instanceof StorageConfigError && /mutually exclusive/.test(err.message),
    );
    await assert.rejects(resolveCredentialSource(init({ credentialProcess: '' }), {}, 'default'), (err: unknown) => {
      assert.ok(err instanceof StorageConfigError);
      assert.equal(err.field, 'spec.config.credentialProcess');
      assert.match(err.message, /cannot be used: it is empty/);
      return true;
    });
  });

  test('kopia and restic get the default chain variables of the environment, nothing else', () => {
    assert.deepEqual(
      defaultChainEnv({
        AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/secrets/token',
        AWS_ROLE_ARN: 'arn:aws:iam::1:role/backup',
        AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://169.254.170.23/v1/credentials',
        HOME: '/root',
      }),
      {
        AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/secrets/token',
        AWS_ROLE_ARN: 'arn:aws:iam::1:role/backup',
        AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://169.254.170.23/v1/credentials',
      },
    );
  });
});
