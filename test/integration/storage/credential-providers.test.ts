/**
 * Credential providers against the real MinIO (issue 17, acceptance 15): a location whose
 * `credentialProcess` hands out temporary credentials from MinIO's STS (AssumeRole), with a
 * reported lifetime of seconds that a proxy in front of MinIO enforces; a revoked or
 * broken provider gives the location a status naming the problem and fails a backup at once;
 * and the AWS default chain (environment, container credentials) when a location names nothing.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Kinds, resourceRef, type BackupStorageLocation } from '../../../src/api/index.ts';
import { adminCluster, core, createNamespace, waitFor } from '../../helpers/cluster.ts';
import { GatedS3Proxy } from '../../helpers/gated-s3-proxy.ts';
import { uniqueName } from '../../helpers/names.ts';
import { backupAndWait, createLocation, startTestServer, type TestServer } from '../../helpers/skiff-server.ts';
import { stsCredentialProcess, type StsCredentialProcess } from '../../helpers/sts-credentials.ts';
import { loadTestEnv } from '../../helpers/testenv.ts';

const cluster = adminCluster();
const env = loadTestEnv();
const ns = uniqueName('creds');
let server: TestServer;
const proxies: GatedS3Proxy[] = [];

/** A location on the test bucket reached through `s3Url`, with these extra config keys. */
function locationSpec(s3Url: string, config: Record<string, string>, extra: Record<string, unknown> = {}) {
  return {
    provider: 'aws',
    objectStorage: { bucket: env.s3.bucket, prefix: uniqueName('creds') },
    config: { region: env.s3.region, s3Url, s3ForcePathStyle: 'true', ...config },
    validationFrequency: '1s',
    ...extra,
  };
}

async function locationStatus(name: string): Promise<BackupStorageLocation['status']> {
  const bsl = (await cluster.get(
    resourceRef(Kinds.BackupStorageLocation),
    name,
    server.namespace,
  )) as BackupStorageLocation;
  return bsl.status;
}

function waitForPhase(name: string, phase: string, message?: RegExp): Promise<BackupStorageLocation['status']> {
  return waitFor(`location ${name} ${phase}${message ? ` with ${String(message)}` : ''}`, async () => {
    const status = await locationStatus(name);
    return status?.phase === phase && (message === undefined || message.test(status.message ?? ''))
      ? status
      : undefined;
  });
}

async function proxyFor(sts: StsCredentialProcess): Promise<GatedS3Proxy> {
  const proxy = await GatedS3Proxy.start(env.s3.endpoint, sts.refuseExpired);
  proxies.push(proxy);
  return proxy;
}

describe('credential providers', { concurrency: true }, () => {
  // The backups take one namespace (the Namespace object itself is enough to upload).
  before(async () => {
    [server] = await Promise.all([startTestServer(cluster), createNamespace(cluster, ns)]);
  });
  after(async () => {
    await Promise.all([cluster.delete(core('namespaces'), ns), server.stop(), ...proxies.map((p) => p.close())]);
  });

  test('temporary credentials are refreshed across a backup that outlives them', async () => {
    const lifetimeMs = 10_000;
    const sts = stsCredentialProcess({ reportedLifetimeSeconds: lifetimeMs / 1000 });
    const proxy = await proxyFor(sts);
    await createLocation(cluster, server.namespace, 'sts', locationSpec(proxy.url, { credentialProcess: sts.command }));
    await waitForPhase('sts', 'Available');

    // The tarball upload is held until every credential handed out so far is past its reported
    // expiry (the proxy refuses them from then on) and the backup has run longer than a lifetime.
    const name = uniqueName('long');
    const tarball = `${name}.tar.gz`;
    proxy.hold(tarball);
    const finished = backupAndWait(cluster, server.namespace, name, {
      includedNamespaces: [ns],
      storageLocation: 'sts',
    });
    await proxy.arrived(tarball);
    const heldAt = Date.now();
    const before = sts.issued();
    const expired = Math.max(heldAt + lifetimeMs, ...before.map((c) => Date.parse(c.expiration)));
    await waitFor('the credentials in use to expire', () => Promise.resolve(Date.now() > expired + 100));
    proxy.release(tarball);

    const backup = await finished;
    assert.equal(backup.status?.phase, 'Completed', JSON.stringify(backup.status));
    assert.ok(sts.issued().length > before.length, 'the command ran again during the backup');
    const started = Date.parse(backup.metadata.creationTimestamp ?? '');
    // Both times have second precision.
    assert.ok(Date.parse(backup.status?.completionTimestamp ?? '') - started >= lifetimeMs - 1000);
  });

  test('a revoked credential: the location turns Unavailable naming the reason, and a backup fails at once with it', async () => {
    const sts = stsCredentialProcess({ reportedLifetimeSeconds: 10 });
    const proxy = await proxyFor(sts);
    await createLocation(
      cluster,
      server.namespace,
      'revoked',
      locationSpec(proxy.url, { credentialProcess: sts.command }),
    );
    await waitForPhase('revoked', 'Available');
    sts.revoke();
    const status = await waitForPhase('revoked', 'Unavailable', /access revoked by the test/);
    assert.match(
      status?.message ?? '',
      /spec\.config\.credentialProcess `.*minio-sts-credential-process\.ts.*` failed: it exited with 3/,
    );

    const backup = await backupAndWait(cluster, server.namespace, uniqueName('revoked'), {
      includedNamespaces: [ns],
      storageLocation: 'revoked',
    });
    assert.equal(backup.status?.phase, 'FailedValidation');
    assert.match(
      (backup.status?.validationErrors ?? []).join('\n'),
      /backup storage location "revoked" cannot be used: .*access revoked by the test/,
    );
  });

  test('keys the object store rejects, malformed output and unusable values each give a status naming the problem', async () => {
    const rejected = stsCredentialProcess({ reportedLifetimeSeconds: 600, mode: 'rejected' });
    const malformed = stsCredentialProcess({ reportedLifetimeSeconds: 600, mode: 'malformed' });
    const cases: [string, Record<string, unknown>, RegExp][] = [
      [
        'rejected',
        locationSpec(env.s3.endpoint, { credentialProcess: rejected.command }),
        /denied \(InvalidAccessKeyId\).*credentialProcess/,
      ],
      [
        'malformed',
        locationSpec(env.s3.endpoint, { credentialProcess: malformed.command }),
        /its output has "Version": 2, expected 1/,
      ],
      [
        'unclosed',
        locationSpec(env.s3.endpoint, { credentialProcess: "get-creds --role 'backup" }),
        /`get-creds --role 'backup` cannot be used: its single quote is not closed/,
      ],
      ['piped', locationSpec(env.s3.endpoint, { credentialProcess: 'get-creds | jq .' }), /"\|" would need a shell/],
      [
        'missing',
        locationSpec(env.s3.endpoint, { credentialProcess: '/nonexistent/get-creds' }),
        /"\/nonexistent\/get-creds" was not found/,
      ],
      [
        'both',
        locationSpec(
          env.s3.endpoint,
          { credentialProcess: 'get-creds' },
          { credential: { name: 'cloud-credentials', key: 'cloud' } },
        ),
        /credentialProcess and spec\.credential are mutually exclusive/,
      ],
    ];
    await Promise.all(
      cases.map(async ([name, spec, message]) => {
        await createLocation(cluster, server.namespace, name, spec);
        await waitForPhase(name, 'Unavailable', message);
      }),
    );
  });
});

describe('the AWS default chain when a location names no credentials', { concurrency: false }, () => {
  let chainServer: TestServer;
  let container: Server | undefined;
  const saved = { ...process.env };
  before(async () => {
    chainServer = await startTestServer(cluster);
  });
  after(async () => {
    process.env = saved;
    container?.close();
    await chainServer.stop();
  });

  async function available(config: Record<string, string> = {}): Promise<void> {
    const name = uniqueName('chain');
    await createLocation(cluster, chainServer.namespace, name, locationSpec(env.s3.endpoint, config));
    const bsl = await waitFor(`location ${name} validated`, async () => {
      const b = (await cluster.get(
        resourceRef(Kinds.BackupStorageLocation),
        name,
        chainServer.namespace,
      )) as BackupStorageLocation;
      return b.status?.phase ? b : undefined;
    });
    assert.equal(bsl.status?.phase, 'Available', bsl.status?.message);
  }

  test('keys in the server environment', async () => {
    process.env.AWS_ACCESS_KEY_ID = env.s3.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = env.s3.secretAccessKey;
    await available();
  });

  test('container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI), temporary ones from MinIO STS', async () => {
    const sts = stsCredentialProcess({ reportedLifetimeSeconds: 600 });
    const [file = '', ...args] = sts.argv;
    // The server under test shares this process: the command runs without blocking its event loop.
    const answer = async (res: ServerResponse): Promise<void> => {
      const { stdout } = await promisify(execFile)(file, args, { encoding: 'utf8' });
      const out = JSON.parse(stdout) as Record<string, string>;
      res.writeHead(200, { 'content-type': 'application/json' });
      const { AccessKeyId, SecretAccessKey, SessionToken: Token, Expiration } = out;
      res.end(JSON.stringify({ AccessKeyId, SecretAccessKey, Token, Expiration }));
    };
    container = createServer((_req, res) => void answer(res).catch(() => res.destroy()));
    await new Promise<void>((resolve) => container?.listen(0, '127.0.0.1', resolve));
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    delete process.env.AWS_PROFILE;
    process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = `http://127.0.0.1:${(container.address() as AddressInfo).port}/creds`;
    await available();
    assert.equal(sts.issued().length >= 1, true, 'the credentials came from the container endpoint');
  });
});
