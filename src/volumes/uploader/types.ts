/**
 * What an uploader (kopia or restic, run as a child process) does for file-system backup, and
 * where its repository is. One repository per (workload namespace, location, type), at
 * Velero's prefixes (reference §2.5).
 */
import type { RepositoryType } from '../../api/index.ts';

/** An S3 bucket (AWS or an S3-compatible server such as MinIO) holding repositories. */
export interface S3RepositoryTarget {
  kind: 's3';
  bucket: string;
  /** Key prefix of this repository inside the bucket, without a leading or trailing `/`. */
  prefix: string;
  /**
   * `s3Url` of the location, e.g. `http://127.0.0.1:9000`; undefined for AWS itself. For a restic
   * repository under the location's `resticRepoPrefix`, that URL's host as written, which may have
   * no scheme (restic then uses https).
   */
  endpoint?: string;
  region: string;
  forcePathStyle: boolean;
  insecureSkipTLSVerify: boolean;
  /** PEM CA bundle from the location. */
  caCert?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/** A directory holding repositories (Skiff's `filesystem` location provider). */
export interface FilesystemRepositoryTarget {
  kind: 'filesystem';
  /** Absolute directory of this repository. */
  path: string;
}

export type RepositoryTarget = S3RepositoryTarget | FilesystemRepositoryTarget;

/** Everything needed to open one repository. */
export interface RepositoryAccess {
  type: RepositoryType;
  target: RepositoryTarget;
  password: string;
  /**
   * A private folder for this repository's client state (kopia's config and cache, restic's
   * cache). Kept between runs so later snapshots connect quickly.
   */
  workDir: string;
}

export interface Progress {
  totalBytes: number;
  bytesDone: number;
}

export interface RunOptions {
  signal?: AbortSignal;
  /** Called as the tool reports progress (about once a second). */
  onProgress?: (progress: Progress) => void;
}

export interface BackupOptions extends RunOptions {
  /** Recorded with the snapshot (PodVolumeBackup `spec.tags`). */
  tags: Readonly<Record<string, string>>;
  /** Files to read and upload at once. */
  parallelFiles?: number;
  /**
   * Where the data "came from" for the repository's history (the previous snapshot of the same
   * source is the parent of the next); defaults to the directory.
   */
  source?: string;
}

export interface BackupResult {
  snapshotID: string;
  /** Bytes in the backed-up tree. */
  totalBytes: number;
  /** Bytes this backup added to the repository (new data after deduplication, before compression). */
  incrementalBytes: number;
  /**
   * kopia only: the snapshot holding the tree's directory times (`src/volumes/dir-times/`),
   * which kopia's own snapshot does not keep, or a small record itself (`inline:...`,
   * `dir-times/inline.ts`). Give it back to `restore` and `forget` it too.
   */
  dirTimesSnapshotID?: string;
}

export interface RestoreOptions extends RunOptions {
  writeSparseFiles?: boolean;
  parallelFiles?: number;
  /** Expected size, when the caller knows it (PodVolumeRestore `spec.snapshotSize`), for progress. */
  totalBytes?: number;
  /** kopia only: the backup's `dirTimesSnapshotID`; its times are set on the restored directories. */
  dirTimesSnapshotID?: string;
}

/** One repository, through one tool. */
export interface Uploader {
  readonly type: RepositoryType;
  /** Creates the repository when it does not exist, else connects to it. */
  initOrConnect(signal?: AbortSignal): Promise<'created' | 'connected'>;
  /** Connects to an existing repository (never creates one). */
  connect(signal?: AbortSignal): Promise<void>;
  backup(dir: string, options: BackupOptions): Promise<BackupResult>;
  restore(snapshotID: string, dir: string, options?: RestoreOptions): Promise<void>;
  /** Removes a snapshot; its data is freed by the next maintenance. */
  forget(snapshotID: string, signal?: AbortSignal): Promise<void>;
  /** Frees unreferenced data and compacts (kopia maintenance / restic prune). */
  maintenance(signal?: AbortSignal): Promise<string>;
  /** Verifies the repository (kopia snapshot verify / restic check); rejects with the tool's report. */
  check(signal?: AbortSignal): Promise<string>;
}
