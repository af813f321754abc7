/**
 * A backup tarball copied with some of its items edited: every item and metadata entry keeps
 * its path and order, an item `edit` returns a new object for is written with that object's
 * JSON, and the rest go through byte for byte. Entries the reader does not hand out (a path
 * outside Velero's layout) would be lost, so they stop the copy instead (nothing dropped
 * unnoticed); directory entries carry nothing and are left out, as Skiff's writer does.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { ArchiveError, ArchiveErrorCode } from './errors.ts';
import { readBackupArchive, type ArchiveItemRecord } from './reader.ts';
import { TAR_END, tarHeaderLength, tarPaddingLength, writeTarHeader } from './tar-header.ts';
import { DEFAULT_GZIP_LEVEL } from './writer.ts';

/** Velero's mode for every entry (§2.4), as the writer stamps it. */
const ENTRY_MODE = 0o755;

/** Returns the edited object of an item, or undefined to keep it as it is. */
export type ItemEdit = (record: ArchiveItemRecord) => Record<string, unknown> | undefined;

/** The tarball of `source` with the items `edit` changes; `mtime` stamps every entry. */
export function rewriteBackupArchive(source: Readable, edit: ItemEdit, mtime: Date): { body: Readable } {
  const seconds = Math.floor(mtime.getTime() / 1000);
  async function* entries(): AsyncGenerator<Buffer> {
    for await (const record of readBackupArchive(source)) {
      if (record.kind === 'note') {
        throw new ArchiveError(
          ArchiveErrorCode.InvalidPath,
          `entry ${record.path} cannot be carried into a rewritten tarball: ${record.message}`,
          { path: record.path },
        );
      }
      let data = record.data;
      if (record.kind === 'item') {
        const changed = edit(record);
        if (changed) data = Buffer.from(JSON.stringify(changed));
      }
      yield entry(record.path, data, seconds);
    }
    yield TAR_END;
  }
  const body = createGzip({ level: DEFAULT_GZIP_LEVEL });
  // pipeline destroys `body` with the error of a failed read, so its reader sees the failure.
  pipeline(Readable.from(entries()), body).catch(() => undefined);
  return { body };
}

/** One regular-file entry: header(s), data, padding to the block. */
function entry(path: string, data: Buffer, mtime: number): Buffer {
  const at = tarHeaderLength(path);
  const buf = Buffer.alloc(at + data.length + tarPaddingLength(data.length));
  writeTarHeader(buf, 0, { path, size: data.length, mode: ENTRY_MODE, mtime });
  data.copy(buf, at);
  return buf;
}
