import { createHash, createHmac } from 'node:crypto';
import type { AwsStaticCredentials } from './credentials-file.ts';

export interface PresignGetInput {
  /** Base URL of the service: `https://s3.us-east-1.amazonaws.com`, `s3Url` or `publicUrl`. */
  endpoint: string;
  bucket: string;
  key: string;
  region: string;
  credentials: AwsStaticCredentials;
  /** Bucket in the path (`host/bucket/key`) rather than in the host name (`bucket.host/key`). */
  pathStyle: boolean;
  expiresSeconds: number;
  now: Date;
}

/** SigV4 allows query-string signatures to live at most 7 days. */
export const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

/** RFC 3986 percent-encoding as SigV4 requires: everything but unreserved characters. */
function uriEncode(value: string, keepSlash: boolean): string {
  return encodeURIComponent(value)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%2F/g, keepSlash ? '/' : '%2F');
}

const sha256Hex = (data: string): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data).digest();

/**
 * A pre-signed GET URL (AWS Signature Version 4, query-string authentication), computed
 * locally: no request is made. Pure apart from the hashing, so it is unit-tested against
 * the worked example in AWS's S3 documentation.
 */
export function presignGetUrl(input: PresignGetInput): string {
  const base = new URL(input.endpoint);
  const basePath = base.pathname.replace(/\/+$/, '');
  const host = input.pathStyle ? base.host : `${input.bucket}.${base.host}`;
  const path = `${basePath}${input.pathStyle ? `/${uriEncode(input.bucket, false)}` : ''}/${uriEncode(input.key, true)}`;

  const amzDate = input.now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const scope = `${day}/${input.region}/s3/aws4_request`;
  const query: [string, string][] = [
    ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
    ['X-Amz-Credential', `${input.credentials.accessKeyId}/${scope}`],
    ['X-Amz-Date', amzDate],
    ['X-Amz-Expires', String(Math.min(Math.max(1, Math.floor(input.expiresSeconds)), MAX_PRESIGN_SECONDS))],
    ['X-Amz-SignedHeaders', 'host'],
  ];
  if (input.credentials.sessionToken) query.push(['X-Amz-Security-Token', input.credentials.sessionToken]);
  const canonicalQuery = query
    .map(([k, v]) => [uriEncode(k, false), uriEncode(v, false)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');

  const canonicalRequest = ['GET', path, canonicalQuery, `host:${host}`, '', 'host', 'UNSIGNED-PAYLOAD'].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  let signingKey = hmac(`AWS4${input.credentials.secretAccessKey}`, day);
  for (const part of [input.region, 's3', 'aws4_request']) signingKey = hmac(signingKey, part);
  const signature = createHmac('sha256', signingKey).update(stringToSign).digest('hex');

  return `${base.protocol}//${host}${path}?${canonicalQuery}&X-Amz-Signature=${signature}`;
}
