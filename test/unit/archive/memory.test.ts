import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, test } from 'node:test';
import { BackupArchiveWriter } from '../../../src/archive/writer.ts';

const MiB = 1024 * 1024;

/** A slow-ish upload: acknowledges each chunk on the next turn of the event loop. */
function countingSink(): { sink: Writable; bytes: () => number } {
  let bytes = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      setImmediate(callback);
    },
  });
  return { sink, bytes: () => bytes };
}

describe('archive writer memory', () => {
  test('writing 100k small items keeps RSS growth bounded (output is streamed, not buffered)', async () => {
    const writer = new BackupArchiveWriter({ mtime: new Date(0) });
    const { sink, bytes } = countingSink();
    const upload = pipeline(writer.stream, sink);
    const before = process.memoryUsage().rss;
    let peak = before;
    for (let i = 0; i < 100_000; i++) {
      const json = JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: `cm-${i}`,
          namespace: `ns-${i % 20}`,
          uid: `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`,
        },
        data: { key: `value-${i}`.repeat(8) },
      });
      await writer.addItem({
        group: '',
        version: 'v1',
        resource: 'configmaps',
        namespaced: true,
        namespace: `ns-${i % 20}`,
        name: `cm-${i}`,
        preferredVersion: true,
        json,
      });
      if (i % 5000 === 0) peak = Math.max(peak, process.memoryUsage().rss);
    }
    await writer.finalize();
    await upload;
    assert.equal(writer.entryCount, 200_001);
    assert.ok(writer.uncompressedBytes > 150 * MiB, 'the uncompressed tar is large compared with the bound below');
    assert.ok(bytes() > 0);
    // Loose bound: the tar is >150 MiB; buffering it (or the entries) would blow well past this.
    const growth = peak - before;
    console.log(
      `RSS growth ${Math.round(growth / MiB)} MiB for ${Math.round(writer.uncompressedBytes / MiB)} MiB of tar`,
    );
    assert.ok(growth < 120 * MiB, `RSS grew by ${Math.round(growth / MiB)} MiB`);
  });
});
