/**
 * The AWS default credential chain, used when a location names no Secret, no
 * `credentialProcess`, and the server has no credentials file. The server's S3 client applies
 * the SDK's own default provider (environment, shared config and credential_process profiles,
 * web identity token file, container credentials, instance metadata). kopia and restic run as
 * children with a trimmed environment, so the variables their own chains (minio-go) read are
 * handed on to them: static keys, web identity (IRSA, Pod Identity via a token file) and
 * container credentials.
 */

/** The environment variables of the default chain that kopia and restic are given. */
export const DEFAULT_CHAIN_ENV = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_CONFIG_FILE',
  'AWS_REGION',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_ROLE_ARN',
  'AWS_ROLE_SESSION_NAME',
  'AWS_STS_REGIONAL_ENDPOINTS',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE',
  'AWS_EC2_METADATA_DISABLED',
] as const;

/** The default-chain variables set in `env`, for a child's environment. */
export function defaultChainEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of DEFAULT_CHAIN_ENV) {
    const value = env[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}
