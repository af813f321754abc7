/**
 * A `credential_process` command for tests (run as `node minio-sts-credential-process.ts
 * <settings.json>`): it asks the test MinIO's STS for temporary credentials (AssumeRole, signed
 * with SigV4 for service `sts` by the MinIO root user) and prints them as the AWS
 * `credential_process` JSON. MinIO's shortest lifetime is 900 s, so the printed `Expiration`
 * is the one the settings ask for (`reportedLifetimeSeconds`), earlier than MinIO's; the
 * test's proxy (sts-credentials.ts) refuses requests signed with credentials past it, so the
 * reported expiry is the real one as far as Skiff can tell.
 *
 * Every issue is appended to `issuedLog` (one JSON line: accessKeyId, expiration), which also
 * counts the invocations. While the file `revokedFile` exists, the command fails as a revoked
 * credential helper would: exit 3 and a reason on stderr. `mode: "malformed"` prints output of
 * the wrong version; `mode: "rejected"` prints keys MinIO does not know.
 * Runs under plain Node (type stripping): no imports beyond node: and the SDK's signer.
 */
import { SignatureV4 } from '@smithy/signature-v4';
import { createHash, createHmac, type Hash } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';

export interface StsCredentialSettings {
  /** The MinIO endpoint itself, e.g. http://127.0.0.1:9000. */
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  reportedLifetimeSeconds: number;
  issuedLog: string;
  revokedFile: string;
  mode?: 'sts' | 'malformed' | 'rejected';
}

export interface IssuedCredential {
  accessKeyId: string;
  expiration: string;
}

type SourceData = string | ArrayBuffer | ArrayBufferView;

function bytes(data: SourceData): string | Uint8Array {
  if (typeof data === 'string') return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

/** The hash interface the SDK's signer takes, on node:crypto. */
class Sha256 {
  private readonly hash: Hash | ReturnType<typeof createHmac>;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
}

async function assumeRole(
  s: StsCredentialSettings,
): Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken: string }> {
  const url = new URL(s.endpoint);
  const body = new URLSearchParams({ Action: 'AssumeRole', Version: '2011-06-15', DurationSeconds: '900' }).toString();
  const signer = new SignatureV4({
    service: 'sts',
    region: 'us-east-1',
    sha256: Sha256,
    credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey },
  });
  const signed = await signer.sign({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: '/',
    headers: { host: url.host, 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  const res = await fetch(url, { method: 'POST', headers: signed.headers, body });
  const xml = await res.text();
  const field = (name: string): string => {
    const value = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
    if (value === undefined) throw new Error(`MinIO STS answered ${res.status} without ${name}: ${xml.slice(0, 300)}`);
    return value;
  };
  return {
    accessKeyId: field('AccessKeyId'),
    secretAccessKey: field('SecretAccessKey'),
    sessionToken: field('SessionToken'),
  };
}

async function main(settingsFile: string): Promise<void> {
  const s = JSON.parse(readFileSync(settingsFile, 'utf8')) as StsCredentialSettings;
  if (existsSync(s.revokedFile)) {
    process.stderr.write('role skiff-backup: access revoked by the test\n');
    process.exit(3);
  }
  const expiration = new Date(Date.now() + s.reportedLifetimeSeconds * 1000).toISOString();
  const issued =
    s.mode === 'rejected'
      ? { accessKeyId: 'NOSUCHKEY000000000000', secretAccessKey: 'not-a-real-secret-key-00000000', sessionToken: '' }
      : await assumeRole(s);
  appendFileSync(s.issuedLog, `${JSON.stringify({ accessKeyId: issued.accessKeyId, expiration })}\n`);
  const output = {
    Version: s.mode === 'malformed' ? 2 : 1,
    AccessKeyId: issued.accessKeyId,
    SecretAccessKey: issued.secretAccessKey,
    ...(issued.sessionToken ? { SessionToken: issued.sessionToken } : {}),
    Expiration: expiration,
  };
  process.stdout.write(`${JSON.stringify(output)}\n`);
}

if (import.meta.main) {
  main(process.argv[2] ?? '').catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
