import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { credentialsFromProfile, parseSharedCredentials } from '../../../src/storage/providers/aws/credentials-file.ts';

const file = `
# Velero's cloud-credentials secret
[default]
aws_access_key_id = AKIADEFAULT
aws_secret_access_key=secret/with+chars=
  
; another comment
[profile backup]
AWS_ACCESS_KEY_ID = AKIABACKUP
aws_secret_access_key = s2
aws_session_token = token==
[incomplete]
aws_access_key_id = only-id
`;

describe('AWS shared-credentials file parser', () => {
  test('sections become profiles; keys are lower-cased; values keep everything after the first "="', () => {
    const profiles = parseSharedCredentials(file);
    assert.deepEqual([...profiles.keys()], ['default', 'backup', 'incomplete']);
    assert.equal(profiles.get('default')?.get('aws_secret_access_key'), 'secret/with+chars=');
    assert.equal(profiles.get('backup')?.get('aws_access_key_id'), 'AKIABACKUP');
  });

  test('the default profile yields static credentials without a session token', () => {
    assert.deepEqual(credentialsFromProfile(file, 'default'), {
      accessKeyId: 'AKIADEFAULT',
      secretAccessKey: 'secret/with+chars=',
    });
  });

  test('a named profile (also written "[profile name]") carries its session token', () => {
    assert.deepEqual(credentialsFromProfile(file, 'backup'), {
      accessKeyId: 'AKIABACKUP',
      secretAccessKey: 's2',
      sessionToken: 'token==',
    });
  });

  test('Windows line endings parse the same', () => {
    assert.deepEqual(credentialsFromProfile(file.replace(/\n/g, '\r\n'), 'default'), {
      accessKeyId: 'AKIADEFAULT',
      secretAccessKey: 'secret/with+chars=',
    });
  });

  test('a missing profile is a reason naming the profiles present', () => {
    assert.equal(
      credentialsFromProfile(file, 'prod'),
      'profile "prod" not found (profiles present: "default", "backup", "incomplete")',
    );
  });

  test('a profile without both keys is a reason, not half credentials', () => {
    const reason = credentialsFromProfile(file, 'incomplete');
    assert.equal(typeof reason, 'string');
    assert.match(reason as string, /lacks aws_access_key_id or aws_secret_access_key/);
  });

  test('an empty or key-only text has no profiles', () => {
    assert.equal(parseSharedCredentials('').size, 0);
    assert.equal(parseSharedCredentials('aws_access_key_id = x').size, 0);
  });
});
