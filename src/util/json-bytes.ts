/**
 * The structure of JSON text read as bytes, without parsing it: where a value ends, and where
 * each member of an object is. A consumer that passes most values on untouched (a backup copies
 * each listed object as the API server sent it) then pays a fraction of `JSON.parse` and builds
 * no objects. The text is taken to be JSON as a server wrote it; anything this reader does not
 * recognise throws a JsonScanError, so that callers can fall back to a full parse. It does not
 * validate: text that scans is not necessarily valid JSON.
 */

export class JsonScanError extends Error {}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;

function isWhitespace(c: number | undefined): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

export function skipWhitespace(b: Uint8Array, i: number): number {
  while (isWhitespace(b[i])) i++;
  return i;
}

/**
 * The position after the value that starts at `i` (its first byte, not whitespace). One loop
 * over the bytes with string contents skipped: the hot path of a backup's LIST handling.
 */
export function skipValue(b: Uint8Array, i: number): number {
  const length = b.length;
  const first = b[i];
  if (first === QUOTE) return skipString(b, i);
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
    // A number, true, false or null: up to the next delimiter.
    let j = i;
    while (j < length) {
      const c = b[j];
      if (c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || isWhitespace(c)) break;
      j++;
    }
    if (j === i) throw new JsonScanError(`no JSON value at byte ${String(i)}`);
    return j;
  }
  let depth = 0;
  for (; i < length; i++) {
    const c = b[i];
    if (c === QUOTE) {
      for (i++; i < length; i++) {
        const d = b[i];
        if (d === QUOTE) break;
        if (d === BACKSLASH) i++;
      }
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      if (--depth === 0) return i + 1;
    }
  }
  throw new JsonScanError('JSON text ends inside a value');
}

/** The position after the string whose opening quote is at `i`. */
export function skipString(b: Uint8Array, i: number): number {
  const length = b.length;
  for (i++; i < length; i++) {
    const c = b[i];
    if (c === QUOTE) return i + 1;
    if (c === BACKSLASH) i++;
  }
  throw new JsonScanError('JSON text ends inside a string');
}

/**
 * Steps through the entries of one object or array: `open` at its first byte, then `step()` per
 * entry. The following step skips the current value, unless the caller has told where it ends
 * (`valueEnd`, e.g. after walking it with a second walker) so that it is not read twice.
 * Reused across containers: walking allocates nothing.
 */
abstract class ContainerWalker {
  /** The position after the current value (-1 until known). */
  valueEnd = -1;
  /** The position after the container's closing byte, once `next()` has returned false. */
  end = -1;
  protected bytes: Uint8Array = new Uint8Array(0);
  /** The current entry's first byte (a member's key, an element's value). */
  protected entryStart = 0;
  private started = false;

  constructor(
    private readonly openByte: number,
    private readonly closeByte: number,
    private readonly what: string,
  ) {}

  open(b: Uint8Array, i: number): this {
    if (b[i] !== this.openByte) throw new JsonScanError(`no JSON ${this.what} at byte ${String(i)}`);
    this.bytes = b;
    this.entryStart = skipWhitespace(b, i + 1);
    this.started = false;
    this.valueEnd = -1;
    this.end = b[this.entryStart] === this.closeByte ? this.entryStart + 1 : -1;
    return this;
  }

  /** Moves to the next entry, past the value that starts at `valueStart`; false after the last. */
  protected step(valueStart: number): boolean {
    if (this.end >= 0) return false;
    if (this.started) {
      const b = this.bytes;
      const i = skipWhitespace(b, this.valueEnd >= 0 ? this.valueEnd : skipValue(b, valueStart));
      if (b[i] === this.closeByte) {
        this.end = i + 1;
        return false;
      }
      if (b[i] !== COMMA) throw new JsonScanError(`expected , at byte ${String(i)}`);
      this.entryStart = skipWhitespace(b, i + 1);
    }
    this.started = true;
    this.valueEnd = -1;
    return true;
  }
}

/** Walks the members of one object; `next()` leaves the member's key and value positions in the fields. */
export class JsonMembers extends ContainerWalker {
  /** The key's opening quote, and the position after its closing quote. */
  keyStart = 0;
  keyEnd = 0;
  /** The value's first byte. */
  valueStart = 0;

  constructor() {
    super(OPEN_BRACE, CLOSE_BRACE, 'object');
  }

  next(): boolean {
    if (!this.step(this.valueStart)) return false;
    const b = this.bytes;
    let i = this.entryStart;
    if (b[i] !== QUOTE) throw new JsonScanError(`expected a key at byte ${String(i)}`);
    this.keyStart = i;
    this.keyEnd = skipString(b, i);
    i = skipWhitespace(b, this.keyEnd);
    if (b[i] !== COLON) throw new JsonScanError(`expected : at byte ${String(i)}`);
    this.valueStart = skipWhitespace(b, i + 1);
    return true;
  }

  /** Whether the current key is `name` (compared as bytes; a key written with escapes is decoded first). */
  keyIs(name: string): boolean {
    const b = this.bytes;
    const start = this.keyStart + 1;
    const length = this.keyEnd - 1 - start;
    if (length === name.length) {
      let j = 0;
      while (j < length && b[start + j] === name.charCodeAt(j)) j++;
      if (j === length) return true;
    }
    // A loop, not subarray().indexOf(): a Buffer view per key cost more than the rest of the walk.
    let escaped = false;
    for (let j = start; j < start + length && !escaped; j++) escaped = b[j] === BACKSLASH;
    if (!escaped) return false;
    return (
      JSON.parse(Buffer.from(b.buffer, b.byteOffset + this.keyStart, this.keyEnd - this.keyStart).toString()) === name
    );
  }

  /** Where the current value ends. */
  skipValue(): number {
    if (this.valueEnd < 0) this.valueEnd = skipValue(this.bytes, this.valueStart);
    return this.valueEnd;
  }
}

/** Walks the elements of one array; `start` is the current element's first byte. */
export class JsonElements extends ContainerWalker {
  constructor() {
    super(OPEN_BRACKET, CLOSE_BRACKET, 'array');
  }

  get start(): number {
    return this.entryStart;
  }

  next(): boolean {
    return this.step(this.entryStart);
  }
}
