/**
 * What the volume benchmarks (bench/fs.ts, bench/datamover.ts) share: the `--size` flag, the random tree they
 * back up, the tools run directly on it (the baselines), and the clean-up of what they wrote to the test bucket.
 */
import { DeleteObjectsCommand, paginateListObjectsV2, S3Client } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cpuOf } from './fs-phases.ts';
import { createUploader, type RepositoryTarget } from '../src/volumes/uploader/index.ts';
import type { TestEnv } from '../test/helpers/testenv.ts';

const UNITS: Record<string, number> = { KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, B: 1 };

/** A `--size` value such as 2GiB or 512MiB, in bytes. */
export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(B|KiB|MiB|GiB)$/.exec(text);
  if (!m) throw new Error(`--size "${text}" is not a size such as 2GiB or 512MiB`);
  return Math.round(Number(m[1]) * (UNITS[m[2] ?? 'B'] ?? 1));
}

/** A repository in the test bucket under `prefix`, with the test environment's keys. */
export function benchTarget(env: TestEnv, prefix: string): RepositoryTarget {
  return {
    kind: 's3',
    bucket: env.s3.bucket,
    prefix,
    endpoint: env.s3.endpoint,
    region: env.s3.region,
    forcePathStyle: true,
    insecureSkipTLSVerify: false,
    credentials: { accessKeyId: env.s3.accessKeyId, secretAccessKey: env.s3.secretAccessKey },
  };
}

let lastCpu = 0;

/** CPU seconds (user + system) of the last command `timed` ran to its end. */
export function lastTimedCpu(): number {
  return lastCpu;
}

/** Runs a command to its end; resolves with the seconds it took, rejects with its stderr's tail. */
export function timed(
  command: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const cpuBefore = cpuOf('self').children;
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-2000)));
    child.on('error', reject);
    child.on('close', (code) => {
      lastCpu = cpuOf('self').children - cpuBefore;
      if (code === 0) resolve((performance.now() - start) / 1000);
      else reject(new Error(`${command} exited ${code}: ${err}`));
    });
  });
}

export const DIRECT_PASSWORD = 'static-passw0rd';

/**
 * `kopia snapshot create <dir>` into a fresh repository under `prefix` (set up untimed); the seconds it took.
 * Skiff creates its repositories with 10 MiB packs; kopia run by hand keeps its own default (20 MiB), so the
 * direct repository gets that back: the baseline is kopia as a user runs it.
 */
export async function kopiaDirect(
  env: TestEnv,
  binaries: { kopia: string; restic: string },
  dir: string,
  work: string,
  prefix: string,
): Promise<number> {
  await createUploader(
    { type: 'kopia', target: benchTarget(env, prefix), password: DIRECT_PASSWORD, workDir: work },
    binaries,
  ).initOrConnect();
  const kopiaEnv = {
    ...process.env,
    AWS_ACCESS_KEY_ID: env.s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: env.s3.secretAccessKey,
    KOPIA_PASSWORD: DIRECT_PASSWORD,
    KOPIA_CONFIG_PATH: join(work, 'repository.config'),
    KOPIA_CACHE_DIRECTORY: join(work, 'cache'),
    KOPIA_LOG_DIR: join(work, 'logs'),
    KOPIA_CHECK_FOR_UPDATES: 'false',
  };
  await timed(binaries.kopia, ['repository', 'set-parameters', '--max-pack-size-mb=20'], { env: kopiaEnv });
  return timed(binaries.kopia, ['snapshot', 'create', dir], { env: kopiaEnv });
}

/**
 * Writes dirty pages back and empties the page cache (root only). A data mover reads a snapshot's clone,
 * whose pages were never read, so a fair direct run must read from the disk as well. False when not allowed.
 */
export async function dropPageCache(): Promise<boolean> {
  try {
    await timed('sync', []);
    await writeFile('/proc/sys/vm/drop_caches', '3');
    return true;
  } catch {
    return false;
  }
}

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
