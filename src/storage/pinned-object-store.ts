import { Readable } from 'node:stream';
import { ObjectNotFoundError } from './errors.ts';
import { collect, readAll, type ObjectBody, type ObjectStore, type PutObjectOptions } from './object-store.ts';

/**
 * An object store in which some keys are answered from bytes read once, and checked, before:
 * a key's bytes, or null for a key that was absent then. A check and the use of what it checked
 * then see the same bytes, even when the bucket changes in between (a tenant restore's sealed
 * companion files: checked against the seal, then acted on). Every other key, and every write,
 * goes to the store underneath.
 */
export class PinnedObjectStore implements ObjectStore {
  readonly provider: string;
  readonly bucket: string;
  readonly endpoint: string;
  readonly abortIncompleteUploads?: (keys: readonly string[]) => Promise<string[]>;

  private constructor(
    private readonly inner: ObjectStore,
    private readonly pins: ReadonlyMap<string, Buffer | null>,
  ) {
    this.provider = inner.provider;
    this.bucket = inner.bucket;
    this.endpoint = inner.endpoint;
    const abort = inner.abortIncompleteUploads?.bind(inner);
    if (abort) this.abortIncompleteUploads = abort;
  }

  /** Reads each of `keys` once (absent ones pinned as absent) and answers them from then on. */
  static async pin(inner: ObjectStore, keys: readonly string[]): Promise<PinnedObjectStore> {
    const pins = new Map<string, Buffer | null>();
    await Promise.all(
      keys.map(async (key) => {
        try {
          pins.set(key, await readAll(await inner.getObject(key)));
        } catch (err) {
          if (!(err instanceof ObjectNotFoundError)) throw err;
          pins.set(key, null);
        }
      }),
    );
    return new PinnedObjectStore(inner, pins);
  }

  getObject(key: string): Promise<Readable> {
    const pinned = this.pins.get(key);
    if (pinned === undefined) return this.inner.getObject(key);
    if (pinned === null) return Promise.reject(new ObjectNotFoundError(this, key));
    return Promise.resolve(Readable.from([pinned]));
  }

  objectExists(key: string): Promise<boolean> {
    const pinned = this.pins.get(key);
    return pinned === undefined ? this.inner.objectExists(key) : Promise.resolve(pinned !== null);
  }

  /** The listing underneath, with the pinned keys as they were read. */
  async *listObjects(prefix: string): AsyncIterable<string> {
    const pinnedHere = [...this.pins.keys()].filter((k) => k.startsWith(prefix));
    if (pinnedHere.length === 0) {
      yield* this.inner.listObjects(prefix);
      return;
    }
    // Only a prefix holding pinned keys (one backup's folder: a dozen keys) is collected.
    const keys = new Set(await collect(this.inner.listObjects(prefix)));
    for (const key of pinnedHere) {
      if (this.pins.get(key) === null) keys.delete(key);
      else keys.add(key);
    }
    yield* [...keys].sort();
  }

  listCommonPrefixes(prefix: string, delimiter: string): AsyncIterable<string> {
    return this.inner.listCommonPrefixes(prefix, delimiter);
  }

  putObject(key: string, body: ObjectBody, opts?: PutObjectOptions): Promise<void> {
    if (this.pins.has(key)) return Promise.reject(new Error(`object "${key}" is pinned: it is read-only here`));
    return this.inner.putObject(key, body, opts);
  }

  deleteObject(key: string): Promise<void> {
    if (this.pins.has(key)) return Promise.reject(new Error(`object "${key}" is pinned: it is read-only here`));
    return this.inner.deleteObject(key);
  }

  createSignedUrl(key: string, ttlSeconds: number): Promise<string> {
    return this.inner.createSignedUrl(key, ttlSeconds);
  }

  // No dispose: the connections are the store underneath's, whose owner releases them.
}
