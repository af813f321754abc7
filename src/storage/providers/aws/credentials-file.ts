/** Static AWS credentials from one profile of a shared-credentials file. */
export interface AwsStaticCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/**
 * Parses the AWS shared-credentials file format (the content of Velero's
 * `cloud-credentials` secret, §5.7): INI sections `[default]` or `[name]` (the config-file
 * spelling `[profile name]` is accepted too), `key = value` lines, `#`/`;` comment lines.
 * Keys are lower-cased; values keep everything after the first `=`, trimmed.
 * Returns profile name → key → value.
 */
export function parseSharedCredentials(text: string): Map<string, Map<string, string>> {
  const profiles = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[\s*(?:profile\s+)?([^\]]*?)\s*\]$/.exec(line);
    if (section) {
      const name = section[1] ?? '';
      current = profiles.get(name) ?? new Map<string, string>();
      profiles.set(name, current);
      continue;
    }
    const eq = line.indexOf('=');
    // Lines outside a section or without `=` carry nothing we use (the SDK ignores them too).
    if (eq <= 0 || current === undefined) continue;
    current.set(line.slice(0, eq).trim().toLowerCase(), line.slice(eq + 1).trim());
  }
  return profiles;
}

/**
 * The credentials of `profile`, or a reason they cannot be used (the caller wraps it into
 * an error naming where the text came from).
 */
export function credentialsFromProfile(text: string, profile: string): AwsStaticCredentials | string {
  const profiles = parseSharedCredentials(text);
  const section = profiles.get(profile);
  if (section === undefined) {
    const known = [...profiles.keys()].map((p) => `"${p}"`).join(', ') || 'none';
    return `profile "${profile}" not found (profiles present: ${known})`;
  }
  const accessKeyId = section.get('aws_access_key_id');
  const secretAccessKey = section.get('aws_secret_access_key');
  if (!accessKeyId || !secretAccessKey) {
    return `profile "${profile}" lacks aws_access_key_id or aws_secret_access_key`;
  }
  const sessionToken = section.get('aws_session_token');
  return sessionToken ? { accessKeyId, secretAccessKey, sessionToken } : { accessKeyId, secretAccessKey };
}
