import { S3Client } from '@aws-sdk/client-s3';
import { loadTestEnv } from './testenv.ts';

/** A plain S3 client on the environment's object store, for what Skiff's own store does not expose. */
export function testS3Client(): S3Client {
  const { s3 } = loadTestEnv();
  return new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
}
