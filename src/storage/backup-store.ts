import { pipeline, type Readable } from 'node:stream';
import { createGunzip, createGzip, gzipSync } from 'node:zlib';
import { errorMessage, ValidationError } from '../util/errors.ts';
import { CorruptBackupMetadataError, ObjectNotFoundError } from './errors.ts';
import { decodeJsonGz, encodeJsonGz, encodeJsonPiecesGz, encodePrettyJson } from './gzip-json.ts';
import {
  isDownloadTargetKind,
  StoreLayout,
  topLevelDirectories,
  TENANTS_DIRECTORY,
  downloadTargets,
  type BackupJsonFile,
  type RestoreJsonFile,
} from './layout.ts';
import { collect, readAll, type ObjectBody, type ObjectStore } from './object-store.ts';

export type { BackupJsonFile, RestoreJsonFile, DownloadTargetKind } from './layout.ts';

/** Signed download URLs live 10 minutes (§1.8). */
export const DOWNLOAD_URL_TTL_SECONDS = 600;

const JSON_TYPE = 'application/json';
const GZIP_TYPE = 'application/gzip';

/** Gzips a body on its way to the store: a stream stays a stream, so memory stays flat. */
function logBody(log: ObjectBody | { gzipped: Buffer }): Buffer | Readable {
  return typeof log === 'object' && 'gzipped' in log ? log.gzipped : gzipBody(log);
}

function gzipBody(body: ObjectBody): Buffer | Readable {
  if (typeof body === 'string' || Buffer.isBuffer(body)) return gzipSync(body);
  return pipeline(body, createGzip(), () => undefined);
}

function gunzipStream(body: Readable): Readable {
  return pipeline(body, createGunzip(), () => undefined);
}

/**
 * Velero's object layout on top of an ObjectStore: the one place that knows the keys of
 * backups and restores (reference §2) and their encodings.
 */
export class BackupStore {
  readonly layout: StoreLayout;

  constructor(
    readonly objectStore: ObjectStore,
    prefix: string | undefined,
  ) {
    this.layout = new StoreLayout(prefix);
  }

  dispose(): void {
    this.objectStore.dispose?.();
  }

  // ---- listing and validation -------------------------------------------------------

  /** Backup names: the "directories" under `backups/` (§2.1), sorted. */
  async listBackups(): Promise<string[]> {
    return this.listChildren(this.layout.backupsDir());
  }

  async listRestores(): Promise<string[]> {
    return this.listChildren(this.layout.restoresDir());
  }

  /** A backup exists iff its `velero-backup.json` does (§2.1). */
  backupExists(name: string): Promise<boolean> {
    return this.objectStore.objectExists(this.layout.backupKey(name, 'metadata'));
  }

  /**
   * Top-level "directories" under the prefix that Velero does not own (§2.1 `IsValid`).
   * Also proves the bucket is reachable with these credentials: the listing fails otherwise.
   */
  async invalidTopLevelDirectories(): Promise<string[]> {
    const root = this.layout.root();
    const owned: readonly string[] = [...topLevelDirectories, TENANTS_DIRECTORY];
    const names = (await collect(this.objectStore.listCommonPrefixes(root, '/'))).map((p) =>
      StoreLayout.childName(root, p),
    );
    return names.filter((n) => !owned.includes(n));
  }

  // ---- backups ----------------------------------------------------------------------

  /** Rewrites `velero-backup.json` (operations controller, finalizer). */
  async putBackupMetadata(name: string, backup: unknown): Promise<void> {
    const key = this.layout.backupKey(name, 'metadata');
    await this.objectStore.putObject(key, encodePrettyJson(backup), { contentType: JSON_TYPE });
  }

  /**
   * The stored Backup CR, unvalidated. Rejects with ObjectNotFoundError when the backup is
   * absent and with CorruptBackupMetadataError when the file is not a JSON object.
   */
  async getBackupMetadata(name: string): Promise<unknown> {
    const key = this.layout.backupKey(name, 'metadata');
    const text = (await readAll(await this.objectStore.getObject(key))).toString('utf8');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new CorruptBackupMetadataError(name, key, `not valid JSON (${errorMessage(err)})`, { cause: err });
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new CorruptBackupMetadataError(name, key, 'not a JSON object');
    }
    return value;
  }

  /** Uploads the (already gzipped) tarball; the finalizer also uses it to replace it. */
  async putBackupContents(name: string, tarball: ObjectBody): Promise<void> {
    await this.objectStore.putObject(this.layout.backupKey(name, 'contents'), tarball, { contentType: GZIP_TYPE });
  }

  /** The gzipped tarball as stored. */
  getBackupContents(name: string): Promise<Readable> {
    return this.objectStore.getObject(this.layout.backupKey(name, 'contents'));
  }

  /** Uploads a log: plain text is gzipped on the way; an operation log's file is gzip already. */
  async putBackupLog(name: string, log: ObjectBody | { gzipped: Buffer }): Promise<void> {
    await this.objectStore.putObject(this.layout.backupKey(name, 'log'), logBody(log), { contentType: GZIP_TYPE });
  }

  /** The backup log, decompressed. */
  async getBackupLog(name: string): Promise<Readable> {
    return gunzipStream(await this.objectStore.getObject(this.layout.backupKey(name, 'log')));
  }

  async putBackupFile(name: string, file: BackupJsonFile, value: unknown): Promise<void> {
    const key = this.layout.backupKey(name, file);
    await this.objectStore.putObject(key, encodeJsonGz(value), { contentType: GZIP_TYPE });
  }

  /** `putBackupFile` of a value given as the pieces of its JSON, for files that grow with the backup. */
  async putBackupFilePieces(name: string, file: BackupJsonFile, pieces: Iterable<string>): Promise<void> {
    const key = this.layout.backupKey(name, file);
    await this.objectStore.putObject(key, await encodeJsonPiecesGz(pieces), { contentType: GZIP_TYPE });
  }

  /**
   * A companion file, parsed but unvalidated; undefined when absent, as older backups lack
   * some of them (volume info before 1.13, CSI files after 1.16).
   */
  getBackupFile(name: string, file: BackupJsonFile): Promise<unknown> {
    return this.getJsonGz(this.layout.backupKey(name, file));
  }

  /** Deletes every object under `backups/<name>/` (§2.3), one by one as Velero does. */
  deleteBackup(name: string): Promise<void> {
    return this.deleteAllUnder(this.layout.backupDir(name));
  }

  // ---- restores ---------------------------------------------------------------------

  /** Restore files are written even on a ReadOnly BSL (§2.3, §5.6): no check here. */
  async putRestoreLog(name: string, log: ObjectBody | { gzipped: Buffer }): Promise<void> {
    await this.objectStore.putObject(this.layout.restoreKey(name, 'log'), logBody(log), { contentType: GZIP_TYPE });
  }

  async getRestoreLog(name: string): Promise<Readable> {
    return gunzipStream(await this.objectStore.getObject(this.layout.restoreKey(name, 'log')));
  }

  async putRestoreFile(name: string, file: RestoreJsonFile, value: unknown): Promise<void> {
    const key = this.layout.restoreKey(name, file);
    await this.objectStore.putObject(key, encodeJsonGz(value), { contentType: GZIP_TYPE });
  }

  /** `putRestoreFile` of a value given as the pieces of its JSON, for files that grow with the restore. */
  async putRestoreFilePieces(
    name: string,
    file: RestoreJsonFile,
    pieces: Iterable<string> | AsyncIterable<string>,
  ): Promise<void> {
    const key = this.layout.restoreKey(name, file);
    await this.objectStore.putObject(key, await encodeJsonPiecesGz(pieces), { contentType: GZIP_TYPE });
  }

  getRestoreFile(name: string, file: RestoreJsonFile): Promise<unknown> {
    return this.getJsonGz(this.layout.restoreKey(name, file));
  }

  deleteRestore(name: string): Promise<void> {
    return this.deleteAllUnder(this.layout.restoreDir(name));
  }

  // ---- downloads and repositories ---------------------------------------------------

  /**
   * A pre-signed URL for a DownloadRequest target (§1.8). The URL serves the object as
   * stored: gzipped for every kind, and the CLI gunzips all but BackupContents.
   */
  getDownloadUrl(kind: string, name: string, ttlSeconds = DOWNLOAD_URL_TTL_SECONDS): Promise<string> {
    if (!isDownloadTargetKind(kind)) {
      const known = Object.keys(downloadTargets).join(', ');
      throw new ValidationError(`download target kind "${kind}" is not one of ${known}`);
    }
    return this.objectStore.createSignedUrl(this.layout.downloadKey(kind, name), ttlSeconds);
  }

  /** Key prefix of a workload namespace's kopia or restic repository in this bucket (§2.5). */
  repositoryPrefix(kind: 'kopia' | 'restic', volumeNamespace: string): string {
    return this.layout.repositoryPrefix(kind, volumeNamespace);
  }

  // ---- helpers ----------------------------------------------------------------------

  private async listChildren(dir: string): Promise<string[]> {
    const prefixes = await collect(this.objectStore.listCommonPrefixes(dir, '/'));
    return prefixes.map((p) => StoreLayout.childName(dir, p)).sort();
  }

  private async getJsonGz(key: string): Promise<unknown> {
    let body: Readable;
    try {
      body = await this.objectStore.getObject(key);
    } catch (err) {
      if (err instanceof ObjectNotFoundError) return undefined;
      throw err;
    }
    return decodeJsonGz(await readAll(body));
  }

  private async deleteAllUnder(dir: string): Promise<void> {
    // Collect first: deleting while paging through a listing can skip keys on some stores.
    const keys = await collect(this.objectStore.listObjects(dir));
    for (const key of keys) await this.objectStore.deleteObject(key);
  }
}
