/**
 * Reading a volume's directory times into a record and setting them back after a restore
 * (format and order: `record.ts`). Both stream: the record is produced and consumed a line at
 * a time, so a tree of 100,000 directories costs no more memory than one of ten.
 */
import { lstat, opendir, realpath, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import {
  childPath,
  dirTimeLine,
  dirTimesPostOrder,
  headerLine,
  nsToSeconds,
  parseRecordLine,
  type DirTime,
} from './record.ts';

function isGone(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** The record of every directory under `root` (and `root` itself), one line (with `\n`) at a time. */
export async function* dirTimesRecord(root: string): AsyncGenerator<string> {
  const top = await lstat(root, { bigint: true });
  yield `${headerLine()}\n`;
  const readSubdirs = async (path: string): Promise<DirTime[]> => {
    const out: DirTime[] = [];
    let dir;
    try {
      dir = await opendir(join(root, path));
    } catch (err) {
      if (isGone(err)) return out; // removed while we walked (a live volume)
      throw err;
    }
    for await (const entry of dir) {
      if (!entry.isDirectory()) continue; // symlinks to directories are not followed
      const rel = childPath(path, entry.name);
      try {
        out.push({ path: rel, mtimeNs: (await lstat(join(root, rel), { bigint: true })).mtimeNs });
      } catch (err) {
        if (!isGone(err)) throw err;
      }
    }
    return out;
  };
  for await (const entry of dirTimesPostOrder({ path: '.', mtimeNs: top.mtimeNs }, readSubdirs)) {
    yield `${dirTimeLine(entry)}\n`;
  }
}

export interface AppliedDirTimes {
  applied: number;
  /** Directories in the record that the restored tree does not have (as a directory). */
  missing: number;
}

/**
 * Sets each recorded directory's modification time under `root` (access times are left as they
 * are), in record order (deepest first). A path that resolves outside `root` through a symlink is
 * refused: the record is data from the bucket, not trusted to point anywhere.
 */
export async function applyDirTimes(root: string, record: Readable, signal?: AbortSignal): Promise<AppliedDirTimes> {
  const realRoot = await realpath(root);
  const result: AppliedDirTimes = { applied: 0, missing: 0 };
  let lineNumber = 0;
  for await (const line of createInterface({ input: record, crlfDelay: Infinity })) {
    signal?.throwIfAborted();
    lineNumber++;
    if (line === '' && lineNumber > 1) continue;
    const entry = parseRecordLine(line, lineNumber);
    if (entry === 'header') continue;
    const full = entry.path === '.' ? realRoot : join(realRoot, entry.path);
    let st;
    try {
      st = await lstat(full, { bigint: true });
      if (!st.isDirectory()) {
        result.missing++;
        continue;
      }
      if ((await realpath(full)) !== full) {
        throw new Error(`directory-times record line ${lineNumber}: "${entry.path}" leads outside the volume`);
      }
    } catch (err) {
      if (!isGone(err)) throw err;
      result.missing++;
      continue;
    }
    await utimes(full, nsToSeconds(st.atimeNs), nsToSeconds(entry.mtimeNs));
    result.applied++;
  }
  if (lineNumber === 0) throw new Error('the directory-times record is empty');
  return result;
}
