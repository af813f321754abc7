import { Readable } from 'node:stream';
import { BucketNotFoundError, ObjectNotFoundError } from '../../src/storage/errors.ts';
import { readAll, type ObjectBody, type ObjectStore } from '../../src/storage/object-store.ts';

export type MemoryStoreOperation = 'put' | 'get' | 'exists' | 'list' | 'delete' | 'sign';

/**
 * An ObjectStore in a Map, for unit tests of anything that stores backups. Records every
 * call (to assert upload order) and can be told to fail chosen calls.
 */
export class MemoryObjectStore implements ObjectStore {
  readonly provider = 'memory';
  readonly endpoint = 'memory://';
  readonly objects = new Map<string, Buffer>();
  readonly calls: { op: MemoryStoreOperation; key: string }[] = [];
  /** Set to false to make every call fail with BucketNotFoundError. */
  bucketExists = true;
  /** Return an error to make that call fail (after it is recorded, before it has any effect). */
  failWith: (op: MemoryStoreOperation, key: string) => Error | undefined = () => undefined;

  constructor(readonly bucket = 'test-bucket') {}

  /** The object as text (gunzip yourself if needed); undefined when absent. */
  text(key: string): string | undefined {
    return this.objects.get(key)?.toString('utf8');
  }

  keys(): string[] {
    return [...this.objects.keys()].sort();
  }

  async putObject(key: string, body: ObjectBody): Promise<void> {
    this.enter('put', key);
    const data = typeof body === 'string' ? Buffer.from(body) : Buffer.isBuffer(body) ? body : await readAll(body);
    this.objects.set(key, data);
  }

  getObject(key: string): Promise<Readable> {
    return this.run('get', key, () => {
      const data = this.objects.get(key);
      if (data === undefined) throw new ObjectNotFoundError(this, key);
      return Readable.from([data]);
    });
  }

  objectExists(key: string): Promise<boolean> {
    return this.run('exists', key, () => this.objects.has(key));
  }

  async *listObjects(prefix: string): AsyncGenerator<string> {
    this.enter('list', prefix);
    await Promise.resolve();
    for (const key of this.keys()) if (key.startsWith(prefix)) yield key;
  }

  async *listCommonPrefixes(prefix: string, delimiter: string): AsyncGenerator<string> {
    this.enter('list', prefix);
    await Promise.resolve();
    const seen = new Set<string>();
    for (const key of this.keys()) {
      if (!key.startsWith(prefix)) continue;
      const at = key.indexOf(delimiter, prefix.length);
      if (at >= 0) seen.add(key.slice(0, at + delimiter.length));
    }
    yield* [...seen].sort();
  }

  deleteObject(key: string): Promise<void> {
    return this.run('delete', key, () => {
      this.objects.delete(key);
    });
  }

  createSignedUrl(key: string, ttlSeconds: number): Promise<string> {
    return this.run('sign', key, () => `memory://${this.bucket}/${key}?ttl=${ttlSeconds}`);
  }

  /** Failures become rejections, as from a real store. */
  private run<T>(op: MemoryStoreOperation, key: string, f: () => T): Promise<T> {
    try {
      this.enter(op, key);
      return Promise.resolve(f());
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private enter(op: MemoryStoreOperation, key: string): void {
    this.calls.push({ op, key });
    if (!this.bucketExists) throw new BucketNotFoundError(this, key);
    const err = this.failWith(op, key);
    if (err) throw err;
  }
}
