import { cloneJson, isJsonContainer, jsonEqual } from '../../util/json.ts';
import type { FieldChange } from './types.ts';

export { jsonEqual };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return isJsonContainer(v) && !Array.isArray(v);
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * The field-level differences from `live` to `desired`, as JSON-pointer changes. Objects and
 * arrays are walked key by key (array items by index); a `RawJson` integer is a leaf compared
 * by its digits, never descended into.
 */
export function fieldChanges(live: unknown, desired: unknown): FieldChange[] {
  const out: FieldChange[] = [];
  diffInto(live, desired, '', out);
  return out;
}

function diffInto(live: unknown, desired: unknown, path: string, out: FieldChange[]): void {
  const liveObj = live as Record<string, unknown>;
  const desiredObj = desired as Record<string, unknown>;
  const liveKeys = Object.keys(liveObj);
  // Last key first, so that removals of array items keep the earlier indexes valid.
  for (let i = liveKeys.length - 1; i >= 0; i--) {
    const key = liveKeys[i] as string;
    const at = `${path}/${escapePointer(key)}`;
    const was = liveObj[key];
    const now = desiredObj[key];
    if (!Object.hasOwn(desiredObj, key) || (now === undefined && was !== undefined && !Array.isArray(desired))) {
      out.push({ op: 'remove', path: at, live: was });
    } else if (isJsonContainer(was) && isJsonContainer(now) && Array.isArray(was) === Array.isArray(now)) {
      diffInto(was, now, at, out);
    } else if (!jsonEqual(was, now)) {
      out.push({ op: 'replace', path: at, live: was, desired: cloneJson(now) });
    }
  }
  for (const key of Object.keys(desiredObj)) {
    if (!Object.hasOwn(liveObj, key) && desiredObj[key] !== undefined) {
      out.push({ op: 'add', path: `${path}/${escapePointer(key)}`, desired: cloneJson(desiredObj[key]) });
    }
  }
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
