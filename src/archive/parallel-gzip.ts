import { PassThrough, type Readable } from 'node:stream';
import { constants, crc32, createDeflateRaw, type DeflateRaw } from 'node:zlib';

export interface ParallelGzipOptions {
  level: number;
  /** Blocks compressed at the same time, each by its own long-lived deflate context. */
  maxInFlight: number;
  /** zlib's output buffer per context: at least the largest block's deflated size. */
  outputChunkSize: number;
}

/** gzip member header: magic, deflate, no flags, no mtime, no extra flags, OS "unix" (as zlib writes). */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03]);
/** A final, empty, fixed-Huffman deflate block: ends the deflate stream after the last full flush. */
const FINAL_EMPTY_BLOCK = Buffer.from([0x03, 0x00]);

/**
 * One gzip stream compressed on several threads at once, the way pigz does it: each block is
 * deflated by one of a few long-lived raw-deflate contexts and ended with a full flush, which
 * byte-aligns the output and forgets the dictionary, so the blocks' outputs concatenate into one
 * valid deflate stream. The CRC-32 and length of the whole input make the single gzip trailer.
 *
 * Why: one zlib stream compresses on one thread at a time, and its per-chunk callbacks run on
 * the main thread, which a backup needs for collecting items (ADR 0003). A fresh zlib context
 * per block would be simpler but allocates ~300 KiB of zlib state each time, which showed up
 * as synchronous GC work on the main thread.
 */
export class ParallelGzip {
  /** The compressed bytes; ends after `end()` once every block is out. */
  readonly output: Readable;
  private readonly sink: PassThrough;
  private readonly contexts: DeflateRaw[] = [];
  private readonly idle: DeflateRaw[] = [];
  private readonly waitingForContext: (() => void)[] = [];
  private readonly queue: Promise<Buffer>[] = [];
  private crc = 0;
  private inputLength = 0;
  private written = 0;
  private pumping = false;
  private ending = false;
  private failure: Error | undefined;
  private waiters: { resolve: () => void; reject: (err: Error) => void }[] = [];

  constructor(private readonly settings: ParallelGzipOptions) {
    for (let i = 0; i < settings.maxInFlight; i++) {
      // Each write is one block, deflated and fully flushed in a single pass on the thread pool:
      // an output buffer bigger than any block's output, instead of zlib's default 16 KiB, saves
      // the main thread a callback per 16 KiB and the separate flush call.
      const context = createDeflateRaw({
        level: settings.level,
        flush: constants.Z_FULL_FLUSH,
        chunkSize: settings.outputChunkSize,
      });
      context.on('error', (err) => this.fail(err));
      this.contexts.push(context);
      this.idle.push(context);
    }
    this.sink = new PassThrough();
    this.output = this.sink;
    this.sink.write(GZIP_HEADER);
    this.written = GZIP_HEADER.length;
    this.sink.on('error', (err) => this.fail(err));
    this.sink.on('close', () => {
      if (!this.sink.writableFinished) this.fail(new Error('output stream closed early'));
    });
  }

  /** Bytes written to `output` so far, header and trailer included. */
  get outputLength(): number {
    return this.written;
  }

  /** True while the caller may go on writing; false means wait for `drained()`. */
  get ready(): boolean {
    return this.queue.length < this.settings.maxInFlight && !this.sink.writableNeedDrain;
  }

  /** Compresses `block`; `release` is called once the block's bytes are no longer read. */
  write(block: Buffer, release: () => void = () => undefined): boolean {
    if (this.failure) throw this.failure;
    this.crc = crc32(block, this.crc);
    this.inputLength += block.length;
    const compressed = this.deflate(block).finally(release);
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

  /** No more blocks: the trailer follows the last one, then the output ends. */
  end(): void {
    if (this.ending) return;
    this.ending = true;
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(this.crc >>> 0, 0);
    // ISIZE is the input length modulo 2^32 (RFC 1952).
    trailer.writeUInt32LE(this.inputLength % 2 ** 32, 4);
    this.queue.push(Promise.resolve(Buffer.concat([FINAL_EMPTY_BLOCK, trailer])));
    void this.pump();
  }

  destroy(err: Error): void {
    this.fail(err);
  }

  /** Deflates one block on a free context; the context's default flush (full) makes it stand alone. */
  private async deflate(block: Buffer): Promise<Buffer> {
    const context = await this.takeContext();
    try {
      return await new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = [];
        const onData = (chunk: Buffer): void => void chunks.push(chunk);
        context.on('data', onData);
        // Output is pushed before the write's callback runs (flowing mode, async zlib).
        context.write(block, (err) => {
          context.off('data', onData);
          if (err) reject(err);
          else resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
        });
      });
    } finally {
      this.giveBack(context);
    }
  }

  private takeContext(): Promise<DeflateRaw> {
    const context = this.idle.pop();
    if (context) return Promise.resolve(context);
    return new Promise((resolve, reject) => {
      this.waitingForContext.push(() => {
        const next = this.idle.pop();
        if (next) resolve(next);
        else reject(this.failure ?? new Error('no compression context left'));
      });
    });
  }

  private giveBack(context: DeflateRaw): void {
    this.idle.push(context);
    this.waitingForContext.shift()?.();
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
        this.written += out.length;
        if (!this.sink.write(out)) await this.outputDrained();
        this.wake();
      }
      if (this.ending && !this.failure && this.queue.length === 0) this.finish();
    } catch (err) {
      this.fail(err instanceof Error ? err : new Error(String(err)));
    } finally {
      this.pumping = false;
    }
  }

  private finish(): void {
    this.sink.end();
    for (const context of this.contexts) context.close();
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
    for (const wake of this.waitingForContext.splice(0)) wake();
    for (const context of this.contexts) context.destroy();
    this.sink.destroy(err);
  }
}
