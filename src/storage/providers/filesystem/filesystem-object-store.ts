import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import {
  AccessDeniedError,
  BucketNotFoundError,
  InvalidObjectKeyError,
  ObjectNotFoundError,
  ObjectStoreRequestError,
  type ObjectStoreError,
} from '../../errors.ts';
import type { ObjectBody, ObjectStore, PutObjectOptions } from '../../object-store.ts';
import { invalidKeyReason, invalidPrefixReason, pathInside, UPLOAD_TEMP_PREFIX } from './key-path.ts';

function errnoCode(err: unknown): string | undefined {
  if (err instanceof Error && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}

/**
 * A bucket as a directory `<root>/<bucket>`; a key `a/b/c` is the file `<root>/<bucket>/a/b/c`.
 * Uploads go to a hidden temporary file that is renamed into place, so a reader never sees a
 * half-written object and a crashed upload leaves no object behind.
 */
export class FilesystemObjectStore implements ObjectStore {
  readonly provider = 'filesystem';
  readonly endpoint: string;
  private readonly dir: string;

  constructor(
    readonly root: string,
    readonly bucket: string,
  ) {
    this.endpoint = root;
    this.dir = join(root, bucket);
  }

  async putObject(key: string, body: ObjectBody, opts: PutObjectOptions = {}): Promise<void> {
    const path = this.pathOf(key);
    await this.requireBucket(key);
    const tmp = join(dirname(path), `${UPLOAD_TEMP_PREFIX}${randomBytes(6).toString('hex')}`);
    try {
      await mkdir(dirname(path), { recursive: true });
      if (typeof body === 'string' || Buffer.isBuffer(body)) {
        await writeFile(tmp, body, opts.signal ? { signal: opts.signal } : {});
      } else {
        await pipeline(body, createWriteStream(tmp), opts.signal ? { signal: opts.signal } : {});
      }
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { force: true });
      await this.pruneEmptyParents(dirname(path));
      throw this.mapError(err, 'PutObject', key);
    }
  }

  async getObject(key: string): Promise<Readable> {
    const path = this.pathOf(key);
    try {
      // Opening first makes a missing key reject here, not as a stream error later.
      const handle = await open(path, 'r');
      return handle.createReadStream();
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') throw await this.notFound(key, err);
      throw this.mapError(err, 'GetObject', key);
    }
  }

  async objectExists(key: string): Promise<boolean> {
    const path = this.pathOf(key);
    try {
      return (await stat(path)).isFile();
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        await this.requireBucket(key);
        return false;
      }
      throw this.mapError(err, 'HeadObject', key);
    }
  }

  async *listObjects(prefix: string): AsyncGenerator<string> {
    this.checkPrefix(prefix);
    await this.requireBucket('');
    // Start at the deepest directory the prefix names; the rest of the prefix filters names.
    const base = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/') + 1) : '';
    const keys: string[] = [];
    await this.walk(base, keys);
    // S3 lists in key order; a directory walk does not (`a-b` sorts before `a/b`), so sort.
    keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const key of keys) if (key.startsWith(prefix)) yield key;
  }

  async *listCommonPrefixes(prefix: string, delimiter: string): AsyncGenerator<string> {
    this.checkPrefix(prefix);
    if (delimiter === '/' && (prefix === '' || prefix.endsWith('/'))) {
      // The common case (Velero lists "directories"): one readdir instead of a tree walk.
      await this.requireBucket('');
      const names = (await this.readDir(prefix)).filter((e) => e.isDirectory()).map((e) => e.name);
      for (const name of names.sort()) yield `${prefix}${name}/`;
      return;
    }
    const seen = new Set<string>();
    for await (const key of this.listObjects(prefix)) {
      const at = key.indexOf(delimiter, prefix.length);
      if (at < 0) continue;
      const common = key.slice(0, at + delimiter.length);
      if (!seen.has(common)) {
        seen.add(common);
        yield common;
      }
    }
  }

  async deleteObject(key: string): Promise<void> {
    const path = this.pathOf(key);
    await this.requireBucket(key);
    try {
      await rm(path, { force: true });
    } catch (err) {
      throw this.mapError(err, 'DeleteObject', key);
    }
    await this.pruneEmptyParents(dirname(path));
  }

  createSignedUrl(key: string, _ttlSeconds: number): Promise<string> {
    // A local file needs no signature; the URL is only meaningful on this machine.
    return Promise.resolve(pathToFileURL(this.pathOf(key)).href);
  }

  private pathOf(key: string): string {
    const reason = invalidKeyReason(key);
    if (reason !== null) throw new InvalidObjectKeyError(this, key, reason);
    return pathInside(this.dir, key);
  }

  private checkPrefix(prefix: string): void {
    const reason = invalidPrefixReason(prefix);
    if (reason !== null) throw new InvalidObjectKeyError(this, prefix, reason);
  }

  private async requireBucket(key: string): Promise<void> {
    try {
      if ((await stat(this.dir)).isDirectory()) return;
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw this.mapError(err, 'HeadBucket', key);
    }
    throw new BucketNotFoundError(this, key);
  }

  private async notFound(key: string, cause: unknown): Promise<ObjectStoreError> {
    await this.requireBucket(key);
    return new ObjectNotFoundError(this, key, { cause });
  }

  private async readDir(relDir: string): Promise<import('node:fs').Dirent[]> {
    const dir = relDir === '' ? this.dir : pathInside(this.dir, relDir.slice(0, -1));
    try {
      return await readdir(dir, { withFileTypes: true });
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') return [];
      throw this.mapError(err, 'ListObjects', relDir);
    }
  }

  /** Appends every key under `relDir` (`''` or ending in `/`) to `out`. */
  private async walk(relDir: string, out: string[]): Promise<void> {
    for (const entry of await this.readDir(relDir)) {
      if (entry.name.startsWith(UPLOAD_TEMP_PREFIX)) continue;
      if (entry.isDirectory()) await this.walk(`${relDir}${entry.name}/`, out);
      else if (entry.isFile()) out.push(`${relDir}${entry.name}`);
    }
  }

  /** Removes directories left empty by a delete, as S3 has no directories to leave behind. */
  private async pruneEmptyParents(dir: string): Promise<void> {
    let current = dir;
    while (current !== this.dir && current.startsWith(this.dir)) {
      try {
        await rmdir(current);
      } catch {
        return; // not empty (or already gone): stop climbing
      }
      current = dirname(current);
    }
  }

  private mapError(err: unknown, operation: string, key: string): ObjectStoreError {
    if (err instanceof InvalidObjectKeyError || err instanceof BucketNotFoundError) return err;
    const code = errnoCode(err) ?? 'Error';
    if (code === 'EACCES' || code === 'EPERM') {
      return new AccessDeniedError(this, key, code, `check the permissions of ${this.dir}`, { cause: err });
    }
    const message = err instanceof Error ? err.message : String(err);
    const transient = code === 'EBUSY' || code === 'EAGAIN' || code === 'EMFILE';
    return new ObjectStoreRequestError(this, key, operation, code, { message, transient, cause: err });
  }
}
