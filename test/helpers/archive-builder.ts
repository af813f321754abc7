import { Readable } from 'node:stream';
import { createGzip, gzipSync } from 'node:zlib';
import { pack as createPack, type Header } from 'tar-stream';
import { itemEntryPaths, METADATA_VERSION_CONTENT, METADATA_VERSION_PATH } from '../../src/archive/layout.ts';

type HeaderArgument = Partial<Header> & Pick<Header, 'name'>;

interface RawEntry {
  header: HeaderArgument;
  data: Buffer;
}

/** One item for `ArchiveBuilder.item`. Defaults: core group, `v1`, preferred version. */
export interface BuilderItem {
  group?: string;
  version?: string;
  resource: string;
  kind?: string;
  /** Omit for cluster-scoped items. */
  namespace?: string;
  name: string;
  /** Defaults to true: written at the legacy path and under `<version>-preferredversion/`. */
  preferred?: boolean;
  /** Defaults to a minimal object with apiVersion, kind and metadata. */
  object?: Record<string, unknown>;
}

/** Header fields Velero uses (§2.4), fixed so test tarballs are reproducible. */
const VELERO_HEADER = { mode: 0o755, mtime: new Date('2026-01-02T03:04:05Z'), type: 'file' as const };

/**
 * Builds backup tarballs for tests, in Velero's layout or deliberately not:
 * `aBackupArchive().item({ resource: 'pods', namespace: 'ns1', name: 'p' }).gzip()`.
 */
export class ArchiveBuilder {
  private readonly entries: RawEntry[] = [];

  /** Adds `metadata/version` (§2.4); `aBackupArchive()` already starts with it. */
  versionMarker(content: string = METADATA_VERSION_CONTENT): this {
    return this.file(METADATA_VERSION_PATH, content);
  }

  /** A regular file at exactly `path`. */
  file(path: string, data: Buffer | string): this {
    return this.entry({ name: path, ...VELERO_HEADER }, data);
  }

  /** Any tar entry, including links, devices and hostile names. */
  entry(header: HeaderArgument, data: Buffer | string = Buffer.alloc(0)): this {
    this.entries.push({ header: { ...header }, data: typeof data === 'string' ? Buffer.from(data) : data });
    return this;
  }

  /** An item at every path Velero writes for it. */
  item(spec: BuilderItem): this {
    const group = spec.group ?? '';
    const version = spec.version ?? 'v1';
    const object = spec.object ?? {
      apiVersion: group === '' ? version : `${group}/${version}`,
      kind: spec.kind ?? 'Thing',
      metadata: spec.namespace === undefined ? { name: spec.name } : { name: spec.name, namespace: spec.namespace },
    };
    const paths = itemEntryPaths({
      group,
      version,
      resource: spec.resource,
      namespaced: spec.namespace !== undefined,
      namespace: spec.namespace,
      name: spec.name,
      preferredVersion: spec.preferred ?? true,
    });
    const json = JSON.stringify(object);
    for (const path of paths) this.file(path, json);
    return this;
  }

  /** The uncompressed tar bytes. */
  async tar(): Promise<Buffer> {
    const pack = createPack();
    const chunks: Buffer[] = [];
    pack.on('data', (chunk) => chunks.push(chunk as Buffer));
    const ended = new Promise<void>((resolve, reject) => {
      pack.on('end', () => {
        resolve();
      });
      pack.on('error', reject);
    });
    for (const { header, data } of this.entries) {
      const isFile = header.type === undefined || header.type === 'file' || header.type === 'contiguous-file';
      await new Promise<void>((resolve, reject) => {
        const done = (err?: Error | null): void => {
          if (err) reject(err);
          else resolve();
        };
        if (isFile) pack.entry(header, data, done);
        else pack.entry(header, done).end(null);
      });
    }
    pack.finalize();
    await ended;
    return Buffer.concat(chunks);
  }

  async gzip(): Promise<Buffer> {
    return gzipSync(await this.tar());
  }

  /** The `.tar.gz` as a stream, as a download would deliver it. */
  async stream(): Promise<Readable> {
    return Readable.from([await this.gzip()]);
  }
}

/** A builder that already holds `metadata/version`, like every tarball Velero writes. */
export function aBackupArchive(): ArchiveBuilder {
  return new ArchiveBuilder().versionMarker();
}

/** Reads a whole stream into memory (for small test outputs only). */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * A gzip stream of `totalBytes` zeros, produced lazily so a test never holds it: the input is
 * generated on demand as gzip is read. `consumed()` tells how many zeros were compressed.
 */
export function zeroGzipStream(totalBytes: number): { stream: Readable; consumed: () => number } {
  const block = Buffer.alloc(1024 * 1024);
  let produced = 0;
  const zeros = new Readable({
    read() {
      if (produced >= totalBytes) {
        this.push(null);
        return;
      }
      const n = Math.min(block.length, totalBytes - produced);
      produced += n;
      this.push(n === block.length ? block : block.subarray(0, n));
    },
  });
  const gzip = createGzip();
  zeros.pipe(gzip);
  gzip.on('close', () => zeros.destroy());
  return { stream: gzip, consumed: () => produced };
}
