/**
 * What the volume benchmarks (bench/fs.ts, bench/datamover.ts) share: the random tree they back up and the
 * clean-up of what they wrote to the test bucket.
 */
import { DeleteObjectsCommand, paginateListObjectsV2, S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestEnv } from '../test/helpers/testenv.ts';

export async function writeRandom(path: string, bytes: number): Promise<void> {
  const file = await open(path, 'w');
  const chunk = 8 * 1024 * 1024;
  for (let done = 0; done < bytes; done += chunk) await file.write(randomBytes(Math.min(chunk, bytes - done)));
  await file.close();
}

/** Random data (nothing compresses or deduplicates): half of `size` in `large.bin`, the rest in 4 MiB files under `files/`. */
export async function makeTree(dir: string, size: number): Promise<number> {
  await writeRandom(join(dir, 'large.bin'), Math.floor(size / 2));
  await mkdir(join(dir, 'files'), { recursive: true });
  let rest = size - Math.floor(size / 2);
  for (let i = 0; rest > 0; i++) {
    const n = Math.min(4 * 1024 * 1024, rest);
    await writeRandom(join(dir, 'files', `f-${i}.bin`), n);
    rest -= n;
  }
  return size;
}

/** Deletes everything under `prefix` in the test bucket: each run writes twice the tree's size there. */
export async function deletePrefix(env: TestEnv, prefix: string): Promise<void> {
  const s3 = new S3Client({
    endpoint: env.s3.endpoint,
    region: env.s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: env.s3.accessKeyId, secretAccessKey: env.s3.secretAccessKey },
  });
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: env.s3.bucket, Prefix: `${prefix}/` })) {
    const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
    if (keys.length > 0) {
      await s3.send(new DeleteObjectsCommand({ Bucket: env.s3.bucket, Delete: { Objects: keys, Quiet: true } }));
    }
  }
  s3.destroy();
}
