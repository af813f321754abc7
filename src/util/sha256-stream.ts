import { createHash } from 'node:crypto';
import { finished } from 'node:stream/promises';
import { pipeline, Transform, type Readable } from 'node:stream';

/**
 * A pass-through that hashes exactly the bytes its consumer reads. Checking a download's digest
 * in the same read that uses it leaves no gap between check and use: a file verified in one
 * read and used from another could be replaced in between.
 */
export interface Sha256Stream {
  stream: Readable;
  /**
   * The sha256 hex of everything that flowed through, once the source has ended. Call it after
   * the consumer is done: bytes it left unread are read (and hashed) first; a stream that failed
   * or was destroyed before its end rejects, since its digest says nothing.
   */
  digest(): Promise<string>;
}

export function sha256Stream(source: Readable): Sha256Stream {
  const hash = createHash('sha256');
  let hex: string | undefined;
  const stream = pipeline(
    source,
    new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        done(null, chunk);
      },
      flush(done) {
        hex = hash.digest('hex');
        done();
      },
    }),
    () => undefined,
  );
  return {
    stream,
    async digest() {
      if (hex === undefined) {
        stream.resume();
        await finished(stream);
      }
      if (hex === undefined) throw new Error('the stream ended before its digest was complete');
      return hex;
    },
  };
}
