import jsonPatch from 'fast-json-patch';
import type { FieldChange } from './types.ts';

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Structural equality of JSON values; key order does not matter. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
}

function valueAt(doc: unknown, pointer: string): unknown {
  let cur = doc;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) cur = cur[Number(key)];
    else if (isPlainObject(cur)) cur = cur[key];
    else return undefined;
  }
  return cur;
}

/** The field-level differences from `live` to `desired`, as JSON-pointer changes. */
export function fieldChanges(live: unknown, desired: unknown): FieldChange[] {
  const ops = jsonPatch.compare(live as object, desired as object);
  const out: FieldChange[] = [];
  for (const op of ops) {
    if (op.op === 'add') out.push({ op: 'add', path: op.path, desired: op.value });
    else if (op.op === 'remove') out.push({ op: 'remove', path: op.path, live: valueAt(live, op.path) });
    else if (op.op === 'replace')
      out.push({ op: 'replace', path: op.path, live: valueAt(live, op.path), desired: op.value });
  }
  return out;
}

/**
 * An RFC 7386 merge patch that turns `from` into `to`: changed keys are set, missing keys
 * become null, arrays are replaced whole (which is what a merge patch can express).
 */
export function createMergePatch(from: Record<string, unknown>, to: Record<string, unknown>): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const key of Object.keys(from)) if (!Object.hasOwn(to, key)) patch[key] = null;
  for (const [key, value] of Object.entries(to)) {
    const old = from[key];
    if (jsonEqual(old, value)) continue;
    patch[key] = isPlainObject(old) && isPlainObject(value) ? createMergePatch(old, value) : value;
  }
  return patch;
}
