import type { Readable } from 'node:stream';
import { ArchiveError, ArchiveErrorCode } from './errors.ts';
import {
  itemEntryDirs,
  itemFileName,
  METADATA_VERSION_CONTENT,
  METADATA_VERSION_PATH,
  type ArchiveItemLocation,
} from './layout.ts';
import { ParallelGzip } from './parallel-gzip.ts';
import { EntryFile, EntryFolder, TAR_END, TarHeaderEncoder, tarPaddingLength } from './tar-header.ts';

/** One object to store: where it goes (§2.4) plus its compact JSON. */
export interface ArchiveItem extends ArchiveItemLocation {
  /**
   * Compact JSON of the object, no trailing newline (§2.4). Written as given; pieces are
   * written one after the other (an object as the API server served it, after its apiVersion).
   */
  json: EntryData;
}

/** An entry's bytes: text (written as UTF-8), bytes, or bytes in pieces. */
export type EntryData = Buffer | string | readonly Buffer[];

function dataLength(data: EntryData): number {
  if (typeof data === 'string') return Buffer.byteLength(data);
  if (Buffer.isBuffer(data)) return data.length;
  let length = 0;
  for (const piece of data) length += piece.length;
  return length;
}

/** Writes `data` into `buf` at `at`. */
function writeData(buf: Buffer, at: number, data: EntryData): void {
  if (typeof data === 'string') buf.write(data, at, 'utf8');
  else if (Buffer.isBuffer(data)) buf.set(data, at);
  else
    for (const piece of data) {
      buf.set(piece, at);
      at += piece.length;
    }
}

export interface BackupArchiveWriterOptions {
  /**
   * `mtime` of every tar header. Velero stamps the write time (§2.4); we take the backup's
   * start time instead so the same items always give the same bytes. Defaults to now.
   */
  mtime?: Date;
  /** Size of the blocks handed to gzip: one zlib call (and one gzip member) per block. */
  chunkSize?: number;
  /** Defaults to DEFAULT_GZIP_LEVEL. */
  gzipLevel?: number;
}

/**
 * zlib level 3. Velero gzips at the default level (6, §2.2), but any level reads the same. On
 * bench:backup's objects (10,010, a 29 MiB tar: each item twice, padded to 512 bytes) deflate
 * took 143 ms of CPU at level 6 for a 693 KiB tarball, 40 ms at level 3 for 953 KiB; levels 1
 * and 2 were no faster and larger (1,080 KiB at level 1), and level 4 already took 132 ms. The
 * compression threads share the cores with the API server, so the backup takes level 3: a
 * third of the CPU for a tarball 1.4x larger.
 */
export const DEFAULT_GZIP_LEVEL = 3;

/** Velero writes every entry with mode 0755 (§2.4), odd as that is for JSON files. */
const ENTRY_MODE = 0o755;
const DEFAULT_CHUNK_SIZE = 512 * 1024;
/** Blocks compressed at once: enough to keep two cores busy while the next one fills. */
const GZIP_IN_FLIGHT = 3;

/**
 * Streams a backup tarball in Velero's layout (§2.4): gzip-compressed tar, regular-file
 * entries only, `metadata/version` first. Pipe `stream` into the upload *before* adding items.
 *
 * Entries are encoded synchronously into large blocks (ADR 0003). `writeItem` tells when
 * gzip is full and the caller must wait for `drained()`; `addItem` does both, so a slow
 * upload slows the backup down instead of filling memory.
 */
export class BackupArchiveWriter {
  /** The `.tar.gz` bytes. Ends after `finalize()`; errors if the writer is aborted. */
  readonly stream: Readable;
  private readonly gzip: ParallelGzip;
  private readonly headers: TarHeaderEncoder;
  private readonly chunkSize: number;
  /** Entry folders per type, version and namespace: the same for thousands of items. */
  private readonly folders = new Map<string, EntryFolder[]>();
  /** The last item's location and folders: items mostly come a page of one type and namespace at a time. */
  private lastLocation: Omit<ArchiveItemLocation, 'name'> | undefined;
  private lastFolders: EntryFolder[] = [];
  private chunk: Buffer;
  /**
   * Blocks gzip has finished reading, for reuse. Fresh blocks would each be garbage that V8
   * frees only when external memory has grown by tens of MiB: measured as the largest part of
   * the difference between the peak RSS of a 10,000- and a 50,000-object backup.
   */
  private readonly spare: Buffer[] = [];
  private chunkUsed = 0;
  private finalizing = false;
  private failure: Error | undefined;
  private entries = 0;
  private tarBytes = 0;

  constructor(options: BackupArchiveWriterOptions = {}) {
    this.headers = new TarHeaderEncoder(ENTRY_MODE, Math.floor((options.mtime ?? new Date()).getTime() / 1000));
    this.chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    this.chunk = Buffer.allocUnsafe(this.chunkSize);
    this.gzip = new ParallelGzip({
      level: options.gzipLevel ?? DEFAULT_GZIP_LEVEL,
      maxInFlight: GZIP_IN_FLIGHT,
      // Room for a block even when it does not compress, and for several when it does.
      outputChunkSize: 2 * this.chunkSize,
    });
    this.stream = this.gzip.output;
    this.stream.on('error', (err) => this.fail(closedError('the output', err)));
    // §2.4: the first entry is the format version marker.
    this.writeEntries([METADATA_VERSION_PATH], METADATA_VERSION_CONTENT);
  }

  /** Number of tar entries accepted so far, including `metadata/version` and both copies of preferred items. */
  get entryCount(): number {
    return this.entries;
  }

  /** Compressed bytes handed to `stream` so far: the tarball's size once it has ended. */
  get compressedBytes(): number {
    return this.gzip.outputLength;
  }

  /** Uncompressed tar bytes accepted so far. */
  get uncompressedBytes(): number {
    return this.tarBytes;
  }

  /**
   * Adds one item at every path Velero writes for it (§2.4: twice when at the preferred
   * version), adjacent in the tarball. Returns false when gzip is full: wait for `drained()`
   * before the next write. Throws an ArchiveError for an unusable location (nothing is
   * written then) or a closed writer.
   */
  writeItem(item: ArchiveItem): boolean {
    const folders = this.foldersOf(item);
    const file = new EntryFile(itemFileName(item.name));
    if (this.failure || this.finalizing) this.assertOpen((folders[0]?.path ?? '') + file.name);
    const { json } = item;
    const size = dataLength(json);
    const padding = tarPaddingLength(size);
    let total = 0;
    for (const folder of folders) total += this.headers.lengthIn(folder, file) + size + padding;
    const buf = this.reserve(total);
    let at = this.chunkUsed;
    let dataAt = -1;
    for (const folder of folders) {
      at = this.headers.writeIn(buf, at, folder, file, size);
      at = this.writeBody(buf, at, json, size, dataAt);
      dataAt = at - size - padding;
    }
    return this.accepted(at, folders.length, total);
  }

  /** The entry folders of an item's type, version and namespace. */
  private foldersOf(loc: Omit<ArchiveItemLocation, 'name'>): EntryFolder[] {
    const last = this.lastLocation;
    if (
      last &&
      last.resource === loc.resource &&
      last.namespace === loc.namespace &&
      last.group === loc.group &&
      last.version === loc.version &&
      last.preferredVersion === loc.preferredVersion &&
      last.namespaced === loc.namespaced
    )
      return this.lastFolders;
    const key = `${loc.group}\0${loc.resource}\0${loc.version}\0${String(loc.preferredVersion)}\0${String(loc.namespaced)}\0${loc.namespace ?? ''}`;
    let folders = this.folders.get(key);
    if (!folders) {
      folders = itemEntryDirs(loc).map((dir) => new EntryFolder(dir));
      this.folders.set(key, folders);
    }
    const { group, resource, version, preferredVersion, namespaced, namespace } = loc;
    this.lastLocation = { group, resource, version, preferredVersion, namespaced, namespace };
    this.lastFolders = folders;
    return folders;
  }

  /** `writeItem`, then the wait it may ask for. */
  async addItem(item: ArchiveItem): Promise<void> {
    if (!this.writeItem(item)) await this.drained();
  }

  /** Resolves once gzip has room again (at once if it has); rejects if the writer failed. */
  drained(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return this.gzip.drained().catch((err: unknown) => {
      throw this.failure ?? closedError('the output', err);
    });
  }

  /**
   * Ends the tarball. Resolves when all bytes were handed to gzip; the upload reading
   * `stream` tells when the compressed output is complete.
   */
  finalize(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (!this.finalizing) {
      this.finalizing = true;
      this.append(TAR_END);
      this.flush();
      this.gzip.end();
    }
    return Promise.resolve();
  }

  /** Stops writing and makes `stream` fail, so a half-written tarball is never uploaded as complete. */
  abort(reason: Error): void {
    this.fail(reason);
  }

  /** Writes one entry per path, all holding `data`, encoded once and copied. */
  private writeEntries(paths: string[], data: EntryData): boolean {
    this.assertOpen(paths[0] ?? '');
    const size = dataLength(data);
    const padding = tarPaddingLength(size);
    let total = 0;
    for (const path of paths) total += this.headers.length(path) + size + padding;
    const buf = this.reserve(total);
    let at = this.chunkUsed;
    let dataAt = -1;
    for (const path of paths) {
      at = this.headers.write(buf, at, path, size);
      at = this.writeBody(buf, at, data, size, dataAt);
      dataAt = at - size - padding;
    }
    return this.accepted(at, paths.length, total);
  }

  /**
   * An entry's data and padding at `at`: copied from `dataAt` when an earlier entry of the same
   * item holds it already (-1: none does). Returns the position after the padding.
   */
  private writeBody(buf: Buffer, at: number, data: EntryData, size: number, dataAt: number): number {
    const padding = tarPaddingLength(size);
    // The typed-array methods: Buffer's copy and fill check their arguments in JavaScript first.
    if (dataAt >= 0) buf.copyWithin(at, dataAt, dataAt + size);
    else writeData(buf, at, data);
    at += size;
    if (padding > 0) Uint8Array.prototype.fill.call(buf, 0, at, at + padding);
    return at + padding;
  }

  /** Books entries written up to `at` in the current block; the block goes to gzip once full. */
  private accepted(at: number, entries: number, bytes: number): boolean {
    this.chunkUsed = at;
    this.entries += entries;
    this.tarBytes += bytes;
    if (this.chunkUsed >= this.chunk.length) this.flush();
    return this.gzip.ready;
  }

  /** The block to write `length` bytes into at `chunkUsed`: the current one, or a fresh (larger if need be) one. */
  private reserve(length: number): Buffer {
    if (this.chunkUsed + length <= this.chunk.length) return this.chunk;
    this.flush();
    if (length > this.chunk.length) this.chunk = Buffer.allocUnsafe(length);
    return this.chunk;
  }

  private append(data: Buffer): void {
    this.reserve(data.length);
    data.copy(this.chunk, this.chunkUsed);
    this.chunkUsed += data.length;
    this.tarBytes += data.length;
  }

  private flush(): void {
    if (this.chunkUsed === 0) return;
    const whole = this.chunk;
    const block = whole.subarray(0, this.chunkUsed);
    this.chunk = this.spare.pop() ?? Buffer.allocUnsafe(this.chunkSize);
    this.chunkUsed = 0;
    // gzip reads the block until it calls back: only then may the block be filled again.
    this.gzip.write(block, () => {
      if (whole.length === this.chunkSize && this.spare.length < GZIP_IN_FLIGHT) this.spare.push(whole);
    });
  }

  private assertOpen(path: string): void {
    if (this.failure) throw this.failure;
    if (this.finalizing) {
      throw new ArchiveError(ArchiveErrorCode.WriterClosed, `cannot add ${path}: the archive was finalized`, { path });
    }
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err instanceof ArchiveError ? err : closedError('the archive', err);
    this.gzip.destroy(this.failure);
  }
}

function closedError(what: string, cause: unknown): ArchiveError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new ArchiveError(ArchiveErrorCode.WriterClosed, `cannot write ${what}: ${detail}`, { cause });
}
