import { Transform, type TransformCallback } from 'node:stream';
import { ArchiveError, ArchiveErrorCode } from './errors.ts';

/** Bounds that make a hostile or broken tarball fail fast instead of exhausting memory. */
export interface ArchiveLimits {
  /** Largest single entry. Kubernetes objects are bounded by etcd (~1.5 MiB by default). */
  maxEntryBytes: number;
  /** Largest total uncompressed tar stream. */
  maxTotalBytes: number;
  /** Highest uncompressed/compressed ratio tolerated once `ratioCheckAfterBytes` were inflated. */
  maxCompressionRatio: number;
  /** The ratio check starts here: small archives are mostly tar padding and compress extremely well. */
  ratioCheckAfterBytes: number;
  /** Most tar entries (files and directories). */
  maxEntries: number;
}

const MiB = 1024 * 1024;

/**
 * Defaults. Real backups of compact JSON measure around 10-30x including tar padding (see the
 * archive tests); deflate's ceiling is about 1030x, which is what a zero-filled bomb reaches.
 */
export const DEFAULT_ARCHIVE_LIMITS: Readonly<ArchiveLimits> = {
  maxEntryBytes: 64 * MiB,
  maxTotalBytes: 32 * 1024 * MiB,
  maxCompressionRatio: 200,
  ratioCheckAfterBytes: 64 * MiB,
  maxEntries: 10_000_000,
};

export function resolveLimits(limits: Partial<ArchiveLimits> | undefined): ArchiveLimits {
  return { ...DEFAULT_ARCHIVE_LIMITS, ...limits };
}

const GZIP_MAGIC = [0x1f, 0x8b] as const;

/** Counts compressed bytes and rejects input that does not start with the gzip magic. */
export class CompressedMeter extends Transform {
  bytes = 0;
  private head: number[] = [];

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.head.length < GZIP_MAGIC.length) {
      for (const byte of chunk.subarray(0, GZIP_MAGIC.length - this.head.length)) this.head.push(byte);
      if (!this.magicSoFar()) {
        callback(new ArchiveError(ArchiveErrorCode.NotGzip, 'backup archive is not gzip-compressed (bad magic bytes)'));
        return;
      }
    }
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.head.length < GZIP_MAGIC.length) {
      callback(
        new ArchiveError(ArchiveErrorCode.NotGzip, `backup archive is too short to be gzip (${this.bytes} bytes)`),
      );
      return;
    }
    callback();
  }

  private magicSoFar(): boolean {
    return this.head.every((byte, i) => byte === GZIP_MAGIC[i]);
  }
}

/**
 * Sits right after gunzip and counts what it produces, failing as soon as the total or the
 * ratio is exceeded. Because the pipeline applies backpressure, gunzip has inflated at most a
 * few buffers beyond this point when the error stops it.
 */
export class InflateGuard extends Transform {
  bytes = 0;

  constructor(
    private readonly compressed: CompressedMeter,
    private readonly limits: ArchiveLimits,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    const err = this.check();
    if (err) callback(err);
    else callback(null, chunk);
  }

  private check(): ArchiveError | undefined {
    if (this.bytes > this.limits.maxTotalBytes) {
      return new ArchiveError(
        ArchiveErrorCode.TooLarge,
        `backup archive inflates to more than ${this.limits.maxTotalBytes} bytes; raise the limit if this backup is genuine`,
      );
    }
    if (this.bytes < this.limits.ratioCheckAfterBytes) return undefined;
    const ratio = this.bytes / Math.max(1, this.compressed.bytes);
    if (ratio > this.limits.maxCompressionRatio) {
      return new ArchiveError(
        ArchiveErrorCode.CompressionRatio,
        `backup archive looks like a decompression bomb: ${this.bytes} bytes inflated from ${this.compressed.bytes} (ratio ${Math.round(ratio)} > ${this.limits.maxCompressionRatio})`,
      );
    }
    return undefined;
  }
}
