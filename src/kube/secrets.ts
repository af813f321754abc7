/** Reading Secrets: the keys that locations and repositories name (credentials, CA bundles). */
import { ValidationError } from '../util/errors.ts';
import type { Cluster } from './cluster.ts';

export const SECRETS = { group: '', version: 'v1', resource: 'secrets' };

/** One key of a Secret as text; a missing key is an error naming it. */
export async function readSecretKey(cluster: Cluster, namespace: string, name: string, key: string): Promise<string> {
  const secret = await cluster.get(SECRETS, name, namespace);
  const value = (secret.data as Record<string, string> | undefined)?.[key];
  if (value === undefined) throw new ValidationError(`secret ${namespace}/${name} has no key "${key}"`);
  return Buffer.from(value, 'base64').toString('utf8');
}
