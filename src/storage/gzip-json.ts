import { once } from 'node:events';
import { createGzip, gunzipSync, gzipSync } from 'node:zlib';

/**
 * The encoding of Velero's small companion files (§2.2): gzip of compact JSON with a
 * trailing newline (what Go's json.Encoder writes).
 */
export function encodeJsonGz(value: unknown): Buffer {
  const text = JSON.stringify(value) as string | undefined;
  if (text === undefined) throw new TypeError('value is not JSON-serialisable');
  return gzipSync(`${text}\n`);
}

/**
 * `encodeJsonGz` of a value given as the pieces of its compact JSON, compressed as they
 * come: the whole text is never held at once.
 */
export async function encodeJsonPiecesGz(pieces: Iterable<string> | AsyncIterable<string>): Promise<Buffer> {
  const gzip = createGzip();
  const out: Buffer[] = [];
  gzip.on('data', (chunk: Buffer) => out.push(chunk));
  const ended = new Promise<void>((resolve, reject) => {
    gzip.on('end', resolve);
    gzip.on('error', reject);
  });
  // Pieces are batched: one zlib call per piece would cost more than the compression.
  let batch = '';
  for await (const piece of pieces) {
    batch += piece;
    if (batch.length >= 64 * 1024) {
      // Waiting for the deflater keeps the text from piling up in its queue, whole.
      const more = gzip.write(batch);
      batch = '';
      if (!more) await once(gzip, 'drain');
    }
  }
  gzip.end(`${batch}\n`);
  await ended;
  return Buffer.concat(out);
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
