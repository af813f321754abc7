/**
 * A process and everything it started, read from /proc (Linux): what `ps` shows of a
 * `skiff server`, and the memory a container limit would count for it.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** The direct children of `pid`, from every thread's children list; empty once it is gone. */
function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8')
        .split(' ')
        .filter((s) => s.trim() !== '')
        .map(Number),
    );
  } catch {
    return [];
  }
}

/** Every process below `pid` (children, their children, ...), not `pid` itself. */
export function descendants(pid: number): number[] {
  const out: number[] = [];
  for (let next = childrenOf(pid); next.length > 0; next = next.flatMap(childrenOf)) out.push(...next);
  return out;
}

/** The command line of `pid` as its arguments; empty once it is gone. */
export function commandLine(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .filter((a) => a !== '');
  } catch {
    return [];
  }
}

/** Resident memory of `pid` in bytes (VmRSS, as `ps` shows it); 0 once it is gone. */
export function rssOf(pid: number): number {
  try {
    const kib = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kib === undefined ? 0 : Number(kib) * 1024;
  } catch {
    return 0;
  }
}

/**
 * The parts of `pid`'s resident memory (bytes; zeros once it is gone): `anon`, what the process
 * allocated (a Go heap, V8's heap, malloc), and `file`, the pages of files it maps (its executable,
 * shared libraries), which no heap setting changes.
 */
export function rssPartsOf(pid: number): { anon: number; file: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string): number =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { anon: kib('RssAnon'), file: kib('RssFile') + kib('RssShmem') };
  } catch {
    return { anon: 0, file: 0 };
  }
}

/** Resident memory of `pid` and every process below it, summed. */
export function treeRss(pid: number): number {
  return [pid, ...descendants(pid)].reduce((sum, p) => sum + rssOf(p), 0);
}
