/**
 * Uploads a stream of unknown length (a backup's tarball) through a temporary file, so memory
 * does not grow with the stream. Before, lib-storage's Upload held up to a whole part in memory
 * (10 MiB: all of a typical tarball, so a backup's memory grew with its size) plus the parts in
 * flight. Here the bytes go to disk as they come, each part is sent from its range of the file
 * as soon as it is complete, and a stream smaller than one part is sent with one PutObject once
 * it has ended. Velero, too, writes its tarball to a temporary file before uploading it.
 *
 * The first IN_MEMORY_BYTES are held in memory, and the file is only made once a stream grows
 * past them: a stream that ends below (a backup of ~10,000 small objects has a ~1 MiB tarball)
 * goes up from memory as one Buffer, with no temporary file. Through the file, a 1 MiB stream
 * cost 19-24 ms of client CPU per upload against 6-7 ms from memory (the test environment's
 * MinIO, under load), and the file's close, open and read were on a backup's critical path
 * after its last item. Memory stays bounded by IN_MEMORY_BYTES.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type PutObjectCommandInput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createReadStream } from 'node:fs';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { makeScratchDir } from '../../../util/scratch-dir.ts';
import type { Readable } from 'node:stream';
import PQueue from 'p-queue';
import { sendOptions } from './send-options.ts';

export interface SpoolTuning {
  /** Bytes per part (S3's minimum is 5 MiB, but for the last part). */
  partSize: number;
  /** Parts sent at once. */
  queueSize: number;
}

/** The parameters of the PutObject the stream replaces, without its body. */
export type SpooledParams = Omit<PutObjectCommandInput, 'Body' | 'ContentLength'> & { Bucket: string; Key: string };

/**
 * Sends a request whose body is read from the file again on every attempt: the SDK does not
 * retry a request with a stream body, since it cannot read the stream twice.
 */
async function withFreshBody<T>(send: (attempt: number) => Promise<T>, signal?: AbortSignal): Promise<T> {
  const attempts = 3;
  for (let attempt = 1; ; attempt++) {
    try {
      return await send(attempt);
    } catch (err) {
      if (attempt >= attempts || signal?.aborted || !retryable(err)) throw err;
      await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
    }
  }
}

/** Server errors, throttling and broken connections; never a refusal (4xx). */
function retryable(err: unknown): boolean {
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (status !== undefined) return status >= 500 || status === 429;
  const code = (err as { code?: string }).code;
  return code !== undefined && ['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED'].includes(code);
}

/** Bytes of a stream held in memory before it goes to a temporary file. */
export const IN_MEMORY_BYTES = 2 * 1024 * 1024;

export async function uploadSpooled(
  client: S3Client,
  params: SpooledParams,
  body: Readable,
  tuning: SpoolTuning,
  signal?: AbortSignal,
): Promise<void> {
  let spool: { dir: string; path: string; file: FileHandle } | undefined;
  const options = sendOptions(signal);
  const { Bucket, Key } = params;
  const checksum = params.ChecksumAlgorithm ? { ChecksumAlgorithm: params.ChecksumAlgorithm } : {};
  const range = (start: number, end: number): Readable => createReadStream(spool?.path ?? '', { start, end: end - 1 });
  let uploadId: Promise<string> | undefined;
  const parts: CompletedPart[] = [];
  const queue = new PQueue({ concurrency: tuning.queueSize });
  let failed: Error | undefined;
  const sendPart = (partNumber: number, start: number, end: number): void => {
    uploadId ??= client
      .send(new CreateMultipartUploadCommand(params), options)
      .then((out) => out.UploadId ?? Promise.reject(new Error('CreateMultipartUpload returned no UploadId')));
    const id = uploadId;
    void queue
      .add(async () => {
        const UploadId = await id;
        const out = await withFreshBody(
          () =>
            client.send(
              new UploadPartCommand({
                Bucket,
                Key,
                UploadId,
                PartNumber: partNumber,
                Body: range(start, end),
                ContentLength: end - start,
                ...checksum,
              }),
              options,
            ),
          signal,
        );
        const { ETag, ChecksumCRC32, ChecksumCRC32C, ChecksumSHA1, ChecksumSHA256, ChecksumCRC64NVME } = out;
        parts.push({
          PartNumber: partNumber,
          ETag,
          ...(ChecksumCRC32 ? { ChecksumCRC32 } : {}),
          ...(ChecksumCRC32C ? { ChecksumCRC32C } : {}),
          ...(ChecksumSHA1 ? { ChecksumSHA1 } : {}),
          ...(ChecksumSHA256 ? { ChecksumSHA256 } : {}),
          ...(ChecksumCRC64NVME ? { ChecksumCRC64NVME } : {}),
        });
      })
      .catch((err: unknown) => {
        failed ??= err instanceof Error ? err : new Error(String(err));
        queue.clear();
      });
  };

  try {
    let written = 0;
    let sent = 0; // bytes handed to parts
    let partCount = 0;
    const held: Buffer[] = []; // the stream's start, while it fits IN_MEMORY_BYTES
    for await (const chunk of body) {
      if (failed !== undefined) throw failed;
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      if (!spool && written + bytes.length <= IN_MEMORY_BYTES) {
        held.push(bytes);
        written += bytes.length;
        continue;
      }
      if (!spool) {
        spool = await openSpool();
        const start = Buffer.concat(held);
        held.length = 0;
        await spool.file.write(start, 0, start.length, 0);
      }
      await spool.file.write(bytes, 0, bytes.length, written);
      written += bytes.length;
      while (written - sent >= tuning.partSize) {
        sendPart(++partCount, sent, sent + tuning.partSize);
        sent += tuning.partSize;
      }
    }
    if (!spool) {
      // Sent as a Buffer, which the SDK may send again should an attempt fail.
      await client.send(new PutObjectCommand({ ...params, Body: Buffer.concat(held, written) }), options);
      return;
    }
    await spool.file.close();
    if (uploadId === undefined) {
      await withFreshBody(
        () =>
          client.send(new PutObjectCommand({ ...params, Body: range(0, written), ContentLength: written }), options),
        signal,
      );
      return;
    }
    if (written > sent) sendPart(++partCount, sent, written);
    await queue.onIdle();
    if (failed !== undefined) throw failed;
    parts.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
    await client.send(
      new CompleteMultipartUploadCommand({ Bucket, Key, UploadId: await uploadId, MultipartUpload: { Parts: parts } }),
      options,
    );
  } catch (err) {
    queue.clear();
    await queue.onIdle();
    // No orphaned parts left to cost storage.
    const id = await uploadId?.catch(() => undefined);
    if (id) await client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId: id })).catch(() => undefined);
    throw err;
  } finally {
    if (spool) {
      await spool.file.close().catch(() => undefined);
      await rm(spool.dir, { recursive: true, force: true });
    }
  }
}

async function openSpool(): Promise<{ dir: string; path: string; file: FileHandle }> {
  const dir = await makeScratchDir('upload');
  const path = join(dir, 'body');
  try {
    return { dir, path, file: await open(path, 'w') };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
