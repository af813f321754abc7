import { SkiffError } from '../util/errors.ts';

/**
 * Stable codes for everything that can be wrong with a backup tarball. Callers branch on
 * these, never on message text. Codes marked "per item" are reported for one entry and the
 * reader goes on; all others end the read.
 */
export const ArchiveErrorCode = {
  /** The input does not start with the gzip magic bytes. */
  NotGzip: 'ArchiveNotGzip',
  /** The gzip or tar stream ends before the archive is complete. */
  Truncated: 'ArchiveTruncated',
  /** The gzip data or a tar header is damaged. */
  Corrupt: 'ArchiveCorrupt',
  /** An entry path is absolute, contains `..`/`.`/empty segments or control characters. */
  UnsafePath: 'ArchiveUnsafePath',
  /** A symlink, hardlink, device, fifo or other non-regular entry. */
  UnsupportedEntryType: 'ArchiveUnsupportedEntryType',
  /** One entry is larger than `maxEntryBytes`. */
  EntryTooLarge: 'ArchiveEntryTooLarge',
  /** The uncompressed archive is larger than `maxTotalBytes`. */
  TooLarge: 'ArchiveTooLarge',
  /** The uncompressed/compressed ratio signals a decompression bomb. */
  CompressionRatio: 'ArchiveCompressionRatio',
  /** More entries than `maxEntries`. */
  TooManyEntries: 'ArchiveTooManyEntries',
  /** A path that does not follow the `resources/…` layout (§2.4). */
  InvalidPath: 'ArchiveInvalidPath',
  /** Per item: the entry's content is not a JSON object. */
  InvalidItemJson: 'ArchiveInvalidItemJson',
  /** The writer was used after `finalize()` or after its output failed. */
  WriterClosed: 'ArchiveWriterClosed',
} as const;
export type ArchiveErrorCode = (typeof ArchiveErrorCode)[keyof typeof ArchiveErrorCode];

/** A problem with a backup tarball, carrying the entry path it concerns when there is one. */
export class ArchiveError extends SkiffError {
  readonly code: ArchiveErrorCode;
  readonly path: string | undefined;
  constructor(code: ArchiveErrorCode, message: string, options?: { path?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ArchiveError';
    this.code = code;
    this.path = options?.path;
  }
}

export function isArchiveError(err: unknown, code?: ArchiveErrorCode): err is ArchiveError {
  return err instanceof ArchiveError && (code === undefined || err.code === code);
}
