import type { Readable } from 'node:stream';
import { constants as zlibConstants, createGzip, type Gzip } from 'node:zlib';
import { pack as createPack, type Pack } from 'tar-stream';
import { ArchiveError, ArchiveErrorCode } from './errors.ts';
import { itemEntryPaths, METADATA_VERSION_CONTENT, METADATA_VERSION_PATH, type ArchiveItemLocation } from './layout.ts';

/** One object to store: where it goes (§2.4) plus its compact JSON. */
export interface ArchiveItem extends ArchiveItemLocation {
  /** Compact JSON of the object, no trailing newline (§2.4). Written as given. */
  json: Buffer | string;
}

export interface BackupArchiveWriterOptions {
  /**
   * `mtime` of every tar header. Velero stamps the write time (§2.4); we take the backup's
   * start time instead so the same items always give the same bytes. Defaults to now.
   */
  mtime?: Date;
  /** Size of the blocks handed to gzip. tar-stream emits many tiny chunks (512-byte headers,
   * padding); batching them is what keeps 200k entries fast and memory flat (STYLE.md). */
  chunkSize?: number;
  /** Defaults to zlib's default level, as Velero uses (§2.2). */
  gzipLevel?: number;
}

/** Velero writes every entry with mode 0755 (§2.4), odd as that is for JSON files. */
const ENTRY_MODE = 0o755;
const DEFAULT_CHUNK_SIZE = 64 * 1024;

/**
 * Streams a backup tarball in Velero's layout (§2.4): gzip-compressed tar, regular-file
 * entries only, `metadata/version` first. Pipe `stream` into the upload *before* adding items:
 * `addItem` only resolves once the data was accepted, so a slow upload slows the backup down
 * instead of filling memory.
 */
export class BackupArchiveWriter {
  /** The `.tar.gz` bytes. Ends after `finalize()`; errors if the writer is aborted. */
  readonly stream: Readable;
  private readonly pack: Pack;
  private readonly gzip: Gzip;
  private readonly mtime: Date;
  private readonly chunkSize: number;
  private chunk: Buffer;
  private chunkUsed = 0;
  private finalizing = false;
  private failure: Error | undefined;
  private readonly handedOver: Promise<void>;
  private entries = 0;
  private tarBytes = 0;

  constructor(options: BackupArchiveWriterOptions = {}) {
    this.mtime = options.mtime ?? new Date();
    this.chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    this.chunk = Buffer.allocUnsafe(this.chunkSize);
    this.pack = createPack();
    this.gzip = createGzip({ level: options.gzipLevel ?? zlibConstants.Z_DEFAULT_COMPRESSION });
    this.stream = this.gzip;
    this.handedOver = this.connect();
    // Marks errors on this promise as handled; a failure also rejects every later call.
    this.handedOver.catch(() => undefined);
    // §2.4: the first entry is the format version marker.
    this.writeEntry(METADATA_VERSION_PATH, Buffer.from(METADATA_VERSION_CONTENT)).catch(() => undefined);
  }

  /** Number of tar entries accepted so far, including `metadata/version` and both copies of preferred items. */
  get entryCount(): number {
    return this.entries;
  }

  /** Uncompressed tar bytes handed to gzip so far. */
  get uncompressedBytes(): number {
    return this.tarBytes;
  }

  /**
   * Adds one item at every path Velero writes for it (§2.4: twice when at the preferred
   * version). The copies are queued together, so they are adjacent in the tarball even when
   * several workers add items at once. Resolves when the data was accepted downstream.
   */
  async addItem(item: ArchiveItem): Promise<void> {
    const paths = itemEntryPaths(item);
    const data = typeof item.json === 'string' ? Buffer.from(item.json) : item.json;
    await Promise.all(paths.map((path) => this.writeEntry(path, data)));
  }

  /**
   * Adds one entry at a path the caller already has, e.g. when a finalizer copies an old
   * tarball into a new one (§2.4 "Finalize rewrite"). Prefer `addItem` for new items.
   */
  async addEntry(path: string, data: Buffer): Promise<void> {
    await this.writeEntry(path, data);
  }

  /**
   * Ends the tarball. Resolves when all bytes were handed to gzip; the upload reading
   * `stream` tells when the compressed output is complete.
   */
  async finalize(): Promise<void> {
    if (this.failure) throw this.failure;
    if (!this.finalizing) {
      this.finalizing = true;
      this.pack.finalize();
    }
    await this.handedOver;
  }

  /** Stops writing and makes `stream` fail, so a half-written tarball is never uploaded as complete. */
  abort(reason: Error): void {
    this.fail(reason);
  }

  private writeEntry(path: string, data: Buffer): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.finalizing) {
      return Promise.reject(
        new ArchiveError(ArchiveErrorCode.WriterClosed, `cannot add ${path}: the archive was finalized`, { path }),
      );
    }
    return new Promise((resolve, reject) => {
      const header = { name: path, size: data.length, mode: ENTRY_MODE, mtime: this.mtime, type: 'file' as const };
      this.pack.entry(header, data, (err) => {
        if (err) {
          reject(this.failure ?? closedError(path, err));
          return;
        }
        this.entries++;
        resolve();
      });
    });
  }

  /** Moves tar bytes into gzip in `chunkSize` blocks, pausing tar while gzip is full. */
  private connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pack.on('data', (chunk) => {
        const data = chunk as Buffer;
        this.tarBytes += data.length;
        if (!this.append(data)) {
          this.pack.pause();
          this.gzip.once('drain', () => this.pack.resume());
        }
      });
      this.pack.on('end', () => {
        this.flush();
        this.gzip.end();
        resolve();
      });
      this.pack.on('error', (err: Error) => {
        this.fail(err);
        reject(this.failure ?? err);
      });
      this.gzip.on('error', (err) => this.fail(closedError('the output', err)));
      this.gzip.on('close', () => {
        if (!this.gzip.writableFinished) this.fail(closedError('the output', new Error('output stream closed early')));
      });
    });
  }

  /** Copies `data` into the current block; returns false when gzip asks us to wait. */
  private append(data: Buffer): boolean {
    let ok = true;
    if (data.length >= this.chunkSize) {
      ok = this.flush();
      return this.gzip.write(data) && ok;
    }
    if (this.chunkUsed + data.length > this.chunkSize) ok = this.flush();
    data.copy(this.chunk, this.chunkUsed);
    this.chunkUsed += data.length;
    if (this.chunkUsed === this.chunkSize) ok = this.flush() && ok;
    return ok;
  }

  private flush(): boolean {
    if (this.chunkUsed === 0) return true;
    // gzip keeps a reference until it has compressed the block, so each block is fresh memory.
    const block = this.chunk.subarray(0, this.chunkUsed);
    this.chunk = Buffer.allocUnsafe(this.chunkSize);
    this.chunkUsed = 0;
    return this.gzip.write(block);
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err instanceof ArchiveError ? err : closedError('the archive', err);
    this.pack.destroy(this.failure);
    this.gzip.destroy(this.failure);
  }
}

function closedError(what: string, cause: unknown): ArchiveError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new ArchiveError(ArchiveErrorCode.WriterClosed, `cannot write ${what}: ${detail}`, { cause });
}
