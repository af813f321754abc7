/**
 * The restic uploader (legacy in Velero, reference §6.1): the `restic` binary against
 * `s3:<url>/<bucket>/<prefix>/restic/<ns>` (§2.5) or a directory. As Velero does, a volume is
 * backed up from inside its directory (`restic backup .`), so the snapshot holds the volume's
 * contents at its root and restores into any directory with `--target .`.
 */
import { lstat, mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { awsEnv } from './kopia.ts';
import { cachedSnapshotID } from './restic-cache.ts';
import { runTool, ToolError } from './run-tool.ts';
import { goRuntimeEnv, type UploaderTuning } from './tuning.ts';
import type { ResticSnapshotListing } from '../repository/snapshot-copies.ts';
import type {
  BackupOptions,
  BackupResult,
  RepositoryAccess,
  RepositoryTarget,
  RestoreOptions,
  Uploader,
} from './types.ts';

const LOCK_WAIT_MS = 10 * 60_000;
const LOCK_RETRY_MS = 5000;

interface RunOptions {
  signal?: AbortSignal | undefined;
  cwd?: string;
  onStdoutLine?: (line: string) => void;
  /** More environment (a second repository's). */
  env?: Record<string, string>;
}

/** Velero's restic snapshots carry host `velero`; keeping it lets either read the other's history. */
const HOST = 'velero';

export class ResticUploader implements Uploader {
  readonly type = 'restic' as const;

  constructor(
    private readonly access: RepositoryAccess,
    private readonly binary = 'restic',
    private readonly tuning?: UploaderTuning,
  ) {}

  /** The repository URL restic is given (Velero's `repoIdentifier` for S3, §2.5). */
  repositoryUrl(): string {
    const { target } = this.access;
    if (target.kind === 'filesystem') return target.path;
    const host = target.endpoint ?? `https://s3.${target.region}.amazonaws.com`;
    return `s3:${host}/${target.bucket}/${target.prefix}`;
  }

  private async globalArgs(): Promise<string[]> {
    const { target, workDir } = this.access;
    const args = [`--cache-dir=${this.cacheDir()}`];
    if (target.kind === 's3') {
      args.push(`--option=s3.region=${target.region}`);
      if (target.forcePathStyle) args.push('--option=s3.bucket-lookup=path');
      if (target.insecureSkipTLSVerify) args.push('--insecure-tls');
      if (target.caCert !== undefined) {
        const pem = join(workDir, 'ca.pem');
        await writeFile(pem, target.caCert, { mode: 0o600 });
        args.push(`--cacert=${pem}`);
      }
    }
    return args;
  }

  /**
   * Runs restic, waiting out another process's exclusive lock (a prune in progress): restic 0.14
   * has no --retry-lock, so the command is tried again every few seconds for up to 10 minutes.
   */
  private async run(args: readonly string[], opts: RunOptions = {}): Promise<string> {
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      try {
        return await this.runOnce(args, opts);
      } catch (err) {
        const locked = err instanceof ToolError && /repository is already locked/.test(err.stderr);
        if (!locked || Date.now() > deadline || opts.signal?.aborted) throw err;
        await sleep(LOCK_RETRY_MS, undefined, opts.signal ? { signal: opts.signal } : {});
      }
    }
  }

  private async runOnce(args: readonly string[], opts: RunOptions): Promise<string> {
    const { target } = this.access;
    await mkdir(this.access.workDir, { recursive: true, mode: 0o700 });
    return runTool({
      command: this.binary,
      args: [...args, ...(await this.globalArgs())],
      env: {
        RESTIC_REPOSITORY: this.repositoryUrl(),
        RESTIC_PASSWORD: this.access.password,
        // Status lines once a second (restic prints them far less often when not on a terminal).
        RESTIC_PROGRESS_FPS: '1',
        ...goRuntimeEnv(this.tuning, 'restic'),
        ...(this.tuning?.resticPackSizeMiB !== undefined
          ? { RESTIC_PACK_SIZE: String(this.tuning.resticPackSizeMiB) }
          : {}),
        ...(target.kind === 's3' ? awsEnv(target) : {}),
        ...opts.env,
      },
      signal: opts.signal,
      ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
      ...(opts.onStdoutLine ? { onStdoutLine: opts.onStdoutLine } : {}),
    });
  }

  async initOrConnect(signal?: AbortSignal): Promise<'created' | 'connected'> {
    try {
      await this.run(['init'], { signal });
      return 'created';
    } catch (err) {
      if (!(err instanceof ToolError) || !/already (exists|initialized)/i.test(err.stderr)) throw err;
    }
    await this.connect(signal);
    return 'connected';
  }

  async connect(signal?: AbortSignal): Promise<void> {
    await this.run(['cat', 'config'], { signal });
  }

  async backup(dir: string, options: BackupOptions): Promise<BackupResult> {
    if (options.parallelFiles !== undefined) {
      throw new Error(
        `restic 0.14 reads one file at a time: parallel file upload (ParallelFilesUpload=${options.parallelFiles}) is supported with kopia only`,
      );
    }
    const args = ['backup', '.', '--json', `--host=${HOST}`];
    for (const [k, v] of Object.entries(options.tags)) args.push(`--tag=${k}=${v}`);
    let summary: { snapshot_id?: string; data_added?: number; total_bytes_processed?: number } | undefined;
    await this.run(args, {
      cwd: dir,
      signal: options.signal,
      onStdoutLine: (line) => {
        const msg = parseJson(line) as
          { message_type?: string; total_bytes?: number; bytes_done?: number; snapshot_id?: string } | undefined;
        if (msg?.message_type === 'status') {
          options.onProgress?.({ totalBytes: msg.total_bytes ?? 0, bytesDone: msg.bytes_done ?? 0 });
        } else if (msg?.message_type === 'summary') {
          summary = msg;
        }
      },
    });
    if (!summary?.snapshot_id) throw new Error('restic backup printed no summary with a snapshot ID');
    const totalBytes = summary.total_bytes_processed ?? 0;
    options.onProgress?.({ totalBytes, bytesDone: totalBytes });
    const snapshotID = await this.fullSnapshotID(summary.snapshot_id, options.signal);
    return { snapshotID, totalBytes, incrementalBytes: summary.data_added ?? 0 };
  }

  private cacheDir(): string {
    return join(this.access.workDir, 'cache');
  }

  /**
   * restic 0.14's summary names the snapshot by its short ID; the PVB records the full one, as
   * Velero does. restic has just cached the snapshot file it wrote, named by the full ID: read
   * it there, which spares a second restic run (a key derivation and a repository open, about
   * a second of a backup: bench:fs); ask restic only when the cache does not say.
   */
  private async fullSnapshotID(shortID: string, signal?: AbortSignal): Promise<string> {
    const cached = await cachedSnapshotID(this.cacheDir(), shortID);
    if (cached !== undefined) return cached;
    const out = await this.run(['snapshots', '--json', shortID], { signal });
    const list = parseJson(out.trim()) as { id?: string }[] | undefined;
    const id = Array.isArray(list) ? list[0]?.id : undefined;
    if (!id) throw new Error(`restic snapshots did not list snapshot ${shortID}`);
    return id;
  }

  async restore(snapshotID: string, dir: string, options: RestoreOptions = {}): Promise<void> {
    if (options.dirTimesSnapshotID !== undefined) {
      // restic keeps directory times in its own snapshot; only kopia backups carry this record.
      throw new Error(
        `a directory-times snapshot (${options.dirTimesSnapshotID}) belongs to kopia backups, not restic`,
      );
    }
    if (options.parallelFiles !== undefined) {
      throw new Error(
        `restic 0.14 has no parallel restore setting: ParallelFilesDownload=${options.parallelFiles} is supported with kopia only`,
      );
    }
    await this.run(['restore', snapshotID, '--target=.'], { cwd: dir, signal: options.signal });
    // restic 0.14 has no --sparse: punch holes where the restored data is zero instead.
    if (options.writeSparseFiles) await digHoles(dir, options.signal);
    if (options.totalBytes !== undefined) {
      options.onProgress?.({ totalBytes: options.totalBytes, bytesDone: options.totalBytes });
    }
  }

  async forget(snapshotID: string, signal?: AbortSignal): Promise<void> {
    await this.run(['forget', snapshotID], { signal });
  }

  /** Every snapshot of the repository. */
  async listSnapshots(signal?: AbortSignal): Promise<ResticSnapshotListing[]> {
    const out = await this.run(['snapshots', '--json'], { signal });
    const list = parseJson(out.trim());
    if (!Array.isArray(list)) throw new Error(`restic snapshots printed no list: ${out.slice(0, 500)}`);
    return list.flatMap((s: unknown) => {
      const { id, original } = (typeof s === 'object' && s !== null ? s : {}) as { id?: unknown; original?: unknown };
      if (typeof id !== 'string') return [];
      return [{ id, ...(typeof original === 'string' ? { original } : {}) }];
    });
  }

  /**
   * Copies snapshots of repository `source` into this one (`restic copy --from-repo`, restic
   * 0.14's spelling; `--repo2` before it); each copy gets a new ID and names its original.
   * restic reads both repositories with one set of S3 settings and credentials, so repositories
   * that need different ones are refused.
   */
  async copyFrom(source: ResticUploader, snapshotIDs: readonly string[], signal?: AbortSignal): Promise<void> {
    if (snapshotIDs.length === 0) return;
    const differs = differentS3Settings(source.access.target, this.access.target);
    if (differs) {
      throw new Error(
        `restic copy reads both repositories with one set of S3 settings, and ${source.repositoryUrl()} needs a different ${differs} than ${this.repositoryUrl()}`,
      );
    }
    await this.run(['copy', ...snapshotIDs], {
      signal,
      env: { RESTIC_FROM_REPOSITORY: source.repositoryUrl(), RESTIC_FROM_PASSWORD: source.access.password },
    });
  }

  async maintenance(signal?: AbortSignal): Promise<string> {
    await this.removeStaleLocks(signal);
    return this.run(['prune'], { signal });
  }

  async check(signal?: AbortSignal): Promise<string> {
    await this.removeStaleLocks(signal);
    return this.run(['check'], { signal });
  }

  /**
   * restic 0.14 leaves the lock of a process that was killed, and then refuses the exclusive
   * lock prune and check need. `unlock` removes only stale locks: those of dead processes on
   * this host, and any older than 30 minutes.
   */
  private async removeStaleLocks(signal?: AbortSignal): Promise<void> {
    await this.run(['unlock'], { signal });
  }
}

/** Which S3 setting of two repositories differs (restic copy has one set for both), or undefined. */
function differentS3Settings(a: RepositoryTarget, b: RepositoryTarget): string | undefined {
  if (a.kind !== 's3' || b.kind !== 's3') return a.kind === b.kind ? undefined : 'storage kind';
  if (a.endpoint !== b.endpoint) return 'endpoint';
  if (a.region !== b.region) return 'region';
  if (a.forcePathStyle !== b.forcePathStyle) return 'path style';
  if (a.insecureSkipTLSVerify !== b.insecureSkipTLSVerify) return 'TLS verification';
  if (a.caCert !== b.caCert) return 'CA certificate';
  if (JSON.stringify(awsEnv(a)) !== JSON.stringify(awsEnv(b))) return 'credential';
  return undefined;
}

/** Files smaller than this are not worth a process to make sparse. */
const SPARSE_MIN_BYTES = 1024 * 1024;

/** Makes every large regular file under `dir` sparse where it holds zeros, keeping its times. */
async function digHoles(dir: string, signal?: AbortSignal): Promise<void> {
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const st = await lstat(path);
    if (st.size < SPARSE_MIN_BYTES) continue;
    await runTool({ command: 'fallocate', args: ['--dig-holes', path], env: {}, signal });
    await utimes(path, st.atime, st.mtime);
  }
}

function parseJson(line: string): unknown {
  if (!line.startsWith('{') && !line.startsWith('[')) return undefined;
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}
