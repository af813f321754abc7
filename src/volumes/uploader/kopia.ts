/**
 * The kopia uploader (Velero's default since 1.10, reference §6): the `kopia` binary run
 * against the location's bucket at `<prefix>/kopia/<ns>/` (§2.5), with its config and cache in
 * the repository's work folder. Snapshots are taken as `default@default` whichever node agent
 * takes them; maintenance belongs to `maintenance@skiff`, which only the repository controller
 * connects as, so a snapshot never runs kopia's automatic maintenance on its own.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { applyDirTimes, dirTimesRecord, type AppliedDirTimes } from '../dir-times/files.ts';
import { inlineDirTimes, inlineDirTimesRecord, isInlineDirTimes } from '../dir-times/inline.ts';
import { DIR_TIMES_FILE } from '../dir-times/record.ts';
import { defaultChainEnv } from '../../storage/providers/aws/default-chain.ts';
import { errorMessage } from '../../util/errors.ts';
import type { KopiaSnapshotListing } from '../repository/snapshot-copies.ts';
import { runTool, ToolError } from './run-tool.ts';
import { goRuntimeEnv, type UploaderTuning } from './tuning.ts';
import type {
  BackupOptions,
  BackupResult,
  Progress,
  RepositoryAccess,
  RestoreOptions,
  S3RepositoryTarget,
  Uploader,
} from './types.ts';

const SNAPSHOT_IDENTITY = ['--override-username=default', '--override-hostname=default'];
const MAINTENANCE_OWNER = 'maintenance@skiff';
const MAINTENANCE_IDENTITY = ['--override-username=maintenance', '--override-hostname=skiff'];
/**
 * Packs of at most 10 MiB (kopia's smallest; its default is 20) in the repositories Skiff
 * creates: a kopia snapshot holds the pack it fills and each pack it is uploading in memory, so
 * this halves its live heap when it reads two files at once (2 GiB, `--parallel=2`: 152 -> 83
 * MB; bench:fs, README "File-system backup"). A repository parameter, readable by any kopia
 * (Velero's too); repositories created elsewhere keep theirs.
 */
const NEW_REPOSITORY_PARAMETERS = ['--max-pack-size-mb=10'];
/** How often kopia prints progress (Velero's PVB progress is updated about once a second). */
const PROGRESS = ['--progress', '--progress-update-interval=1s'];

type Role = 'snapshots' | 'maintenance';

export class KopiaUploader implements Uploader {
  readonly type = 'kopia' as const;

  constructor(
    private readonly access: RepositoryAccess,
    private readonly binary = 'kopia',
    private readonly tuning?: UploaderTuning,
  ) {}

  private configFile(role: Role): string {
    return join(this.access.workDir, role === 'snapshots' ? 'repository.config' : 'maintenance.config');
  }

  private env(role: Role, operation: 'backup' | 'restore' = 'backup'): Record<string, string> {
    const { target } = this.access;
    const env: Record<string, string> = {
      KOPIA_PASSWORD: this.access.password,
      KOPIA_CHECK_FOR_UPDATES: 'false',
      KOPIA_CONFIG_PATH: this.configFile(role),
      KOPIA_CACHE_DIRECTORY: join(this.access.workDir, 'cache'),
      KOPIA_LOG_DIR: join(this.access.workDir, 'logs'),
      // One log file per run is plenty; kopia keeps 1000 by default.
      KOPIA_LOG_DIR_MAX_FILES: '3',
      KOPIA_CONTENT_LOG_DIR_MAX_FILES: '3',
      ...goRuntimeEnv(this.tuning, 'kopia', operation),
    };
    if (target.kind === 's3') Object.assign(env, awsEnv(target));
    return env;
  }

  private async run(
    args: readonly string[],
    opts: {
      signal?: AbortSignal | undefined;
      onStderrLine?: (line: string) => void;
      role?: Role;
      stdin?: AsyncIterable<string>;
      /** A restore's kopia runs under the restore's memory limit (tuning.ts). */
      restore?: boolean;
      /**
       * kopia opens a second repository (snapshot migrate): the cache folder is left to each
       * one's config (`cache` beside it, where connect put it), since the environment's would
       * be used for both, and one repository's cached index fails to decrypt in the other.
       */
      twoRepositories?: boolean;
    } = {},
  ): Promise<string> {
    await mkdir(this.access.workDir, { recursive: true, mode: 0o700 });
    const env = this.env(opts.role ?? 'snapshots', opts.restore === true ? 'restore' : 'backup');
    if (opts.twoRepositories === true) delete env.KOPIA_CACHE_DIRECTORY;
    return runTool({
      command: this.binary,
      args,
      env,
      signal: opts.signal,
      splitCarriageReturns: true,
      ...(opts.onStderrLine ? { onStderrLine: opts.onStderrLine } : {}),
      ...(opts.stdin ? { stdin: opts.stdin } : {}),
    });
  }

  private async storageArgs(): Promise<string[]> {
    const { target } = this.access;
    if (target.kind === 'filesystem') return ['filesystem', `--path=${target.path}`];
    const args = ['s3', `--bucket=${target.bucket}`, `--prefix=${target.prefix}/`, `--region=${target.region}`];
    if (target.endpoint !== undefined) {
      const url = new URL(target.endpoint);
      args.push(`--endpoint=${url.host}`);
      if (url.protocol === 'http:') args.push('--disable-tls');
    } else {
      args.push(`--endpoint=s3.${target.region}.amazonaws.com`);
    }
    if (target.insecureSkipTLSVerify) args.push('--disable-tls-verification');
    if (target.caCert !== undefined) {
      const pem = join(this.access.workDir, 'ca.pem');
      await mkdir(this.access.workDir, { recursive: true, mode: 0o700 });
      await writeFile(pem, target.caCert, { mode: 0o600 });
      args.push(`--root-ca-pem-path=${pem}`);
    }
    return args;
  }

  async initOrConnect(signal?: AbortSignal): Promise<'created' | 'connected'> {
    try {
      const storage = await this.storageArgs();
      await this.run(['repository', 'create', ...storage, ...SNAPSHOT_IDENTITY], { signal });
      await this.run(['repository', 'set-parameters', ...NEW_REPOSITORY_PARAMETERS], { signal });
      await this.run(['maintenance', 'set', `--owner=${MAINTENANCE_OWNER}`], { signal });
      await this.remember('snapshots', storage);
      return 'created';
    } catch (err) {
      if (!(err instanceof ToolError) || !/existing data|already (exists|initialized)/i.test(err.stderr)) throw err;
    }
    await this.connect(signal);
    return 'connected';
  }

  async connect(signal?: AbortSignal): Promise<void> {
    await this.connectAs('snapshots', signal);
  }

  /**
   * Connects the role's config to the repository, unless it already is with the same storage,
   * credentials and password (a connect costs a round of reads from the bucket).
   */
  private async connectAs(role: Role, signal?: AbortSignal): Promise<void> {
    const storage = await this.storageArgs();
    const stampFile = `${this.configFile(role)}.skiff-stamp`;
    const stamp = this.stamp(storage);
    const previous = await readFile(stampFile, 'utf8').catch(() => '');
    if (previous === stamp) return;
    const identity = role === 'snapshots' ? SNAPSHOT_IDENTITY : MAINTENANCE_IDENTITY;
    await this.run(['repository', 'connect', ...storage, ...identity], { signal, role });
    await writeFile(stampFile, stamp, { mode: 0o600 });
  }

  private async remember(role: Role, storage: string[]): Promise<void> {
    await writeFile(`${this.configFile(role)}.skiff-stamp`, this.stamp(storage), { mode: 0o600 });
  }

  private stamp(storage: string[]): string {
    const env = this.env('snapshots');
    return createHash('sha256')
      .update(
        JSON.stringify([
          storage,
          env.KOPIA_PASSWORD,
          env.AWS_ACCESS_KEY_ID,
          env.AWS_SECRET_ACCESS_KEY,
          env.AWS_SESSION_TOKEN,
        ]),
      )
      .digest('hex');
  }

  async backup(dir: string, options: BackupOptions): Promise<BackupResult> {
    await this.connect(options.signal);
    const args = ['snapshot', 'create', dir, '--json', ...PROGRESS];
    for (const [k, v] of Object.entries(options.tags)) args.push(`--tags=${k}:${v}`);
    const parallel = options.parallelFiles ?? this.tuning?.parallelFiles;
    if (parallel !== undefined) args.push(`--parallel=${parallel}`);
    if (options.source !== undefined) args.push(`--override-source=${options.source}`);
    let uploaded = 0;
    const out = await this.run(args, {
      signal: options.signal,
      onStderrLine: (line) => {
        const p = parseKopiaProgress(line);
        if (!p) return;
        uploaded = p.uploadedBytes;
        options.onProgress?.({ totalBytes: p.totalBytes, bytesDone: p.bytesDone });
      },
    });
    const manifest = lastJson(out) as { id?: string; rootEntry?: { summ?: { size?: number } } } | undefined;
    if (!manifest?.id) throw new Error(`kopia snapshot create printed no snapshot: ${out.slice(0, 500)}`);
    if (options.signal?.aborted) {
      // Interrupted (SIGINT), kopia still exits 0 and saves what it had read as an incomplete
      // snapshot: drop it, or a canceled backup would be recorded as a Completed partial one.
      await this.forget(manifest.id).catch(() => undefined);
      throw new ToolError('kopia snapshot create was canceled', null, '');
    }
    let dirTimesSnapshotID: string;
    try {
      dirTimesSnapshotID = await this.backupDirTimes(dir, options);
    } catch (err) {
      // Without its directory times the snapshot would restore a different tree: drop it.
      await this.forget(manifest.id).catch(() => undefined);
      throw err;
    }
    const totalBytes = manifest.rootEntry?.summ?.size ?? 0;
    options.onProgress?.({ totalBytes, bytesDone: totalBytes });
    return { snapshotID: manifest.id, totalBytes, incrementalBytes: uploaded, dirTimesSnapshotID };
  }

  /**
   * kopia stores a directory's time as the newest time inside it, so every directory's own
   * time is recorded (`src/volumes/dir-times/`): inline when the record is small (no second
   * kopia run), else in a second, small snapshot streamed from stdin, whose source is the
   * volume's source plus `.skiff-dir-times`, so it never becomes the parent of the data snapshot.
   */
  private async backupDirTimes(dir: string, options: BackupOptions): Promise<string> {
    const inline = await inlineDirTimes(dirTimesRecord(dir));
    if (inline !== undefined) return inline;
    const args = ['snapshot', 'create', `--stdin-file=${DIR_TIMES_FILE}`, '-', '--json'];
    args.push(`--override-source=${options.source ?? dir}.skiff-dir-times`);
    for (const [k, v] of Object.entries(options.tags)) args.push(`--tags=${k}:${v}`);
    const out = await this.run(args, { signal: options.signal, stdin: dirTimesRecord(dir) });
    const manifest = lastJson(out) as { id?: string } | undefined;
    if (!manifest?.id)
      throw new Error(`kopia snapshot create of the directory times printed no snapshot: ${out.slice(0, 500)}`);
    return manifest.id;
  }

  /** Sets the directories under `dir` to the times in the record snapshot. */
  private async restoreDirTimes(snapshotID: string, dir: string, signal?: AbortSignal): Promise<AppliedDirTimes> {
    if (isInlineDirTimes(snapshotID)) {
      try {
        return await applyDirTimes(dir, inlineDirTimesRecord(snapshotID), signal);
      } catch (err) {
        throw new Error(`cannot set the directory times from the inline record: ${errorMessage(err)}`, { cause: err });
      }
    }
    // Restored to a file in the work folder and read back a line at a time (kopia's stdout is
    // collected whole by runTool; the file keeps memory flat however many directories).
    const file = join(this.access.workDir, `dir-times-${randomUUID()}.ndjson`);
    try {
      await this.run(['snapshot', 'restore', `${snapshotID}/${DIR_TIMES_FILE}`, file], { signal });
      return await applyDirTimes(dir, createReadStream(file), signal);
    } catch (err) {
      throw new Error(`cannot set the directory times from snapshot ${snapshotID}: ${errorMessage(err)}`, {
        cause: err,
      });
    } finally {
      await rm(file, { force: true });
    }
  }

  async restore(snapshotID: string, dir: string, options: RestoreOptions = {}): Promise<void> {
    await this.connect(options.signal);
    const args = ['snapshot', 'restore', snapshotID, dir, ...PROGRESS];
    if (options.writeSparseFiles) args.push('--write-sparse-files');
    const parallel = options.parallelFiles ?? this.tuning?.restoreParallelFiles ?? this.tuning?.parallelFiles;
    if (parallel !== undefined) args.push(`--parallel=${parallel}`);
    await this.run(args, {
      signal: options.signal,
      restore: true,
      onStderrLine: (line) => {
        const done = parseKopiaRestoreProgress(line);
        if (done !== undefined) options.onProgress?.({ totalBytes: options.totalBytes ?? done, bytesDone: done });
      },
    });
    if (options.dirTimesSnapshotID) await this.restoreDirTimes(options.dirTimesSnapshotID, dir, options.signal);
  }

  async forget(snapshotID: string, signal?: AbortSignal): Promise<void> {
    // An inline directory-times record has nothing in the repository.
    if (isInlineDirTimes(snapshotID)) return;
    await this.connect(signal);
    await this.run(['snapshot', 'delete', snapshotID, '--delete'], { signal });
  }

  /** Every snapshot of the repository, of every user and host. */
  async listSnapshots(signal?: AbortSignal): Promise<KopiaSnapshotListing[]> {
    await this.connect(signal);
    const out = await this.run(['snapshot', 'list', '--all', '--json'], { signal });
    const list = parseJsonArray(out);
    if (!list) throw new Error(`kopia snapshot list printed no list: ${out.slice(0, 500)}`);
    return list.filter(isKopiaListing);
  }

  /**
   * Copies every snapshot of the given sources (`user@host:path`) of repository `source` into
   * this one (`kopia snapshot migrate`), without their policies. kopia reports a source it could
   * not copy in its log and still exits 0: the caller checks the copies by listing them.
   */
  async migrateFrom(source: KopiaUploader, sources: readonly string[], signal?: AbortSignal): Promise<void> {
    if (sources.length === 0) return;
    await source.connect(signal);
    await this.connect(signal);
    const args = ['snapshot', 'migrate', `--source-config=${source.configFile('snapshots')}`, '--no-policies'];
    for (const s of sources) args.push(`--sources=${s}`);
    await this.run(args, { signal, twoRepositories: true });
  }

  async maintenance(signal?: AbortSignal): Promise<string> {
    await this.connectAs('maintenance', signal);
    return this.run(['maintenance', 'run', '--full'], { signal, role: 'maintenance' });
  }

  async check(signal?: AbortSignal): Promise<string> {
    await this.connect(signal);
    return this.run(['snapshot', 'verify', '--verify-files-percent=100'], { signal });
  }
}

/** The AWS SDK environment kopia and restic read their S3 credentials from. */
export function awsEnv(target: S3RepositoryTarget): Record<string, string> {
  const env: Record<string, string> = {};
  const creds = target.credentials;
  if (creds) {
    env.AWS_ACCESS_KEY_ID = creds.accessKeyId;
    env.AWS_SECRET_ACCESS_KEY = creds.secretAccessKey;
    if (creds.sessionToken) env.AWS_SESSION_TOKEN = creds.sessionToken;
  } else {
    // No static credentials in the location or server file: the tool's own default chain.
    Object.assign(env, defaultChainEnv());
  }
  return env;
}

function parseJsonArray(out: string): unknown[] | undefined {
  const start = out.indexOf('[');
  if (start < 0) return undefined;
  try {
    const parsed: unknown = JSON.parse(out.slice(start));
    return Array.isArray(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function isKopiaListing(v: unknown): v is KopiaSnapshotListing {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as { id?: unknown; startTime?: unknown; source?: { host?: unknown; userName?: unknown; path?: unknown } };
  return (
    typeof m.id === 'string' &&
    typeof m.startTime === 'string' &&
    typeof m.source?.host === 'string' &&
    typeof m.source.userName === 'string' &&
    typeof m.source.path === 'string'
  );
}

function lastJson(out: string): unknown {
  const start = out.indexOf('{');
  if (start < 0) return undefined;
  try {
    return JSON.parse(out.slice(start));
  } catch {
    return undefined;
  }
}

const UNITS: Record<string, number> = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
};

function bytes(value: string, unit: string): number {
  return Math.round(Number(value) * (UNITS[unit] ?? 1));
}

export interface KopiaProgress {
  bytesDone: number;
  totalBytes: number;
  uploadedBytes: number;
}

/**
 * One kopia progress line, e.g.
 * ` | 1 hashing, 10 hashed (50 MB), 2 cached (1 MB), uploaded 20 MB, estimated 100 MB (51.0%) 3s left`:
 * done = hashed + cached, total = the estimate (or done while kopia is still estimating).
 */
export function parseKopiaProgress(line: string): KopiaProgress | undefined {
  const size = '([\\d.]+) ([KMGT]i?B|B)';
  const hashed = new RegExp(`(\\d+) hashed \\(${size}\\)`).exec(line);
  const cached = new RegExp(`(\\d+) cached \\(${size}\\)`).exec(line);
  const uploaded = new RegExp(`uploaded ${size}`).exec(line);
  if (!hashed || !uploaded) return undefined;
  const done = bytes(hashed[2] ?? '0', hashed[3] ?? 'B') + (cached ? bytes(cached[2] ?? '0', cached[3] ?? 'B') : 0);
  const estimated = new RegExp(`estimated ${size}`).exec(line);
  const total = estimated ? bytes(estimated[1] ?? '0', estimated[2] ?? 'B') : done;
  return {
    bytesDone: done,
    totalBytes: Math.max(total, done),
    uploadedBytes: bytes(uploaded[1] ?? '0', uploaded[2] ?? 'B'),
  };
}

/** Bytes restored so far from a kopia restore progress line (`Processed N (X MB) of M (Y MB)`), if it is one. */
export function parseKopiaRestoreProgress(line: string): number | undefined {
  const m = /Processed \d+ \(([\d.]+) ([KMGT]i?B|B)\)/.exec(line);
  return m ? bytes(m[1] ?? '0', m[2] ?? 'B') : undefined;
}

export type { Progress };
