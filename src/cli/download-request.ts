/**
 * The client side of a DownloadRequest (reference §1.8): ask the server for a signed URL
 * to one file of a backup, wait for it, fetch it. Velero gunzips every kind except
 * BackupContents (the tarball is handed over as stored).
 */
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';
import { Agent, fetch as fetchWith } from 'undici';
import { Kinds, resourceRef } from '../api/kinds.ts';
import type { DownloadRequest, DownloadTargetKind } from '../api/requests.ts';
import type { Cluster } from '../kube/cluster.ts';
import { errorMessage, SkiffError } from '../util/errors.ts';
import { readClientConfig } from './context.ts';

/** How the signed URL's certificate is checked: Velero's `--cacert` and `--insecure-skip-tls-verify` (§8.2). */
export interface DownloadTls {
  /** A CA bundle to trust; without one, the client config's `cacert` (§8.1). */
  cacert?: string;
  insecureSkipTlsVerify?: boolean;
}

export interface DownloadTarget {
  cluster: Cluster;
  tls?: DownloadTls;
  namespace: string;
  kind: DownloadTargetKind;
  /** Name of the backup (or restore) the file belongs to. */
  name: string;
  timeoutMs?: number;
  pollMs?: number;
}

/** No server answered in time, or the file could not be fetched. */
export class DownloadError extends SkiffError {
  readonly code = 'DownloadFailed';
  constructor(
    readonly request: string,
    message: string,
  ) {
    super(message);
  }
}

/** How long to wait for a server to serve the file when no `--timeout` is given: Velero's 1m (§8.2). */
export const DEFAULT_DOWNLOAD_TIMEOUT_MS = 60_000;

/** A stream of the file's bytes, gunzipped unless the kind is BackupContents. */
export async function openDownload(target: DownloadTarget): Promise<Readable> {
  const url = await requestDownloadUrl(target);
  const raw = await fetchUrl(url, target);
  if (target.kind === 'BackupContents') return raw;
  const gunzip = createGunzip();
  raw.on('error', (err) => gunzip.destroy(err));
  return raw.pipe(gunzip);
}

/** The whole file as text (for the small JSON files `describe --details` reads). */
export async function downloadText(target: DownloadTarget): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of await openDownload(target)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Creates the request, waits until the server has processed it, deletes it, returns its URL. */
export async function requestDownloadUrl(target: DownloadTarget): Promise<string> {
  const { cluster, namespace } = target;
  const ref = resourceRef(Kinds.DownloadRequest);
  // `<target>-<uuid>` as Velero's CLI names them; the target is cut so the name stays within 253 characters.
  const name = `${target.name.slice(0, 200)}-${randomUUID()}`;
  const request: DownloadRequest = {
    apiVersion: 'velero.io/v1',
    kind: 'DownloadRequest',
    metadata: { name, namespace },
    spec: { target: { kind: target.kind, name: target.name } },
  };
  await cluster.create(ref, request);
  try {
    return await pollForUrl(target, name);
  } finally {
    await cluster.delete(ref, name, namespace).catch(() => undefined);
  }
}

async function pollForUrl(target: DownloadTarget, name: string): Promise<string> {
  const timeoutMs = target.timeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  const ref = resourceRef(Kinds.DownloadRequest);
  for (;;) {
    const live = (await target.cluster.find(ref, name, target.namespace)) as DownloadRequest | undefined;
    const status = live?.status;
    if (status?.phase === 'Processed' && status.downloadURL) return status.downloadURL;
    if (Date.now() >= deadline) {
      throw new DownloadError(
        name,
        `no Skiff server processed download request ${name} within ${Math.round(timeoutMs / 1000)}s: ` +
          `is \`skiff server\` running in namespace ${target.namespace}, and does ${target.kind} of ${target.name} exist?`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, target.pollMs ?? 100));
  }
}

/**
 * `--cacert`, else the client config's `cacert` (reference §8.1), is trusted for the signed URL,
 * as Velero's CLI does: a location behind a private CA serves its URLs with that CA's
 * certificate. `--insecure-skip-tls-verify` checks no certificate at all.
 */
export async function httpGet(
  url: string,
  env: NodeJS.ProcessEnv = process.env,
  tls: DownloadTls = {},
): Promise<Pick<Response, 'ok' | 'status' | 'body' | 'text'>> {
  const cacert = tls.cacert ?? readClientConfig(env).cacert;
  if (cacert === undefined && !tls.insecureSkipTlsVerify) return fetch(url);
  let ca: Buffer | undefined;
  if (cacert !== undefined) {
    try {
      ca = await readFile(cacert);
    } catch (err) {
      const whose = tls.cacert === undefined ? ' of the client config' : '';
      throw new DownloadError(url, `cacert ${cacert}${whose} could not be read: ${errorMessage(err)}`);
    }
  }
  const dispatcher = new Agent({
    connect: { ...(ca ? { ca } : {}), ...(tls.insecureSkipTlsVerify ? { rejectUnauthorized: false } : {}) },
  });
  try {
    const res = await fetchWith(url, { dispatcher });
    return { ok: res.ok, status: res.status, body: res.body, text: () => res.text() };
  } finally {
    void dispatcher.close();
  }
}

/** `file://` URLs come from the filesystem provider and are read from disk; others with an HTTP GET. */
async function fetchUrl(url: string, target: DownloadTarget): Promise<Readable> {
  const what = `${target.kind} of ${target.name}`;
  if (url.startsWith('file:')) {
    const stream = createReadStream(fileURLToPath(url));
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', (err) => reject(new DownloadError(url, `${what} is not available: ${err.message}`)));
    });
    return stream;
  }
  const res = await httpGet(url, process.env, target.tls);
  if (!res.ok || !res.body) {
    const detail = res.status === 404 ? 'the file does not exist in the storage location' : await res.text();
    throw new DownloadError(url, `${what} could not be downloaded: HTTP ${res.status}: ${detail.slice(0, 300)}`);
  }
  return Readable.fromWeb(res.body);
}
