/**
 * The repository password (reference §2.5): Secret `velero-repo-credentials`, key
 * `repository-password`, in the server namespace, shared by every repository. The server
 * creates it at start with Velero's static default when it is missing.
 */
import { Defaults, Names } from '../../api/index.ts';
import { isAlreadyExists, type Cluster } from '../../kube/index.ts';
import { SECRETS } from '../../kube/secrets.ts';

/** Creates the password Secret with the static default unless it exists; true when it was created. */
export async function ensureRepositoryPassword(cluster: Cluster, namespace: string): Promise<boolean> {
  if (await cluster.find(SECRETS, Names.RepoCredentialsSecret, namespace)) return false;
  try {
    await cluster.create(SECRETS, {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: { name: Names.RepoCredentialsSecret, namespace },
      data: { [Names.RepoCredentialsSecretKey]: Buffer.from(Defaults.RepositoryPassword).toString('base64') },
    });
    return true;
  } catch (err) {
    if (isAlreadyExists(err)) return false;
    throw err;
  }
}

/** Reads the repository password; a missing Secret or key is an error naming it. */
export async function readRepositoryPassword(cluster: Cluster, namespace: string): Promise<string> {
  const secret = await cluster.find(SECRETS, Names.RepoCredentialsSecret, namespace);
  if (!secret) {
    throw new Error(
      `repository password secret ${namespace}/${Names.RepoCredentialsSecret} not found (the Skiff server creates it at start)`,
    );
  }
  const value = (secret.data as Record<string, string> | undefined)?.[Names.RepoCredentialsSecretKey];
  if (value === undefined) {
    throw new Error(
      `secret ${namespace}/${Names.RepoCredentialsSecret} has no key "${Names.RepoCredentialsSecretKey}"`,
    );
  }
  return Buffer.from(value, 'base64').toString('utf8');
}
