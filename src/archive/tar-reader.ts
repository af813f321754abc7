import { Writable } from 'node:stream';
import { ArchiveError, ArchiveErrorCode } from './errors.ts';
import { BLOCK_SIZE } from './tar-header.ts';

/**
 * Reads the entries of an (uncompressed) tar stream: POSIX ustar, with PAX extended headers
 * and GNU long names, which is what Velero (Go's archive/tar), tar-stream and GNU tar write.
 *
 * Why not tar-stream's extractor: it runs a small stream per entry and decodes every header
 * field into a Buffer view, which cost more CPU than the rest of reading a backup (measured at
 * 10,000 items, 20,000 entries: ~0.6 s of CPU to read the catalogue, most of it there and in the
 * garbage it made). Here the inflated chunks are cut into entries synchronously, and each entry
 * comes out whole (its data copied out of the chunk), so nothing holds a chunk alive.
 */

/** Entry types by typeflag, named as tar-stream names them (messages and callers use the names). */
const TYPES: Record<number, string> = {
  0: 'file',
  1: 'link',
  2: 'symlink',
  3: 'character-device',
  4: 'block-device',
  5: 'directory',
  6: 'fifo',
  7: 'contiguous-file',
};
const ZERO = 0x30;
const PAX_HEADER = 0x78; // 'x'
const PAX_GLOBAL_HEADER = 0x67; // 'g'
const GNU_LONG_PATH = 0x4c; // 'L'
const GNU_LONG_LINK = 0x4b; // 'K'

export interface TarEntryHeader {
  name: string;
  size: number;
  /** `file`, `directory`, `symlink`, ...; `unknown-<flag>` for a typeflag tar does not define. */
  type: string;
}

export interface TarEntry<T> {
  header: TarEntryHeader;
  /** The entry's bytes; empty when the check did not keep them. */
  data: Buffer;
  /** What the check said about the entry. */
  tag: T;
}

/**
 * Called with each header before its data is read: whether to keep the data (else it is
 * skipped without a copy) and a tag handed out with the entry. Throws to stop reading (an
 * entry too large to accept is refused before its data is gathered).
 */
export type TarHeaderCheck<T> = (header: TarEntryHeader) => { keep: boolean; tag: T };

/** The synchronous core: feed it chunks, it emits complete entries. */
export class TarParser<T> {
  /** Input not yet consumed: `parts[0]` from `offset` on, then the other parts whole. */
  private readonly parts: Buffer[] = [];
  private offset = 0;
  private available = 0;
  /** The entry whose data is being gathered, when its header has been read. */
  private current: { header: TarEntryHeader; keep: boolean; meta: number; tag: T | undefined } | undefined;
  private longName: string | undefined;
  private pax: Record<string, string> = {};
  private paxGlobal: Record<string, string> = {};

  constructor(
    private readonly check: TarHeaderCheck<T>,
    private readonly emit: (entry: TarEntry<T>) => void,
  ) {}

  push(chunk: Buffer): void {
    this.parts.push(chunk);
    this.available += chunk.length;
    for (;;) {
      if (!this.current) {
        if (this.available < BLOCK_SIZE) return;
        this.readHeader(this.take(BLOCK_SIZE));
        continue;
      }
      const { header, keep, meta, tag } = this.current;
      const padded = header.size + ((BLOCK_SIZE - (header.size % BLOCK_SIZE)) % BLOCK_SIZE);
      if (this.available < padded) return;
      this.current = undefined;
      const body = this.take(padded).subarray(0, header.size);
      if (meta !== 0) this.readMeta(meta, body);
      // Copied out, so that a kept entry does not hold a whole inflated chunk alive.
      else this.emit({ header, data: keep ? Buffer.from(body) : EMPTY, tag: tag as T });
    }
  }

  /** The input ended: anything but whole entries (and zero blocks) left over is a truncation. */
  end(): void {
    const rest = this.available > 0 ? this.take(this.available) : EMPTY;
    if (this.current || rest.some((b) => b !== 0)) {
      throw new ArchiveError(ArchiveErrorCode.Truncated, 'backup archive is truncated inside a tar entry');
    }
  }

  /**
   * The next `n` buffered bytes: a view of one chunk when they lie in it, else a copy. Chunks
   * are only gathered into one buffer per entry, so a large entry costs one copy, not one per chunk.
   */
  private take(n: number): Buffer {
    const first = this.parts[0] ?? EMPTY;
    this.available -= n;
    if (first.length - this.offset >= n) {
      const out = first.subarray(this.offset, this.offset + n);
      this.advance(n, first);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    for (let filled = 0; filled < n;) {
      const part = this.parts[0] ?? EMPTY;
      const count = Math.min(n - filled, part.length - this.offset);
      part.copy(out, filled, this.offset, this.offset + count);
      filled += count;
      this.advance(count, part);
    }
    return out;
  }

  private advance(n: number, part: Buffer): void {
    this.offset += n;
    if (this.offset === part.length) {
      this.parts.shift();
      this.offset = 0;
    }
  }

  private readHeader(block: Buffer): void {
    const sum = checksum(block);
    // An all-zero block: the end-of-archive marker (or padding after it).
    if (sum === 8 * 0x20 && block.every((b) => b === 0)) return;
    if (sum !== octal(block, 148, 8))
      throw corrupt('Invalid tar header. Maybe the tar is corrupted or it needs to be gunzipped?');
    const ustar = hasBytes(block, 257, USTAR_MAGIC);
    if (!ustar && !hasBytes(block, 257, GNU_MAGIC)) throw corrupt('Invalid tar header: unknown format.');
    const flag = block[156] ?? 0;
    const size = size256(block, 124, 12);
    if (flag === PAX_HEADER || flag === PAX_GLOBAL_HEADER || flag === GNU_LONG_PATH || flag === GNU_LONG_LINK) {
      this.current = { header: { name: '', size, type: 'meta' }, keep: true, meta: flag, tag: undefined };
      return;
    }
    const header = this.entryHeader(block, flag, ustar, size);
    const { keep, tag } = this.check(header);
    this.current = { header, keep, meta: 0, tag };
  }

  /** A regular header's name, size and type, after any PAX records or GNU long name before it. */
  private entryHeader(block: Buffer, flag: number, ustar: boolean, size: number): TarEntryHeader {
    let name = text(block, 0, 100);
    if (ustar && block[345] !== 0) name = `${text(block, 345, 155)}/${name}`;
    const pax = { ...this.paxGlobal, ...this.pax };
    if (this.longName !== undefined) name = this.longName;
    if (pax.path !== undefined) name = pax.path;
    this.longName = undefined;
    this.pax = {};
    const typeflag = flag === 0 ? 0 : flag - ZERO;
    const type = typeflag === 0 && name.endsWith('/') ? 'directory' : (TYPES[typeflag] ?? `unknown-${typeflag}`);
    return { name, size: pax.size !== undefined ? Number.parseInt(pax.size, 10) : size, type };
  }

  private readMeta(flag: number, data: Buffer): void {
    if (flag === GNU_LONG_PATH) this.longName = text(data, 0, data.length);
    else if (flag === PAX_HEADER) this.pax = paxRecords(data);
    else if (flag === PAX_GLOBAL_HEADER) this.paxGlobal = { ...this.paxGlobal, ...paxRecords(data) };
    // GNU_LONG_LINK: a link's target; links are refused by the caller anyway.
  }
}

const EMPTY = Buffer.alloc(0);
/** POSIX ustar's magic and version (`ustar\0` `00`, only the magic is checked), and GNU tar's `ustar  \0`. */
const USTAR_MAGIC = Buffer.from('ustar\0', 'latin1');
const GNU_MAGIC = Buffer.from('ustar  \0', 'latin1');

function hasBytes(block: Buffer, offset: number, bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) if (block[offset + i] !== bytes[i]) return false;
  return true;
}

function corrupt(message: string): ArchiveError {
  return new ArchiveError(ArchiveErrorCode.Corrupt, `backup archive tar data is corrupt: ${message}`);
}

/** The header checksum: the sum of its bytes, the checksum field counted as spaces. */
function checksum(block: Buffer): number {
  let sum = 8 * 0x20;
  for (let i = 0; i < 148; i++) sum += block[i] ?? 0;
  for (let i = 156; i < BLOCK_SIZE; i++) sum += block[i] ?? 0;
  return sum;
}

/** An octal field: leading spaces or NULs, digits, then a space or NUL. NaN when there are no digits. */
function octal(block: Buffer, offset: number, length: number): number {
  let i = offset;
  const end = offset + length;
  while (i < end && (block[i] === 0x20 || block[i] === 0)) i++;
  let value = 0;
  let digits = 0;
  for (; i < end; i++) {
    const c = block[i] ?? 0;
    if (c < 0x30 || c > 0x37) break;
    value = value * 8 + (c - 0x30);
    digits++;
  }
  return digits === 0 ? 0 : value;
}

/** A size field: octal, or GNU base-256 (high bit set) for sizes octal cannot hold. */
function size256(block: Buffer, offset: number, length: number): number {
  const first = block[offset] ?? 0;
  if ((first & 0x80) === 0) return octal(block, offset, length);
  let value = first & 0x7f;
  for (let i = offset + 1; i < offset + length; i++) value = value * 256 + (block[i] ?? 0);
  return value;
}

/** A NUL-terminated UTF-8 field. */
function text(buf: Buffer, offset: number, length: number): string {
  let end = buf.indexOf(0, offset);
  if (end < 0 || end > offset + length) end = offset + length;
  return buf.toString('utf8', offset, end);
}

/** PAX records: `<length> <key>=<value>\n`, one after the other. */
function paxRecords(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space < 0) break;
    const length = Number.parseInt(data.toString('latin1', at, space), 10);
    if (!Number.isFinite(length) || length <= 0) break;
    const record = data.toString('utf8', space + 1, at + length - 1);
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    at += length;
  }
  return out;
}

/** Entries kept parsed ahead of the consumer before the input is held back. */
const QUEUE_HIGH = 256;

/**
 * A TarParser behind a Writable (the end of the inflate pipeline) and an async iterator of its
 * entries, with backpressure: the input waits while the consumer is behind.
 */
export class TarReader<T> {
  readonly sink: Writable;
  private readonly parser: TarParser<T>;
  private queue: TarEntry<T>[] = [];
  private head = 0;
  private heldWrite: (() => void) | undefined;
  private wake: (() => void) | undefined;
  private ended = false;
  private failure: Error | undefined;

  constructor(check: TarHeaderCheck<T>) {
    this.parser = new TarParser(check, (entry) => this.queue.push(entry));
    this.sink = new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        try {
          this.parser.push(chunk);
        } catch (err) {
          callback(err instanceof Error ? err : new Error(String(err)));
          return;
        }
        this.notify();
        if (this.queue.length - this.head >= QUEUE_HIGH) this.heldWrite = () => callback();
        else callback();
      },
      final: (callback) => {
        try {
          this.parser.end();
        } catch (err) {
          callback(err instanceof Error ? err : new Error(String(err)));
          return;
        }
        this.ended = true;
        this.notify();
        callback();
      },
    });
  }

  /** Stops reading: the iterator throws `err` once it has handed out what was parsed before, or ends. */
  destroy(err: Error | null): void {
    if (err) this.failure ??= err;
    else this.ended = true;
    this.notify();
  }

  async *entries(): AsyncGenerator<TarEntry<T>> {
    for (;;) {
      if (this.failure) throw this.failure;
      const entry = this.queue[this.head];
      if (entry) {
        this.queue[this.head++] = undefined as unknown as TarEntry<T>;
        if (this.head === this.queue.length) {
          this.queue = [];
          this.head = 0;
          const held = this.heldWrite;
          this.heldWrite = undefined;
          held?.();
        }
        yield entry;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
