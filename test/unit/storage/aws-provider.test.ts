import assert from 'node:assert/strict';
import { S3Client } from '@aws-sdk/client-s3';
import { Agent } from 'node:https';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import {
  AccessDeniedError,
  BucketNotFoundError,
  EndpointUnreachableError,
  ObjectNotFoundError,
  ObjectStoreRequestError,
  StorageConfigError,
} from '../../../src/storage/errors.ts';
import { create, parseAwsSettings, s3ClientConfig } from '../../../src/storage/providers/aws/index.ts';
import { mapS3Error } from '../../../src/storage/providers/aws/map-error.ts';
import { S3ObjectStore } from '../../../src/storage/providers/aws/s3-object-store.ts';
import { sendOptions } from '../../../src/storage/providers/aws/send-options.ts';

const pick = (s: { serverSideEncryption?: string | undefined; kmsKeyId?: string | undefined }) => ({
  serverSideEncryption: s.serverSideEncryption,
  kmsKeyId: s.kmsKeyId,
});

describe('AWS plugin config keys', () => {
  test('an S3-compatible endpoint: s3Url, path style, and checksums only when required', () => {
    const s = parseAwsSettings('aws', { region: 'minio', s3Url: 'http://minio:9000/', s3ForcePathStyle: 'true' });
    assert.equal(s.endpoint, 'http://minio:9000');
    assert.equal(s.forcePathStyle, true);
    assert.equal(s.checksumsWhenRequired, true);
    assert.equal(s.displayEndpoint, 'http://minio:9000');
    const c = s3ClientConfig(s, { accessKeyId: 'a', secretAccessKey: 'b' });
    assert.equal(c.requestChecksumCalculation, 'WHEN_REQUIRED');
    assert.equal(c.responseChecksumValidation, 'WHEN_REQUIRED');
    assert.equal(c.followRegionRedirects, false);
  });

  test('AWS itself keeps the SDK checksums (Velero defaults to CRC32) and follows region redirects without a region', () => {
    const s = parseAwsSettings('aws', {});
    assert.equal(s.checksumsWhenRequired, false);
    assert.equal(s.region, 'us-east-1');
    assert.equal(s.profile, 'default');
    const c = s3ClientConfig(s, undefined);
    assert.equal(c.followRegionRedirects, true);
    // No profile named: the SDK's default chain, which starts with AWS_ACCESS_KEY_ID.
    assert.equal(c.profile, undefined);
    assert.equal(s3ClientConfig(parseAwsSettings('aws', { profile: 'backup' }), undefined).profile, 'backup');
    assert.equal(c.requestChecksumCalculation, undefined);
  });

  test('checksumAlgorithm "" turns checksums off; a named one is attached to uploads; others are refused', () => {
    assert.equal(parseAwsSettings('aws', { checksumAlgorithm: '' }).checksumsWhenRequired, true);
    assert.equal(parseAwsSettings('aws', { checksumAlgorithm: 'crc32c' }).checksumAlgorithm, 'CRC32C');
    assert.throws(() => parseAwsSettings('aws', { checksumAlgorithm: 'MD5' }), StorageConfigError);
  });

  test('s3Url and publicUrl must be http(s) URLs', () => {
    assert.throws(() => parseAwsSettings('aws', { s3Url: 'minio:9000' }), /spec.config.s3Url/);
    assert.throws(() => parseAwsSettings('aws', { publicUrl: 'ftp://x' }), /must be http or https/);
  });

  test('s3ForcePathStyle and insecureSkipTLSVerify take Go\'s boolean spellings, "" is unset, anything else is refused naming the key', () => {
    for (const yes of ['1', 't', 'T', 'TRUE', 'true', 'True']) {
      const s = parseAwsSettings('aws', { s3ForcePathStyle: yes, insecureSkipTLSVerify: yes });
      assert.equal(s.forcePathStyle, true, yes);
      assert.equal(s.insecureSkipTLSVerify, true, yes);
    }
    for (const no of ['0', 'f', 'F', 'FALSE', 'false', 'False', '']) {
      const s = parseAwsSettings('aws', { s3ForcePathStyle: no, insecureSkipTLSVerify: no });
      assert.equal(s.forcePathStyle, false, no);
      assert.equal(s.insecureSkipTLSVerify, false, no);
    }
    for (const key of ['s3ForcePathStyle', 'insecureSkipTLSVerify']) {
      for (const bad of ['yes', 'on', 'tRUE', ' true']) {
        assert.throws(
          () => parseAwsSettings('aws', { [key]: bad }),
          (err: unknown) =>
            err instanceof StorageConfigError &&
            err.field === `spec.config.${key}` &&
            err.message.startsWith(`spec.config.${key} ${JSON.stringify(bad)} is not a boolean`),
          `${key}=${bad}`,
        );
      }
    }
  });

  test('kmsKeyId implies aws:kms encryption; beside a non-KMS serverSideEncryption it is refused', () => {
    assert.deepEqual(pick(parseAwsSettings('aws', { region: 'eu-west-1', kmsKeyId: 'alias/backups' })), {
      serverSideEncryption: 'aws:kms',
      kmsKeyId: 'alias/backups',
    });
    assert.deepEqual(
      pick(parseAwsSettings('aws', { region: 'eu-west-1', kmsKeyId: 'k', serverSideEncryption: 'aws:kms:dsse' })),
      { serverSideEncryption: 'aws:kms:dsse', kmsKeyId: 'k' },
    );
    assert.deepEqual(pick(parseAwsSettings('aws', { region: 'eu-west-1', serverSideEncryption: 'AES256' })), {
      serverSideEncryption: 'AES256',
      kmsKeyId: undefined,
    });
    assert.throws(
      () => parseAwsSettings('aws', { region: 'eu-west-1', kmsKeyId: 'k', serverSideEncryption: 'AES256' }),
      /spec\.config\.kmsKeyId needs KMS encryption, but spec\.config\.serverSideEncryption is "AES256"/,
    );
  });

  test('resticRepoPrefix must be an S3 restic URL, s3:<host>/<bucket>[/<prefix>]', () => {
    assert.deepEqual(
      parseAwsSettings('aws', { resticRepoPrefix: 's3:s3.amazonaws.com/bkt/custom/path/' }).resticRepoPrefix,
      {
        kind: 's3',
        asWritten: 's3:s3.amazonaws.com/bkt/custom/path',
        host: 's3.amazonaws.com',
        bucket: 'bkt',
        prefix: 'custom/path',
      },
    );
    assert.equal(parseAwsSettings('aws', { resticRepoPrefix: '' }).resticRepoPrefix, undefined);
    for (const bad of ['azure:container:/restic', '/var/restic', 's3:host-only', 's3:host//bkt', 's3:']) {
      assert.throws(
        () => parseAwsSettings('aws', { resticRepoPrefix: bad }),
        (err: unknown) => err instanceof StorageConfigError && err.field === 'spec.config.resticRepoPrefix',
        bad,
      );
    }
  });

  test('a CA bundle or insecureSkipTLSVerify configures the HTTPS agent', () => {
    const s = parseAwsSettings('aws', { s3Url: 'https://s3.local', insecureSkipTLSVerify: 'true' });
    const handler = s3ClientConfig(s, undefined, 'PEM').requestHandler as { httpsAgent?: Agent };
    assert.ok(handler.httpsAgent instanceof Agent);
    assert.equal(handler.httpsAgent.options.ca, 'PEM');
    assert.equal(handler.httpsAgent.options.rejectUnauthorized, false);
  });
});

describe('pre-signed URLs', () => {
  const credentials =
    '[default]\naws_access_key_id=AKIAIOSFODNN7EXAMPLE\naws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n';
  const storeFor = (bucket: string, config: Record<string, string>) =>
    create(
      { provider: 'aws', bucket, config, credential: { namespace: 'velero', name: 'c', key: 'cloud' } },
      { readSecretKey: () => Promise.resolve(credentials) },
    );

  test('on AWS the bucket is in the host name and the URL is signed for the TTL', async () => {
    const store = await storeFor('examplebucket', { region: 'eu-west-1' });
    try {
      const url = new URL(await store.createSignedUrl('backups/b1/b1.tar.gz', 600));
      assert.equal(url.host, 'examplebucket.s3.eu-west-1.amazonaws.com');
      assert.equal(url.pathname, '/backups/b1/b1.tar.gz');
      assert.equal(url.searchParams.get('X-Amz-Expires'), '600');
      assert.match(
        url.searchParams.get('X-Amz-Credential') ?? '',
        /^AKIAIOSFODNN7EXAMPLE\/\d{8}\/eu-west-1\/s3\/aws4_request$/,
      );
      assert.match(url.searchParams.get('X-Amz-Signature') ?? '', /^[0-9a-f]{64}$/);
    } finally {
      store.dispose();
    }
  });

  test('publicUrl is what the URL points at, path style keeps its port, and the TTL is capped at 7 days', async () => {
    const store = await storeFor('velero', {
      region: 'minio',
      s3Url: 'http://minio.velero.svc:9000',
      publicUrl: 'http://public.example:9000',
      s3ForcePathStyle: 'true',
    });
    try {
      const url = new URL(await store.createSignedUrl('backups/b 1/b 1.tar.gz', 30 * 24 * 3600));
      assert.equal(url.host, 'public.example:9000');
      assert.equal(url.pathname, '/velero/backups/b%201/b%201.tar.gz');
      assert.equal(url.searchParams.get('X-Amz-Expires'), String(7 * 24 * 3600));
    } finally {
      store.dispose();
    }
  });
});

describe('S3 error mapping', () => {
  const target = { provider: 'aws', bucket: 'velero', endpoint: 'http://minio:9000' };
  const sdkError = (name: string, status: number) =>
    Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

  test('NoSuchBucket names the bucket and the field to fix', () => {
    const err = mapS3Error(target, sdkError('NoSuchBucket', 404), 'ListObjectsV2', '');
    assert.ok(err instanceof BucketNotFoundError);
    assert.equal(
      err.message,
      'bucket "velero" does not exist at http://minio:9000: create it or fix spec.objectStorage.bucket',
    );
  });

  test('a missing key (GET NoSuchKey or bare HEAD 404) is ObjectNotFoundError', () => {
    assert.ok(mapS3Error(target, sdkError('NoSuchKey', 404), 'GetObject', 'k') instanceof ObjectNotFoundError);
    assert.ok(mapS3Error(target, sdkError('NotFound', 404), 'HeadObject', 'k') instanceof ObjectNotFoundError);
  });

  test('wrong credentials are AccessDeniedError naming the S3 error code', () => {
    for (const name of ['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied']) {
      const err = mapS3Error(target, sdkError(name, 403), 'ListObjectsV2', '');
      assert.ok(err instanceof AccessDeniedError);
      assert.match(err.message, new RegExp(`denied \\(${name}\\): check the credentials`));
      assert.equal(err.transient, false);
    }
  });

  test('a refused connection is a transient EndpointUnreachableError; a bad certificate is not transient', () => {
    const refused = mapS3Error(target, Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), 'GetObject', 'k');
    assert.ok(refused instanceof EndpointUnreachableError);
    assert.equal(refused.transient, true);
    const tls = mapS3Error(
      target,
      Object.assign(new Error('x'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }),
      'GetObject',
      'k',
    );
    assert.equal(tls.transient, false);
  });

  test('throttling and 5xx answers are transient; other answers are not', () => {
    const slow = mapS3Error(target, sdkError('SlowDown', 503), 'PutObject', 'k');
    assert.ok(slow instanceof ObjectStoreRequestError);
    assert.equal(slow.transient, true);
    assert.equal(mapS3Error(target, sdkError('InvalidArgument', 400), 'PutObject', 'k').transient, false);
  });

  test('a wrong region says to set spec.config.region', () => {
    assert.match(
      mapS3Error(target, sdkError('PermanentRedirect', 301), 'ListObjectsV2', '').message,
      /spec.config.region/,
    );
  });
});

test('a spec.config key Skiff would not act on is refused, naming it', () => {
  assert.throws(
    () => parseAwsSettings('aws', { region: 'r', tagging: 'a=b' }),
    /spec\.config\.tagging: object tagging/,
  );
  assert.throws(() => parseAwsSettings('aws', { regoin: 'r' }), /spec\.config\.regoin: it is not a key/);
  assert.throws(() => parseAwsSettings('aws', { signatureVersion: '1' }), /spec\.config\.signatureVersion/);
  assert.doesNotThrow(() => parseAwsSettings('aws', { signatureVersion: '4', enableSharedConfig: 'true' }));
  assert.doesNotThrow(() => parseAwsSettings('aws', { credentialsFile: '/creds', resticRepoPrefix: 's3:x/y' }));
});

describe('S3 requests through the cached middleware stack', () => {
  test('sends without a signal pass no options, so the client resolves a command stack once', () => {
    assert.equal(sendOptions(undefined), undefined);
    const signal = new AbortController().signal;
    assert.equal(sendOptions(signal)?.abortSignal, signal);
    const s = parseAwsSettings('aws', { region: 'minio', s3Url: 'http://minio:9000', s3ForcePathStyle: 'true' });
    assert.equal(s3ClientConfig(s, { accessKeyId: 'a', secretAccessKey: 'b' }).cacheMiddleware, true);
  });

  test('concurrent uploads each reach their own key with their own body and signature', async () => {
    const s = parseAwsSettings('aws', { region: 'minio', s3Url: 'http://minio:9000', s3ForcePathStyle: 'true' });
    const seen: { path: string; body: string; signature: string }[] = [];
    const client = new S3Client({
      ...s3ClientConfig(s, { accessKeyId: 'a', secretAccessKey: 'b' }),
      requestHandler: {
        handle: async (req: { path: string; body: unknown; headers: Record<string, string> }) => {
          // Answer out of order, so that requests overlap inside the shared stack.
          await new Promise((r) => setTimeout(r, Math.random() * 5));
          seen.push({ path: req.path, body: String(req.body), signature: req.headers.authorization ?? '' });
          return { response: { statusCode: 200, headers: {}, body: Readable.from([]) } };
        },
      },
    });
    const store = new S3ObjectStore(client, 'bucket', s);
    await Promise.all(Array.from({ length: 8 }, (_, i) => store.putObject(`dir/key-${i}`, `body-${i}`)));
    assert.equal(seen.length, 8);
    for (const r of seen) {
      const i = /key-(\d)$/.exec(r.path)?.[1];
      assert.equal(r.path, `/bucket/dir/key-${i ?? '?'}`);
      assert.equal(r.body, `body-${i ?? '?'}`);
    }
    assert.equal(new Set(seen.map((r) => r.signature)).size, 8, 'each request is signed for its own key');
    client.destroy();
  });
});
