/**
 * Tar headers for regular files, written straight into the caller's buffer.
 *
 * Why not tar-stream's packer here: it runs a small stream per entry, and with two entries
 * per backed-up item that machinery cost more CPU than listing the items (ADR 0003). The
 * format is plain POSIX ustar, with a PAX `path` record in front when a name does not fit;
 * tar-stream still reads every archive, and a unit test checks both agree byte for byte.
 */

export const BLOCK_SIZE = 512;

const NAME_LENGTH = 100;
const PREFIX_LENGTH = 155;
const REGULAR_FILE = 0x30; // '0'
const PAX_HEADER = 0x78; // 'x'
const PAX_HEADER_NAME = 'PaxHeader';

/**
 * Encodes the headers of regular-file entries that share a mode and mtime, as every entry of
 * one backup does. The constant fields are laid out once in a template; each header is then a
 * copy plus its name and size, with the checksum patched from the template's precomputed sum.
 */
export class TarHeaderEncoder {
  private readonly template = Buffer.alloc(BLOCK_SIZE);
  private readonly templateSum: number;

  constructor(
    private readonly mode: number,
    /** Seconds since the epoch. */
    private readonly mtime: number,
  ) {
    writeUstarBlock(this.template, 0, { path: '', name: '', prefix: '', size: 0, mode, mtime, type: REGULAR_FILE });
    // The sum of every byte but name, prefix and size, with the checksum field read as spaces.
    let sum = 8 * 0x20;
    for (let i = 0; i < BLOCK_SIZE; i++) {
      if (i >= 148 && i < 156) continue;
      if (i >= 124 && i < 136) continue;
      sum += this.template[i] ?? 0;
    }
    this.templateSum = sum;
  }

  /** Bytes needed before an entry's data (one block, or three with a PAX path record). */
  length(path: string): number {
    return tarHeaderLength(path);
  }

  /** `length(folder.path + file.name)`. */
  lengthIn(folder: EntryFolder, file: EntryFile): number {
    return fitsName(folder, file) ? BLOCK_SIZE : tarHeaderLength(folder.path + file.name);
  }

  /**
   * `write(buf, offset, folder.path + file.name, size)`. An ASCII path of at most 100 bytes (every
   * item of a backup of ordinary names) takes the fast way: the folder's bytes and their sum
   * are reused, nothing is allocated.
   */
  writeIn(buf: Buffer, offset: number, folder: EntryFolder, file: EntryFile, size: number): number {
    if (!fitsName(folder, file)) return this.write(buf, offset, folder.path + file.name, size);
    // The typed-array method: Buffer's copy checks its arguments in JavaScript first.
    buf.set(this.template, offset);
    buf.set(folder.bytes, offset);
    const at = offset + folder.bytes.length;
    const { name } = file;
    for (let i = 0; i < name.length; i++) buf[at + i] = name.charCodeAt(i);
    const sum = this.templateSum + folder.sum + file.sum + writeOctal(buf, offset + 124, size, 11);
    writeOctal(buf, offset + 148, sum, 6);
    buf[offset + 155] = 0;
    return offset + BLOCK_SIZE;
  }

  /**
   * Writes the header(s) of one entry at `offset` (which must have room for `length(path)`
   * bytes) and returns the offset where the entry's data goes.
   */
  write(buf: Buffer, offset: number, path: string, size: number): number {
    const split = splitUstarName(path);
    if (!split) return writeTarHeader(buf, offset, { path, size, mode: this.mode, mtime: this.mtime });
    this.template.copy(buf, offset);
    let sum = this.templateSum;
    sum += writeAscii(buf, offset, split.name);
    if (split.prefix) sum += writeAscii(buf, offset + 345, split.prefix);
    sum += writeOctal(buf, offset + 124, size, 11);
    writeOctal(buf, offset + 148, sum, 6);
    buf[offset + 155] = 0;
    return offset + BLOCK_SIZE;
  }
}

/**
 * A folder that many entries share (`resources/configmaps/namespaces/ns1/`), encoded once: its
 * bytes and their sum (for header checksums) when it is ASCII.
 */
export class EntryFolder {
  /** Empty when the folder is not ASCII: its entries then take the general way. */
  readonly bytes: Buffer;
  readonly sum: number;

  constructor(readonly path: string) {
    const sum = asciiSum(path);
    this.sum = sum;
    this.bytes = sum >= 0 ? Buffer.from(path, 'latin1') : Buffer.alloc(0);
  }
}

/** The last part of an entry's path, with the sum of its bytes when it is ASCII (else -1). */
export class EntryFile {
  readonly sum: number;

  constructor(readonly name: string) {
    this.sum = asciiSum(name);
  }
}

/** The sum of a string's character codes when every one is ASCII (one byte each), else -1. */
function asciiSum(text: string): number {
  let sum = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) return -1;
    sum += c;
  }
  return sum;
}

/** Whether `folder.path + file.name` goes whole into the ustar name field (ASCII, at most 100 bytes). */
function fitsName(folder: EntryFolder, file: EntryFile): boolean {
  return file.sum >= 0 && folder.sum >= 0 && folder.path.length + file.name.length <= NAME_LENGTH;
}

/** Fields of one regular-file entry. */
export interface TarFileHeader {
  path: string;
  size: number;
  mode: number;
  /** Seconds since the epoch. */
  mtime: number;
}

/** Bytes needed before an entry's data (one block, or three with a PAX path record). */
export function tarHeaderLength(path: string): number {
  if (splitUstarName(path)) return BLOCK_SIZE;
  return BLOCK_SIZE + paddedLength(paxPathRecord(path).length) + BLOCK_SIZE;
}

/** Zero bytes after `size` bytes of data so the next entry starts on a block boundary. */
export function tarPaddingLength(size: number): number {
  return paddedLength(size) - size;
}

/**
 * Writes the header(s) of one entry at `offset` (which must hold `tarHeaderLength(path)`
 * bytes, zero-filled or not) and returns the offset where the entry's data goes.
 */
export function writeTarHeader(buf: Buffer, offset: number, header: TarFileHeader): number {
  const split = splitUstarName(header.path);
  if (split) {
    writeUstarBlock(buf, offset, { ...header, name: split.name, prefix: split.prefix, type: REGULAR_FILE });
    return offset + BLOCK_SIZE;
  }
  // A name ustar cannot hold: a PAX extended header carries it, and the ustar header that
  // follows keeps a truncated name for readers that ignore PAX.
  const record = paxPathRecord(header.path);
  writeUstarBlock(buf, offset, {
    ...header,
    name: PAX_HEADER_NAME,
    prefix: '',
    size: record.length,
    type: PAX_HEADER,
  });
  let at = offset + BLOCK_SIZE;
  record.copy(buf, at);
  at += record.length;
  buf.fill(0, at, at + tarPaddingLength(record.length));
  at += tarPaddingLength(record.length);
  writeUstarBlock(buf, at, {
    ...header,
    name: truncateBytes(header.path, NAME_LENGTH),
    prefix: '',
    type: REGULAR_FILE,
  });
  return at + BLOCK_SIZE;
}

/** Writes an ASCII string byte by byte and returns the sum of its bytes (for the checksum). */
function writeAscii(buf: Buffer, offset: number, text: string): number {
  let sum = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    buf[offset + i] = c;
    sum += c;
  }
  return sum;
}

/** The two zero blocks that end a tar archive. */
export const TAR_END = Buffer.alloc(2 * BLOCK_SIZE);

interface UstarBlock extends TarFileHeader {
  name: string;
  prefix: string;
  type: number;
}

function writeUstarBlock(buf: Buffer, offset: number, h: UstarBlock): void {
  buf.fill(0, offset, offset + BLOCK_SIZE);
  buf.write(h.name, offset, 'utf8');
  writeOctal(buf, offset + 100, h.mode & 0o7777, 6);
  writeOctal(buf, offset + 108, 0, 6); // uid
  writeOctal(buf, offset + 116, 0, 6); // gid
  writeOctal(buf, offset + 124, h.size, 11);
  writeOctal(buf, offset + 136, Math.floor(h.mtime), 11);
  buf[offset + 156] = h.type;
  buf.write('ustar\u000000', offset + 257, 'latin1');
  writeOctal(buf, offset + 329, 0, 6); // devmajor
  writeOctal(buf, offset + 337, 0, 6); // devminor
  if (h.prefix) buf.write(h.prefix, offset + 345, 'utf8');
  // The checksum is computed with its own field read as eight spaces.
  let sum = 8 * 0x20;
  for (let i = offset; i < offset + 148; i++) sum += buf[i] ?? 0;
  for (let i = offset + 156; i < offset + BLOCK_SIZE; i++) sum += buf[i] ?? 0;
  writeOctal(buf, offset + 148, sum, 6);
}

/**
 * `digits` octal digits, zero-padded, then a space (a field's last byte, if any, stays as it
 * was). Returns the sum of the bytes written, for the header checksum.
 */
function writeOctal(buf: Buffer, offset: number, value: number, digits: number): number {
  let rest = value;
  let sum = 0x20;
  for (let i = digits - 1; i >= 0; i--) {
    const c = 0x30 + (rest % 8);
    buf[offset + i] = c;
    sum += c;
    rest = Math.floor(rest / 8);
  }
  if (rest > 0) throw new RangeError(`${String(value)} does not fit a ${String(digits)}-digit tar field`);
  buf[offset + digits] = 0x20;
  return sum;
}

/** ustar's name/prefix split, or undefined when the path needs a PAX record. */
function splitUstarName(path: string): { name: string; prefix: string } | undefined {
  if (Buffer.byteLength(path) !== path.length) return undefined;
  if (path.length <= NAME_LENGTH) return { name: path, prefix: '' };
  // The prefix is everything before some slash; choose the shortest prefix that leaves a short enough name.
  for (let slash = path.indexOf('/'); slash !== -1; slash = path.indexOf('/', slash + 1)) {
    if (path.length - slash - 1 > NAME_LENGTH) continue;
    if (slash > PREFIX_LENGTH || slash === 0) return undefined;
    return { prefix: path.slice(0, slash), name: path.slice(slash + 1) };
  }
  return undefined;
}

/** `"<len> path=<path>\n"`, where len counts the whole record including its own digits. */
function paxPathRecord(path: string): Buffer {
  const body = ` path=${path}\n`;
  const bodyLength = Buffer.byteLength(body);
  let length = bodyLength + String(bodyLength).length;
  if (String(length).length + bodyLength !== length) length = bodyLength + String(length).length;
  return Buffer.from(`${String(length)}${body}`);
}

function truncateBytes(text: string, max: number): string {
  const bytes = Buffer.from(text);
  return bytes.length <= max
    ? text
    : bytes
        .subarray(0, max)
        .toString('utf8')
        .replace(/\uFFFD$/u, '');
}

function paddedLength(size: number): number {
  return Math.ceil(size / BLOCK_SIZE) * BLOCK_SIZE;
}
