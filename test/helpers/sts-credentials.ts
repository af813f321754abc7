/**
 * Temporary credentials from the test MinIO's STS, handed out by a `credential_process`
 * command (minio-sts-credential-process.ts) with a short reported lifetime, and the proxy
 * check that makes that lifetime real: a request signed with credentials past their reported
 * `Expiration` is refused with `ExpiredToken`, as S3 would once they expired.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IncomingMessage } from 'node:http';
import type { IssuedCredential, StsCredentialSettings } from './minio-sts-credential-process.ts';
import type { RefuseRequest } from './gated-s3-proxy.ts';
import { loadTestEnv } from './testenv.ts';
import { tempDir } from './temp-dir.ts';

const SCRIPT = join(import.meta.dirname, 'minio-sts-credential-process.ts');

export interface StsCredentialProcess {
  /** The `credentialProcess` value that runs the command (this Node, the script, its settings). */
  command: string;
  /** The same command as an argument vector. */
  argv: string[];
  /** Every credential the command has handed out so far, oldest first (one per invocation). */
  issued(): IssuedCredential[];
  /** From now on the command fails, as a helper whose role was revoked. */
  revoke(): void;
  /** For GatedS3Proxy: refuses requests signed with one of these credentials past its reported expiry. */
  refuseExpired: RefuseRequest;
}

export function stsCredentialProcess(options: {
  reportedLifetimeSeconds: number;
  mode?: StsCredentialSettings['mode'];
}): StsCredentialProcess {
  const { s3 } = loadTestEnv();
  const dir = tempDir('skiff-sts-');
  const settings: StsCredentialSettings = {
    endpoint: s3.endpoint,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    reportedLifetimeSeconds: options.reportedLifetimeSeconds,
    issuedLog: join(dir, 'issued.ndjson'),
    revokedFile: join(dir, 'revoked'),
    ...(options.mode ? { mode: options.mode } : {}),
  };
  const settingsFile = join(dir, 'settings.json');
  writeFileSync(settingsFile, JSON.stringify(settings));
  const issued = (): IssuedCredential[] =>
    existsSync(settings.issuedLog)
      ? readFileSync(settings.issuedLog, 'utf8')
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => JSON.parse(l) as IssuedCredential)
      : [];
  return {
    command: `'${process.execPath}' '${SCRIPT}' '${settingsFile}'`,
    argv: [process.execPath, SCRIPT, settingsFile],
    issued,
    revoke: () => writeFileSync(settings.revokedFile, ''),
    refuseExpired: (req) => {
      const key = signingKeyOf(req);
      const credential = issued().find((c) => c.accessKeyId === key);
      if (!credential || Date.parse(credential.expiration) > Date.now()) return undefined;
      return { code: 'ExpiredToken', message: `The provided token has expired (at ${credential.expiration})` };
    },
  };
}

/** The access key a request is signed with (header or query-string signature). */
function signingKeyOf(req: IncomingMessage): string | undefined {
  const header = /Credential=([^/]+)\//.exec(req.headers.authorization ?? '')?.[1];
  if (header !== undefined) return header;
  const query = new URL(req.url ?? '/', 'http://proxy').searchParams.get('X-Amz-Credential');
  return query?.split('/')[0];
}
