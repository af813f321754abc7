import { PassThrough, type Readable } from 'node:stream';
import { gzip, type ZlibOptions } from 'node:zlib';

export interface ParallelGzipOptions {
  level: number;
  /** Blocks compressed at the same time (each on a libuv pool thread). */
  maxInFlight: number;
}

/**
 * gzip that compresses several blocks at once: each block becomes one gzip member, and the
 * members are emitted in order. RFC 1952 allows a file of several members and every reader
 * we care about treats them as one stream (Go's gzip.Reader, which Velero uses, reads
 * multistream by default; so do Node's gunzip and GNU gzip).
 *
 * Why not one zlib stream: it compresses on one thread at a time, and its per-chunk callbacks
 * run on the main thread; with one call per large block the main thread is left to collecting
 * items, and compression overlaps with it on another core (ADR 0003).
 */
export class ParallelGzip {
  /** The compressed bytes; ends after `end()` once every block is out. */
  readonly output: Readable;
  private readonly sink: PassThrough;
  private readonly options: ZlibOptions;
  private readonly queue: Promise<Buffer>[] = [];
  private pumping = false;
  private ending = false;
  private failure: Error | undefined;
  private waiters: { resolve: () => void; reject: (err: Error) => void }[] = [];

  constructor(private readonly settings: ParallelGzipOptions) {
    this.options = { level: settings.level };
    this.sink = new PassThrough();
    this.output = this.sink;
    this.sink.on('error', (err) => this.fail(err));
    this.sink.on('close', () => {
      if (!this.sink.writableFinished) this.fail(new Error('output stream closed early'));
    });
  }

  /** True while the caller may go on writing; false means wait for `drained()`. */
  get ready(): boolean {
    return this.queue.length < this.settings.maxInFlight && !this.sink.writableNeedDrain;
  }

  /** Compresses `block`; `release` is called once the block's bytes are no longer read. */
  write(block: Buffer, release: () => void = () => undefined): boolean {
    if (this.failure) throw this.failure;
    const compressed = new Promise<Buffer>((resolve, reject) => {
      gzip(block, this.options, (err, out) => {
        release();
        if (err) reject(err);
        else resolve(out);
      });
    });
    compressed.catch(() => undefined);
    this.queue.push(compressed);
    void this.pump();
    return this.ready;
  }

  /** Resolves when `ready` is true again; rejects if compression or the output failed. */
  drained(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.ready) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** No more blocks: the output ends after the last one. */
  end(): void {
    this.ending = true;
    void this.pump();
  }

  destroy(err: Error): void {
    this.fail(err);
  }

  /** Moves finished blocks to the output in their order, one loop at a time. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        const next = this.queue[0];
        if (!next || this.failure) break;
        const out = await next;
        void this.queue.shift();
        if (!this.sink.write(out)) await this.outputDrained();
        this.wake();
      }
      if (this.ending && !this.failure && this.queue.length === 0) this.sink.end();
    } catch (err) {
      this.fail(err instanceof Error ? err : new Error(String(err)));
    } finally {
      this.pumping = false;
    }
  }

  private outputDrained(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.sink.off('drain', done);
        this.sink.off('close', done);
        resolve();
      };
      this.sink.once('drain', done);
      this.sink.once('close', done);
    });
  }

  private wake(): void {
    if (!this.ready) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.resolve();
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const w of this.waiters) w.reject(err);
    this.waiters = [];
    this.sink.destroy(err);
  }
}
