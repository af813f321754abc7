/**
 * Volume trees for file-system backup tests: one with every kind of entry a restore must
 * bring back identically (issue 14, integrity), and a digest of a tree to compare two.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, lstat, mkdir, open, readdir, readlink, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface RichTreeOptions {
  /** Size of the large file (random data); default 8 MiB. */
  largeBytes?: number;
  /** Apparent size of the sparse file (only 2 small extents hold data); default 64 MiB. */
  sparseBytes?: number;
  smallFiles?: number;
}

export const SPARSE_FILE = 'sparse.img';
export const LARGE_FILE = 'large.bin';

/** Writes a tree with bytes, modes, mtimes, symlinks, empty directories, a sparse and a large file. */
export async function makeRichTree(dir: string, options: RichTreeOptions = {}): Promise<void> {
  const largeBytes = options.largeBytes ?? 8 * 1024 * 1024;
  const sparseBytes = options.sparseBytes ?? 64 * 1024 * 1024;
  await mkdir(join(dir, 'docs/nested/deeper'), { recursive: true });
  await mkdir(join(dir, 'empty-dir'), { recursive: true });
  await mkdir(join(dir, 'docs/empty-too'), { recursive: true });
  for (let i = 0; i < (options.smallFiles ?? 50); i++) {
    await writeFile(join(dir, 'docs', `file-${i}.txt`), `small file ${i}\n`.repeat(i + 1));
  }
  await writeFile(join(dir, 'docs/nested/deeper/data.json'), JSON.stringify({ hello: 'world' }));
  await writeFile(join(dir, 'empty-file'), '');
  await writeFile(join(dir, 'script.sh'), '#!/bin/sh\necho hi\n');
  await chmod(join(dir, 'script.sh'), 0o755);
  await writeFile(join(dir, 'secret.txt'), 'only me\n');
  await chmod(join(dir, 'secret.txt'), 0o600);
  await chmod(join(dir, 'docs/nested'), 0o750);
  await symlink('docs/nested/deeper/data.json', join(dir, 'link-to-data'));
  await symlink('/nonexistent/target', join(dir, 'dangling-link'));
  // Large: random, so it neither compresses nor deduplicates.
  const large = await open(join(dir, LARGE_FILE), 'w');
  const chunk = 1024 * 1024;
  for (let done = 0; done < largeBytes; done += chunk) {
    const n = Math.min(chunk, largeBytes - done);
    await large.write(randomBytes(n), 0, n);
  }
  await large.close();
  // Sparse: data at the start and the end, a hole in between.
  const sparse = await open(join(dir, SPARSE_FILE), 'w');
  await sparse.write(Buffer.from('head of the sparse file\n'), 0, undefined, 0);
  await sparse.write(Buffer.from('tail of the sparse file\n'), 0, undefined, sparseBytes - 24);
  await sparse.close();
  // Fixed mtimes (files, then directories, deepest first) so a restore must really keep them;
  // each directory older than the files in it and than its neighbours, so a tool that stores a
  // directory's time as the newest time inside it (kopia) would be caught.
  const when = new Date('2024-03-04T05:06:07.123Z');
  for (const entry of (await digestTree(dir)).filter((e) => e.type === 'file')) {
    await utimes(join(dir, entry.path), when, when);
  }
  const dirs = (await digestTree(dir)).filter((e) => e.type === 'dir').reverse();
  for (const [i, entry] of dirs.entries()) {
    const older = new Date(when.getTime() - (i + 1) * 3_600_000 - 321);
    await utimes(join(dir, entry.path), older, older);
  }
}

export interface TreeEntry {
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'other';
  mode: string;
  /** Modification time in ms (directories and files; symlinks' own times are not compared). */
  mtimeMs?: number;
  size?: number;
  sha256?: string;
  target?: string;
}

/** Every entry under `dir` (not `dir` itself, and not a `.velero` marker folder), sorted by path. */
export async function digestTree(dir: string, options: { skipVelero?: boolean } = {}): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [];
  const walk = async (rel: string): Promise<void> => {
    const names = (await readdir(join(dir, rel))).sort();
    for (const name of names) {
      const path = rel ? `${rel}/${name}` : name;
      if (options.skipVelero && path === '.velero') continue;
      const st = await lstat(join(dir, path));
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) {
        out.push({ path, type: 'symlink', mode: '', target: await readlink(join(dir, path)) });
      } else if (st.isDirectory()) {
        out.push({ path, type: 'dir', mode, mtimeMs: Math.floor(st.mtimeMs) });
        await walk(path);
      } else if (st.isFile()) {
        out.push({
          path,
          type: 'file',
          mode,
          mtimeMs: Math.floor(st.mtimeMs),
          size: st.size,
          sha256: await sha256File(join(dir, path)),
        });
      } else {
        out.push({ path, type: 'other', mode });
      }
    }
  };
  await walk('');
  return out;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A file of `bytes` random bytes (neither compressible nor deduplicable), written 8 MiB at a time. */
export async function writeRandomFile(path: string, bytes: number): Promise<void> {
  const file = await open(path, 'w');
  const chunk = 8 * 1024 * 1024;
  for (let done = 0; done < bytes; done += chunk) await file.write(randomBytes(Math.min(chunk, bytes - done)));
  await file.close();
}

/** One SHA-256 over a tree's digest: equal trees have equal sums. */
export function treeSum(entries: readonly TreeEntry[]): string {
  return createHash('sha256').update(JSON.stringify(entries)).digest('hex');
}

/** Bytes the file really occupies on disk (less than its size when it has holes). */
export async function allocatedBytes(path: string): Promise<number> {
  return (await lstat(path)).blocks * 512;
}

export interface VolumeDataOptions {
  smallFiles: number;
  /** Folders under `small/` the small files are spread over. */
  folders: number;
  largeBytes: number;
}

/**
 * Application-like volume data: small text files (their content names `seed`) under
 * `small/<n>/`, and LARGE_FILE of one random MiB repeated: real bytes on disk, no holes.
 */
export async function writeVolumeData(dir: string, seed: string, o: VolumeDataOptions): Promise<void> {
  for (let i = 0; i < o.smallFiles; i++) {
    const sub = join(dir, 'small', String(i % o.folders));
    if (i < o.folders) await mkdir(sub, { recursive: true });
    await writeFile(join(sub, `f-${i}.txt`), `${seed} file ${i}\n`.repeat((i % 7) + 1));
  }
  const block = randomBytes(1024 * 1024);
  const f = await open(join(dir, LARGE_FILE), 'w');
  for (let done = 0; done < o.largeBytes; done += block.length) await f.write(block);
  await f.close();
}
