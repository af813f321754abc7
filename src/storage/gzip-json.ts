import { gunzipSync, gzipSync } from 'node:zlib';

/**
 * The encoding of Velero's small companion files (§2.2): gzip of compact JSON with a
 * trailing newline (what Go's json.Encoder writes).
 */
export function encodeJsonGz(value: unknown): Buffer {
  const text = JSON.stringify(value) as string | undefined;
  if (text === undefined) throw new TypeError('value is not JSON-serialisable');
  return gzipSync(`${text}\n`);
}

export function decodeJsonGz(data: Buffer): unknown {
  return JSON.parse(gunzipSync(data).toString('utf8'));
}

/** `velero-backup.json` is the Kubernetes "pretty" JSON: 2-space indent, not gzipped (§2.2). */
export function encodePrettyJson(value: unknown): Buffer {
  const text = JSON.stringify(value, null, 2) as string | undefined;
  if (text === undefined) throw new TypeError('value is not JSON-serialisable');
  return Buffer.from(`${text}\n`);
}
