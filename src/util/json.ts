/**
 * JSON that keeps integers beyond 2^53 exact.
 *
 * Kubernetes stores custom resources' integers as int64, so a CR may hold 9007199254740993,
 * which a plain `JSON.parse` turns into 9007199254740992. Such a number is parsed here into a
 * `JSON.rawJSON` value: an opaque, frozen object that `JSON.stringify` writes back verbatim, so
 * an object read and written again keeps its digits. Code that compares or copies parsed
 * objects must use `jsonEqual`-style helpers aware of it (`isRawJson`, `cloneJson`):
 * `structuredClone` refuses it.
 */

/** A number kept as its source text (`JSON.rawJSON`). */
export interface RawJson {
  readonly rawJSON: string;
}

interface ReviverContext {
  source?: string;
}

// Node 24's V8 has these (TC39 "JSON.parse source text access"); TypeScript's ES2024 lib does not yet.
const LosslessJSON = JSON as unknown as {
  rawJSON(text: string): RawJson;
  isRawJSON(value: unknown): value is RawJson;
  parse(text: string, reviver: (key: string, value: unknown, context: ReviverContext) => unknown): unknown;
};

/**
 * An unsafe integer needs at least 16 digits (2^53 = 9007199254740992), and a JSON number
 * follows `:`, `,`, `[` or JSON whitespace, so text without such a run takes the plain, fast
 * `JSON.parse`. A match inside a string (a digest, a Secret) only costs the slower parse,
 * never a wrong value. The digits are spelled out: V8 scans `\d\d...` with a skip-ahead that
 * `\d{16}` does not get, and on digit-heavy text `\d{16}` cost several times a JSON.parse.
 */
const MAYBE_UNSAFE_INTEGER = new RegExp(`[ \\t\\n\\r:,[]-?${'\\d'.repeat(16)}`);
const INTEGER_LITERAL = /^-?\d+$/;

function keepUnsafeIntegers(_key: string, value: unknown, context: ReviverContext): unknown {
  if (typeof value !== 'number' || Number.isSafeInteger(value)) return value;
  const source = context.source;
  return source !== undefined && INTEGER_LITERAL.test(source) ? LosslessJSON.rawJSON(source) : value;
}

/** `JSON.parse`, except that integer literals beyond ±(2^53-1) become `RawJson` values carrying their digits. */
export function parseJsonLossless(text: string): unknown {
  if (!MAYBE_UNSAFE_INTEGER.test(text)) return JSON.parse(text);
  return LosslessJSON.parse(text, keepUnsafeIntegers);
}

export function isRawJson(value: unknown): value is RawJson {
  return LosslessJSON.isRawJSON(value);
}

/**
 * A deep copy of a parsed JSON value. Unlike `structuredClone`, it accepts `RawJson` values
 * (immutable, so they are shared rather than copied).
 */
export function cloneJson<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = cloneJson(value[i]);
    return out as T;
  }
  if (isRawJson(value)) return value;
  // A restore copies every object it prepares: for-in over own keys allocates no entry arrays.
  const src = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k in src) if (Object.hasOwn(src, k)) out[k] = cloneJson(src[k]);
  return out as T;
}

/** Structural equality of parsed JSON values: key order does not matter, `RawJson` values compare by their text. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (isRawJson(a) || isRawJson(b)) return isRawJson(a) && isRawJson(b) && a.rawJSON === b.rawJSON;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (Array.isArray(b)) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const ka = Object.keys(ra);
  if (ka.length !== Object.keys(rb).length) return false;
  return ka.every((k) => Object.hasOwn(rb, k) && jsonEqual(ra[k], rb[k]));
}

/** A JSON object or array we can descend into (not a `RawJson` number). */
export function isJsonContainer(value: unknown): value is Record<string, unknown> | unknown[] {
  return typeof value === 'object' && value !== null && !isRawJson(value);
}
