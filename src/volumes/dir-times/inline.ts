/**
 * A small directory-times record carried inline instead of in its own kopia snapshot: the
 * record (`record.ts`), gzipped and base64url-encoded behind `inline:`, in the place the
 * snapshot's ID would go (the PodVolumeBackup annotation, a DataUpload's result). A second
 * kopia run costs a backup and its restore a key derivation, a repository open and a flush
 * each (bench:fs, README "File-system backup"); a volume with a few dozen directories needs
 * none of it. A larger record keeps its snapshot, so an annotation stays small however many
 * directories the volume has.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { Readable } from 'node:stream';

const PREFIX = 'inline:';
/** Raw record bytes read before giving up on inlining (the walk stops there). */
const MAX_RAW_BYTES = 64 * 1024;
/** Encoded characters at most: a few KiB of an object's 256 KiB of annotations. */
export const MAX_INLINE_CHARS = 4096;

export function isInlineDirTimes(id: string): boolean {
  return id.startsWith(PREFIX);
}

/**
 * The record as an inline value, or undefined when it is too large to inline (the caller then
 * snapshots it). Reads `lines` only up to the raw limit.
 */
export async function inlineDirTimes(lines: AsyncIterable<string>): Promise<string | undefined> {
  const parts: string[] = [];
  let size = 0;
  for await (const line of lines) {
    size += Buffer.byteLength(line);
    if (size > MAX_RAW_BYTES) return undefined;
    parts.push(line);
  }
  const encoded = PREFIX + gzipSync(parts.join('')).toString('base64url');
  return encoded.length <= MAX_INLINE_CHARS ? encoded : undefined;
}

/** The record of an inline value, as a stream of its bytes (for `applyDirTimes`). */
export function inlineDirTimesRecord(id: string): Readable {
  if (!isInlineDirTimes(id)) throw new Error('not an inline directory-times record');
  const body = id.slice(PREFIX.length);
  if (!/^[A-Za-z0-9_-]*$/.test(body) || body.length > MAX_INLINE_CHARS) {
    throw new Error('the inline directory-times record is not base64url of at most 4096 characters');
  }
  let raw: Buffer;
  try {
    raw = gunzipSync(Buffer.from(body, 'base64url'), { maxOutputLength: MAX_RAW_BYTES });
  } catch (err) {
    throw new Error(`the inline directory-times record does not decompress: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return Readable.from([raw]);
}
