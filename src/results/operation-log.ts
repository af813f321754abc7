import { createWriteStream, type WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { makeScratchDir } from '../util/scratch-dir.ts';
import { finished } from 'node:stream/promises';
import { createGzip, type Gzip } from 'node:zlib';
import { IsoTimeFormatter } from '../util/iso-time.ts';
import { Results, type ResultScope } from './results.ts';

type Level = 'info' | 'warning' | 'error';
type Fields = Record<string, string | number | undefined>;

/**
 * The log of one backup or restore, as the user downloads it (`skiff backup logs`):
 * text lines in logrus's `key=value` shape, gzipped to a temp file as they come (memory
 * stays flat), uploaded at the end. Warnings and errors also go into the Results, which
 * is what decides PartiallyFailed, as in Velero (reference §0 "Error accounting").
 */
export class OperationLog {
  readonly results = new Results();
  private readonly gzip: Gzip;
  private readonly file: WriteStream;
  private closed = false;
  /** Lines are batched: one gzip write per line costs more CPU than the restore's creates. */
  private pending = '';
  private readonly baseKeys: string[];
  private readonly time = new IsoTimeFormatter();

  private constructor(
    private readonly dir: string,
    private readonly base: Fields,
  ) {
    this.baseKeys = Object.keys(base);
    this.gzip = createGzip();
    this.file = createWriteStream(join(dir, 'log.gz'));
    this.gzip.pipe(this.file);
  }

  static async create(base: Fields): Promise<OperationLog> {
    const dir = await makeScratchDir('log');
    return new OperationLog(dir, base);
  }

  get path(): string {
    return join(this.dir, 'log.gz');
  }

  info(msg: string, fields: Fields = {}): void {
    this.write('info', msg, fields);
  }

  warn(scope: ResultScope, msg: string, fields: Fields = {}): void {
    this.results.addWarning(scope, msg);
    this.write('warning', msg, { ...scopeFields(scope), ...fields });
  }

  error(scope: ResultScope, msg: string, fields: Fields = {}): void {
    this.results.addError(scope, msg);
    this.write('error', msg, { ...scopeFields(scope), ...fields });
  }

  /** Flushes the gzip stream; the file at `path` is then complete. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.gzip.end(this.pending);
    this.pending = '';
    await finished(this.file);
  }

  async dispose(): Promise<void> {
    await this.close().catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
  }

  private write(level: Level, msg: string, fields: Fields): void {
    if (this.closed) return;
    // The fields of `{ ...base, ...fields }` in its order, without building it (one line per item).
    let line = `time="${this.time.format(Date.now())}" level=${level} msg=${quote(msg)}`;
    for (const k of this.baseKeys) line += field(k, Object.hasOwn(fields, k) ? fields[k] : this.base[k]);
    for (const k of Object.keys(fields)) if (!Object.hasOwn(this.base, k)) line += field(k, fields[k]);
    this.pending += `${line}\n`;
    if (this.pending.length >= 64 * 1024) {
      this.gzip.write(this.pending);
      this.pending = '';
    }
  }
}

function field(key: string, value: string | number | undefined): string {
  return value === undefined ? '' : ` ${key}=${quote(String(value))}`;
}

function scopeFields(scope: ResultScope): Fields {
  return typeof scope === 'object' ? { namespace: scope.namespace } : {};
}

function quote(s: string): string {
  return /^[\w./:@-]+$/.test(s) ? s : JSON.stringify(s);
}
