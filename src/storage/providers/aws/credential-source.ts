/**
 * Where a location's AWS credentials come from, decided without the AWS SDK (the node agent
 * uses it too). In order:
 * 1. `spec.config.credentialProcess`: a command printing `credential_process` JSON;
 * 2. the location's Secret (`spec.credential`), else the server's shared-credentials file
 *    (Velero's order, §5.7); a profile there holding `credential_process` instead of keys
 *    runs that command;
 * 3. otherwise the SDK's default chain (environment, web identity token file, container
 *    credentials, shared config, instance metadata), which the S3 client and kopia/restic
 *    each apply themselves.
 */
import { readFile } from 'node:fs/promises';
import { StorageConfigError } from '../../errors.ts';
import type { ProviderDeps, ProviderInit } from '../../provider.ts';
import { credentialsFromProfile, parseSharedCredentials, type AwsStaticCredentials } from './credentials-file.ts';
import { CredentialProcessError, credentialProcessFor, type CredentialProcess } from './credential-process.ts';

const PROVIDER = 'aws';

export type CredentialSource =
  | { kind: 'static'; credentials: AwsStaticCredentials }
  | { kind: 'process'; process: CredentialProcess }
  | { kind: 'default-chain' };

export async function resolveCredentialSource(
  init: ProviderInit,
  deps: ProviderDeps,
  profile: string,
): Promise<CredentialSource> {
  const command = init.config.credentialProcess;
  if (command !== undefined) {
    if (init.credential) {
      throw new StorageConfigError(
        PROVIDER,
        'spec.config.credentialProcess',
        'spec.config.credentialProcess and spec.credential are mutually exclusive: keep one of them',
      );
    }
    return { kind: 'process', process: processFor(command, 'spec.config.credentialProcess') };
  }
  const file = await sharedCredentialsText(init, deps);
  if (file === undefined) return { kind: 'default-chain' };
  const field = init.credential ? 'spec.credential' : 'credentials';
  // A profile may run a command instead of holding keys, as in the AWS config files.
  const section = parseSharedCredentials(file.text).get(profile);
  const processCommand = section?.get('credential_process');
  if (processCommand !== undefined && !section?.has('aws_access_key_id')) {
    return { kind: 'process', process: processFor(processCommand, field) };
  }
  const credentials = credentialsFromProfile(file.text, profile);
  if (typeof credentials === 'string') throw new StorageConfigError(PROVIDER, field, `${file.source}: ${credentials}`);
  return { kind: 'static', credentials };
}

/**
 * Static credentials, for kopia and restic (child processes that take keys in their
 * environment and cannot be given new ones while they run): a credential process hands out
 * credentials with at least half their lifetime left. undefined: the default chain.
 */
export async function resolveCredentials(
  init: ProviderInit,
  deps: ProviderDeps,
  profile: string,
): Promise<AwsStaticCredentials | undefined> {
  const source = await resolveCredentialSource(init, deps, profile);
  if (source.kind === 'default-chain') return undefined;
  if (source.kind === 'static') return source.credentials;
  const { accessKeyId, secretAccessKey, sessionToken } = await source.process.get({ forChildProcess: true });
  return sessionToken === undefined ? { accessKeyId, secretAccessKey } : { accessKeyId, secretAccessKey, sessionToken };
}

function processFor(command: string, field: string): CredentialProcess {
  try {
    return credentialProcessFor(command);
  } catch (err) {
    if (err instanceof CredentialProcessError) throw new StorageConfigError(PROVIDER, field, err.message);
    throw err;
  }
}

interface SharedCredentialsText {
  text: string;
  /** What error messages call it. */
  source: string;
}

/** The location's secret key, else the server credentials file, else undefined. */
async function sharedCredentialsText(
  init: ProviderInit,
  deps: ProviderDeps,
): Promise<SharedCredentialsText | undefined> {
  if (init.credential) {
    const { namespace, name, key } = init.credential;
    if (!deps.readSecretKey) {
      throw new StorageConfigError(
        PROVIDER,
        'spec.credential',
        'spec.credential is set but no secret reader was provided',
      );
    }
    const source = `key "${key}" of secret ${namespace}/${name} (spec.credential)`;
    return { text: await deps.readSecretKey(namespace, name, key), source };
  }
  const path = deps.awsSharedCredentialsFile;
  if (!path) return undefined;
  const source = `the server credentials file ${path}`;
  try {
    return { text: await readFile(path, 'utf8'), source };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new StorageConfigError(PROVIDER, 'credentials', `cannot read ${source}: ${reason}`);
  }
}
