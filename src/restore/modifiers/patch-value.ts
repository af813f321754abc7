/**
 * The typing of a JSON-patch `value` written as a string (reference §4.8, "Value typing"):
 * empty or quoted becomes a JSON string; `null`, `true`/`false`, numbers, and anything that
 * starts with `{` or `[` are JSON; everything else is a string. So `"3"` is the number 3 and
 * `'"3"'` the string "3". A YAML value that is not a string (`value: 3`, a mapping) is taken
 * as the JSON value it already is.
 */

const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/u;

export type TypedValue = { value: unknown } | { error: string };

export function typedPatchValue(raw: unknown): TypedValue {
  // An absent or empty YAML value unmarshals to "" in Velero's string field: a JSON string.
  if (raw === null || raw === undefined) return { value: '' };
  if (typeof raw !== 'string') return { value: raw };
  if (raw === '') return { value: '' };
  if (raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"')) return { value: quoted(raw) };
  if (raw === 'null') return { value: null };
  const lower = raw.toLowerCase();
  if (lower === 'true' || lower === 'false') return { value: lower === 'true' };
  if (raw.startsWith('{') || raw.startsWith('[')) {
    try {
      return { value: JSON.parse(raw) as unknown };
    } catch (err) {
      return {
        error: `value ${JSON.stringify(raw)} starts like JSON but is not valid JSON (${(err as Error).message})`,
      };
    }
  }
  if (JSON_NUMBER.test(raw)) return { value: Number(raw) };
  return { value: raw };
}

/** The string inside quotes, with JSON escapes (`\n`, `\"`) read when they are valid. */
function quoted(raw: string): string {
  try {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed === 'string') return parsed;
  } catch {
    // Not a valid JSON string literal: take the characters between the quotes as they are.
  }
  return raw.slice(1, -1);
}
