import { readFile, realpath } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** The mount points listed in a `/proc/<pid>/mountinfo` text (field 5, with its octal escapes undone). */
export function mountPoints(mountinfo: string): Set<string> {
  const out = new Set<string>();
  for (const line of mountinfo.split('\n')) {
    const mountPoint = line.split(' ')[4];
    if (mountPoint) out.add(mountPoint.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
  }
  return out;
}

/**
 * Whether `path` is a mount point in this process's mount namespace (compared as mountinfo lists them, symlinks
 * resolved). A path that does not exist is not one.
 */
export async function isMountPoint(path: string): Promise<boolean> {
  const real = await realpath(path).catch(() => undefined);
  return real !== undefined && mountPoints(await readFile('/proc/self/mountinfo', 'utf8')).has(real);
}

const MOUNT_POLL_MS = 100;

/**
 * Waits until `path` is a mount point. Why: a CSI driver publishes a volume by creating the target folder and
 * then mounting it, so a folder that exists may still be the empty one under the mount; a data mover that read
 * or wrote it then would back up nothing, or restore into the node's own disk. Throws after `timeoutMs`.
 */
export async function waitForMountPoint(path: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await isMountPoint(path))) {
    if (Date.now() >= deadline) {
      throw new Error(
        `${path} exists but is not mounted after ${Math.round(timeoutMs / 1000)}s: the volume was not published`,
      );
    }
    await sleep(MOUNT_POLL_MS, undefined, signal ? { signal } : {});
  }
}
