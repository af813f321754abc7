/**
 * Temporary folders of an operation (the tarball spool of an upload, an operation's log, the
 * restore's item spool and resource-list runs). Each removes itself when its operation ends,
 * but a process that is killed cannot: a server restarted after an out-of-memory kill would
 * leave a tarball's worth of disk behind every time. So each folder's name carries the process
 * that made it and its host (`skiff-log-p1234.host-a-XXXXXX`), and a starting server removes the
 * folders of processes that are gone. The host keeps a server from removing the folders of a
 * live process in another container that shares the folder but not the process IDs.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';

/** The kinds of scratch folder Skiff makes; the sweep touches these names only. */
export type ScratchKind = 'log' | 'restore' | 'upload' | 'resource-list';

const KINDS: readonly ScratchKind[] = ['log', 'restore', 'upload', 'resource-list'];

/** Hostnames are [a-z0-9.-]; anything else is replaced so the name stays parseable. */
function hostTag(): string {
  return hostname().replace(/[^A-Za-z0-9.-]/g, '_');
}

/** Makes a scratch folder of `kind` under `parent` (the system's temporary folder by default). */
export function makeScratchDir(kind: ScratchKind, parent: string = tmpdir()): Promise<string> {
  return mkdtemp(join(parent, `skiff-${kind}-p${process.pid}.${hostTag()}-`));
}

/** The process and host a scratch folder's name records, or undefined for any other name. */
export function scratchOwner(name: string): { pid: number; host: string } | undefined {
  for (const kind of KINDS) {
    const prefix = `skiff-${kind}-p`;
    if (!name.startsWith(prefix)) continue;
    // mkdtemp appends six characters after the final dash.
    const m = /^(\d+)\.(.+)-[^-]{6}$/.exec(name.slice(prefix.length));
    if (m?.[1] && m[2]) return { pid: Number(m[1]), host: m[2] };
  }
  return undefined;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, as another user's.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the scratch folders under `parent` left by processes of this host that no longer run;
 * returns their names. Folders of live processes, of other hosts and without a recorded owner
 * (made before names carried one) are left alone.
 */
export async function sweepDeadScratchDirs(
  parent: string = tmpdir(),
  alive: (pid: number) => boolean = processAlive,
): Promise<string[]> {
  const host = hostTag();
  const removed: string[] = [];
  for (const name of await readdir(parent).catch(() => [])) {
    const owner = scratchOwner(name);
    if (!owner || owner.host !== host || owner.pid === process.pid || alive(owner.pid)) continue;
    await rm(join(parent, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
