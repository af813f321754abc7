import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  paginateListObjectsV2,
  PutObjectCommand,
  type S3Client,
  type ServerSideEncryption,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Readable } from 'node:stream';
import { ObjectNotFoundError, ObjectStoreRequestError } from '../../errors.ts';
import type { ObjectBody, ObjectStore, PutObjectOptions } from '../../object-store.ts';
import { mapS3Error } from './map-error.ts';
import { sendOptions } from './send-options.ts';
import { uploadSpooled } from './spooled-upload.ts';
import type { AwsSettings } from './settings.ts';

/**
 * Upload tuning of a stream (spooled-upload.ts): it goes through a temporary file, and parts
 * are sent from the file, queueSize at a time; 10,000 parts × 10 MiB caps an object at ~97 GiB,
 * above any tarball we expect.
 */
export interface UploadTuning {
  partSize: number;
  queueSize: number;
}
export const defaultUploadTuning: UploadTuning = { partSize: 10 * 1024 * 1024, queueSize: 4 };

const PAGE_SIZE = 1000;

/** SigV4 allows query-string signatures to live at most 7 days. */
export const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

export class S3ObjectStore implements ObjectStore {
  readonly provider = 'aws';
  readonly endpoint: string;

  /**
   * @param signer the client whose endpoint signed URLs point at: `client` itself, or one
   * configured with `publicUrl` (Velero's AWS plugin signs against publicUrl when set, so
   * clients outside the cluster, such as the CLI on a laptop, can download while the server
   * talks to an internal endpoint).
   */
  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
    private readonly settings: AwsSettings,
    private readonly tuning: UploadTuning = defaultUploadTuning,
    private readonly signer: S3Client = client,
  ) {
    this.endpoint = settings.displayEndpoint;
  }

  dispose(): void {
    this.client.destroy();
    if (this.signer !== this.client) this.signer.destroy();
  }

  async putObject(key: string, body: ObjectBody, opts: PutObjectOptions = {}): Promise<void> {
    const params = {
      Bucket: this.bucket,
      Key: key,
      ...(opts.contentType ? { ContentType: opts.contentType } : {}),
      ...(this.settings.checksumAlgorithm ? { ChecksumAlgorithm: this.settings.checksumAlgorithm } : {}),
      ...(this.settings.serverSideEncryption
        ? { ServerSideEncryption: this.settings.serverSideEncryption as ServerSideEncryption }
        : {}),
      ...(this.settings.kmsKeyId ? { SSEKMSKeyId: this.settings.kmsKeyId } : {}),
    };
    if (typeof body === 'string' || Buffer.isBuffer(body)) {
      // Small files of known size (companions, metadata): one PutObject. lib-storage's
      // chunking costs more CPU than the request itself, and a backup uploads eight of them.
      try {
        await this.client.send(new PutObjectCommand({ ...params, Body: body }), sendOptions(opts.signal));
      } catch (err) {
        throw mapS3Error(this, err, 'PutObject', key);
      }
      return;
    }
    try {
      await uploadSpooled(this.client, params, body, this.tuning, opts.signal);
    } catch (err) {
      throw mapS3Error(this, err, 'PutObject', key);
    }
  }

  async getObject(key: string): Promise<Readable> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (out.Body instanceof Readable) return out.Body;
      throw new ObjectStoreRequestError(this, key, 'GetObject', 'UnexpectedBody', {
        message: 'the response body is not a Node.js stream',
        transient: false,
      });
    } catch (err) {
      throw mapS3Error(this, err, 'GetObject', key);
    }
  }

  async objectExists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (err) {
      const mapped = mapS3Error(this, err, 'HeadObject', key);
      if (mapped instanceof ObjectNotFoundError) return false;
      throw mapped;
    }
  }

  async *listObjects(prefix: string): AsyncGenerator<string> {
    try {
      const pages = paginateListObjectsV2(
        { client: this.client, pageSize: PAGE_SIZE },
        { Bucket: this.bucket, Prefix: prefix },
      );
      for await (const page of pages) {
        for (const object of page.Contents ?? []) if (object.Key !== undefined) yield object.Key;
      }
    } catch (err) {
      throw mapS3Error(this, err, 'ListObjectsV2', '');
    }
  }

  async *listCommonPrefixes(prefix: string, delimiter: string): AsyncGenerator<string> {
    try {
      const pages = paginateListObjectsV2(
        { client: this.client, pageSize: PAGE_SIZE },
        { Bucket: this.bucket, Prefix: prefix, Delimiter: delimiter },
      );
      for await (const page of pages) {
        for (const common of page.CommonPrefixes ?? []) if (common.Prefix !== undefined) yield common.Prefix;
      }
    } catch (err) {
      throw mapS3Error(this, err, 'ListObjectsV2', '');
    }
  }

  async deleteObject(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (err) {
      throw mapS3Error(this, err, 'DeleteObject', key);
    }
  }

  async abortIncompleteUploads(keys: readonly string[]): Promise<string[]> {
    const aborted: string[] = [];
    for (const key of keys) {
      try {
        for (const UploadId of await this.uploadIdsOf(key)) {
          await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId }));
          aborted.push(key);
        }
      } catch (err) {
        throw mapS3Error(this, err, 'AbortMultipartUpload', key);
      }
    }
    return aborted;
  }

  /** The unfinished multipart uploads of exactly this key. */
  private async uploadIdsOf(key: string): Promise<string[]> {
    const ids: string[] = [];
    let KeyMarker: string | undefined;
    let UploadIdMarker: string | undefined;
    do {
      const page = await this.client.send(
        new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: key, KeyMarker, UploadIdMarker }),
      );
      for (const u of page.Uploads ?? []) if (u.Key === key && u.UploadId !== undefined) ids.push(u.UploadId);
      ({ NextKeyMarker: KeyMarker, NextUploadIdMarker: UploadIdMarker } = page.IsTruncated ? page : {});
    } while (KeyMarker !== undefined);
    return ids;
  }

  async createSignedUrl(key: string, ttlSeconds: number): Promise<string> {
    const expiresIn = Math.min(Math.max(1, Math.floor(ttlSeconds)), MAX_PRESIGN_SECONDS);
    try {
      // Signed locally: no request is made.
      return await getSignedUrl(this.signer, new GetObjectCommand({ Bucket: this.bucket, Key: key }), { expiresIn });
    } catch (err) {
      throw mapS3Error(this, err, 'CreateSignedUrl', key);
    }
  }
}
