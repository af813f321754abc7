/**
 * The directory-times record of a kopia-backed volume (issue 14, integrity): kopia keeps a
 * directory's mode and owner, but stores its modification time as the newest time inside it,
 * so a restored directory loses its own time (restic keeps it). Skiff writes every directory's
 * own time to this record at backup time and sets them back after the restore.
 *
 * Format: newline-delimited JSON, one header line then one line per directory, e.g.
 *   {"format":"skiff-dir-times","version":1}
 *   {"path":"docs/nested","mtimeNs":"1709528767123000000"}
 *   {"path":".","mtimeNs":"1709528767123000000"}
 * `path` is relative to the volume root (`.` is the root), `mtimeNs` the time in nanoseconds
 * since the epoch (a string: more digits than a JSON number holds exactly). Lines come in
 * post-order: every directory after all the directories inside it, so applying them in file
 * order sets the deepest first and no later step changes a time already set. Pure: building
 * and reading lines, and the walk order over any directory reader.
 */

export const DIR_TIMES_FORMAT = 'skiff-dir-times';
export const DIR_TIMES_VERSION = 1;
/**
 * On a PodVolumeBackup (and so in `<backup>-podvolumebackups.json.gz`, where backup sync and
 * restores find it) and on the PodVolumeRestores made from it: the record's kopia snapshot ID.
 * An annotation, so nothing Velero reads changes shape; without it a restore is as before.
 */
export const DIR_TIMES_ANNOTATION = 'skiff.io/dir-times-snapshot';
/** The file name inside the record's kopia snapshot. */
export const DIR_TIMES_FILE = 'dir-times.ndjson';

export interface DirTime {
  /** Relative to the volume root, `/`-separated; `.` is the root itself. */
  path: string;
  mtimeNs: bigint;
}

export function headerLine(): string {
  return JSON.stringify({ format: DIR_TIMES_FORMAT, version: DIR_TIMES_VERSION });
}

export function dirTimeLine(entry: DirTime): string {
  return JSON.stringify({ path: entry.path, mtimeNs: entry.mtimeNs.toString() });
}

/** Refuses anything but a clean relative path that stays inside the root. */
export function checkRecordPath(path: string): string | undefined {
  if (path === '.') return undefined;
  if (path === '' || path.startsWith('/') || path.includes('\0')) return `path "${path}" is not relative`;
  if (path.split('/').some((part) => part === '' || part === '.' || part === '..')) {
    return `path "${path}" is not a clean path inside the volume`;
  }
  return undefined;
}

/**
 * Reads one line of a record (`lineNumber` counts from 1; line 1 is the header). Returns the
 * entry, `header` for a valid header, or throws naming the line and what is wrong with it.
 */
export function parseRecordLine(line: string, lineNumber: number): DirTime | 'header' {
  const where = `directory-times record line ${lineNumber}`;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new Error(`${where} is not JSON: ${line.slice(0, 100)}`);
  }
  const obj = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  if (lineNumber === 1) {
    if (obj.format !== DIR_TIMES_FORMAT) throw new Error(`${where}: not a ${DIR_TIMES_FORMAT} record`);
    if (obj.version !== DIR_TIMES_VERSION) {
      throw new Error(
        `${where}: version ${String(obj.version)} is not supported (this Skiff reads ${DIR_TIMES_VERSION})`,
      );
    }
    return 'header';
  }
  const { path, mtimeNs } = obj;
  if (typeof path !== 'string') throw new Error(`${where}: "path" is missing`);
  const bad = checkRecordPath(path);
  if (bad) throw new Error(`${where}: ${bad}`);
  if (typeof mtimeNs !== 'string' || !/^-?\d{1,30}$/.test(mtimeNs)) {
    throw new Error(`${where}: "mtimeNs" must be a string of digits`);
  }
  return { path, mtimeNs: BigInt(mtimeNs) };
}

/** Seconds (with fraction) for `utimes`; a double keeps about a quarter microsecond at today's times. */
export function nsToSeconds(ns: bigint): number {
  const second = 1_000_000_000n;
  const whole = ns / second;
  return Number(whole) + Number(ns - whole * second) / 1e9;
}

/** Lists the directories directly inside `path` (relative, `.` is the root) with their times. */
export type SubdirReader = (path: string) => Promise<DirTime[]>;

/**
 * Every directory under and including the root, in post-order (children before their parent),
 * streamed: memory holds one level's directory list per depth, never the whole tree.
 */
export async function* dirTimesPostOrder(root: DirTime, readSubdirs: SubdirReader): AsyncGenerator<DirTime> {
  // An explicit stack instead of recursion, so a very deep tree cannot overflow the call stack.
  interface Frame {
    dir: DirTime;
    children: DirTime[] | undefined;
    next: number;
  }
  const stack: Frame[] = [{ dir: root, children: undefined, next: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as Frame;
    top.children ??= (await readSubdirs(top.dir.path)).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const child = top.children[top.next++];
    if (child) {
      stack.push({ dir: child, children: undefined, next: 0 });
      continue;
    }
    stack.pop();
    yield top.dir;
  }
}

/** `a/b` inside `parent` (`.` is the root). */
export function childPath(parent: string, name: string): string {
  return parent === '.' ? name : `${parent}/${name}`;
}
