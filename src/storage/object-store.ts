import type { Readable } from 'node:stream';
import type { ObjectStoreTarget } from './errors.ts';

export type ObjectBody = Buffer | string | Readable;

export interface PutObjectOptions {
  contentType?: string;
  signal?: AbortSignal;
}

/**
 * One bucket of an object store, with Velero's object-store verbs (its plugin
 * `ObjectStore` interface) as promises and streams. Keys are full keys inside the
 * bucket; the BSL prefix is applied by BackupStore, the only code that builds keys.
 *
 * Failures are ObjectStoreError subclasses (errors.ts), never SDK errors.
 */
export interface ObjectStore extends ObjectStoreTarget {
  /** Uploads `body`; a stream is uploaded in bounded parts, so memory stays flat. Replaces an existing object. */
  putObject(key: string, body: ObjectBody, opts?: PutObjectOptions): Promise<void>;
  /** The object's bytes. Rejects with ObjectNotFoundError before any byte is read when the key is absent. */
  getObject(key: string): Promise<Readable>;
  objectExists(key: string): Promise<boolean>;
  /** Every key that starts with `prefix` (a plain string prefix, not a directory), in key order. */
  listObjects(prefix: string): AsyncIterable<string>;
  /**
   * The distinct "directories" under `prefix`: for each key starting with `prefix`, the key up to
   * and including the first `delimiter` after the prefix (S3's CommonPrefixes), e.g. `backups/b1/`.
   */
  listCommonPrefixes(prefix: string, delimiter: string): AsyncIterable<string>;
  /** Removes the object; removing an absent key succeeds, as on S3. */
  deleteObject(key: string): Promise<void>;
  /** A URL that lets anyone holding it GET the object for `ttlSeconds`. */
  createSignedUrl(key: string, ttlSeconds: number): Promise<string>;
  /**
   * Abandons the unfinished multipart uploads of these keys and returns the keys that had one.
   * A process killed mid-upload leaves its parts stored, invisible to a listing and billed.
   * By exact key, since MinIO lists uploads only for a whole key. Absent for stores without
   * multipart uploads.
   */
  abortIncompleteUploads?(keys: readonly string[]): Promise<string[]>;
  /** Releases the store's connections; it is not used afterwards. */
  dispose?(): void;
}

/** Collects an async iterable; for small listings only (the names of backups, a test's keys). */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** Reads a whole object body into memory; for the small companion files only. */
export async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}
