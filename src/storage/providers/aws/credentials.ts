/**
 * Which static credentials an AWS location uses. Apart from the provider (index.ts) so that the
 * node agent, which hands them to kopia or restic, does not load the AWS SDK (about 10 MiB of
 * its memory) only to read a secret.
 */
import { readFile } from 'node:fs/promises';
import { StorageConfigError } from '../../errors.ts';
import type { ProviderDeps, ProviderInit } from '../../provider.ts';
import { credentialsFromProfile, type AwsStaticCredentials } from './credentials-file.ts';

/** Velero's AWS plugin; `spec.provider` `aws` is short for `velero.io/aws` (§1.4). */
export const id = 'aws';

/**
 * Credentials in Velero's order (§5.7): the BSL's own secret (`spec.credential`), else the
 * server's shared-credentials file, else undefined (the SDK's default chain: env, web
 * identity, instance role...). Both files use the AWS shared-credentials format.
 */
export async function resolveCredentials(
  init: ProviderInit,
  deps: ProviderDeps,
  profile: string,
): Promise<AwsStaticCredentials | undefined> {
  let text: string;
  let source: string;
  if (init.credential) {
    const { namespace, name, key } = init.credential;
    if (!deps.readSecretKey) {
      throw new StorageConfigError(id, 'spec.credential', 'spec.credential is set but no secret reader was provided');
    }
    source = `key "${key}" of secret ${namespace}/${name} (spec.credential)`;
    text = await deps.readSecretKey(namespace, name, key);
  } else if (deps.awsSharedCredentialsFile) {
    source = `the server credentials file ${deps.awsSharedCredentialsFile}`;
    try {
      text = await readFile(deps.awsSharedCredentialsFile, 'utf8');
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new StorageConfigError(id, 'credentials', `cannot read ${source}: ${reason}`);
    }
  } else {
    return undefined;
  }
  const credentials = credentialsFromProfile(text, profile);
  if (typeof credentials === 'string') {
    throw new StorageConfigError(id, init.credential ? 'spec.credential' : 'credentials', `${source}: ${credentials}`);
  }
  return credentials;
}
