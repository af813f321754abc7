/**
 * What `skiff restore-helper` does inside the `restore-wait` init container (reference §6.5
 * step 4): every second, look whether each volume directory under the restores folder holds
 * the marker `.velero/<restore-uid>` the node agent writes once that volume's data is in place;
 * when all do, remove the `.velero` folders (they are not the application's) and return.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const MARKER_DIR = '.velero';

/** The volume directories under `restoresDir` still lacking the marker (symlinked directories count). */
export async function volumesWithoutMarker(restoresDir: string, restoreUID: string): Promise<string[]> {
  const missing: string[] = [];
  for (const entry of (await readdir(restoresDir)).sort()) {
    const dir = join(restoresDir, entry);
    if (!(await isDirectory(dir))) continue;
    if (!(await exists(join(dir, MARKER_DIR, restoreUID)))) missing.push(entry);
  }
  return missing;
}

export interface WaitOptions {
  pollMs?: number;
  signal?: AbortSignal;
  /** Told, on each look, which volumes are still being restored. */
  onWaiting?: (volumes: readonly string[]) => void;
}

/** Waits until every volume has its marker, then removes the markers; rejects when aborted. */
export async function waitForRestoredVolumes(
  restoresDir: string,
  restoreUID: string,
  options: WaitOptions = {},
): Promise<string[]> {
  for (;;) {
    options.signal?.throwIfAborted();
    const missing = await volumesWithoutMarker(restoresDir, restoreUID);
    if (missing.length === 0) break;
    options.onWaiting?.(missing);
    await sleep(options.pollMs ?? 1000, undefined, options.signal ? { signal: options.signal } : {});
  }
  const done: string[] = [];
  for (const entry of (await readdir(restoresDir)).sort()) {
    const dir = join(restoresDir, entry);
    if (!(await isDirectory(dir))) continue;
    await rm(join(dir, MARKER_DIR), { recursive: true, force: true });
    done.push(entry);
  }
  return done;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
