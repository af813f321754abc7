import type { FileHandle } from 'node:fs/promises';
import type { SpoolSlot } from './item-index.ts';

/** Bytes gathered before one write to the spool file. */
const CHUNK_BYTES = 256 * 1024;

/**
 * Appends item bodies to the spool file in chunks. One write per item made the reader wait on
 * the file system once per item (a thread-pool round trip each, tens of thousands per backup);
 * gathered, a chunk costs one. At most one chunk is being written while the next one fills, so
 * memory stays at two chunks. The file is complete once `finish` has resolved.
 */
export class SpoolWriter {
  private chunks: Buffer[] = [];
  private chunkBytes = 0;
  /** Bytes appended so far: the next item's offset. */
  private size = 0;
  /** Where the pending chunk starts in the file. */
  private chunkStart = 0;
  private writing: Promise<unknown> = Promise.resolve();

  constructor(private readonly file: FileHandle) {}

  /** Appends `data`; returns where it will sit. Resolves once the caller may go on appending. */
  async append(data: Buffer): Promise<SpoolSlot> {
    const slot = { offset: this.size, length: data.length };
    this.chunks.push(data);
    this.chunkBytes += data.length;
    this.size += data.length;
    if (this.chunkBytes >= CHUNK_BYTES) await this.writeChunk();
    return slot;
  }

  /** Writes what is pending and waits until every write has landed. */
  async finish(): Promise<void> {
    await this.writeChunk();
    await this.writing;
  }

  private async writeChunk(): Promise<void> {
    // The previous chunk first: a failed write then surfaces here, and memory stays at two chunks.
    await this.writing;
    if (this.chunkBytes === 0) return;
    const chunk = Buffer.concat(this.chunks, this.chunkBytes);
    const at = this.chunkStart;
    this.chunkStart += chunk.length;
    this.chunks = [];
    this.chunkBytes = 0;
    const write = this.file.write(chunk, 0, chunk.length, at);
    // Reported by the next writeChunk or finish; until then it must not count as unhandled.
    write.catch(() => undefined);
    this.writing = write;
  }
}
