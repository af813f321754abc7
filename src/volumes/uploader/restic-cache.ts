/**
 * restic's local cache (`--cache-dir`): one folder per repository ID, holding a copy of each
 * snapshot file restic wrote or read, at `<repository ID>/snapshots/<first 2 hex>/<full ID>`.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

const SHORT_ID = /^[0-9a-f]{8,64}$/;

/**
 * The full ID of the snapshot whose ID starts with `shortID`, as restic cached it, when exactly
 * one cached snapshot matches; undefined otherwise (no cache, not cached, or ambiguous).
 */
export async function cachedSnapshotID(cacheDir: string, shortID: string): Promise<string | undefined> {
  if (!SHORT_ID.test(shortID)) return undefined;
  const repositories = await readdir(cacheDir).catch(() => [] as string[]);
  const found: string[] = [];
  for (const repository of repositories) {
    const folder = join(cacheDir, repository, 'snapshots', shortID.slice(0, 2));
    const names = await readdir(folder).catch(() => [] as string[]);
    found.push(...names.filter((n) => n.startsWith(shortID) && /^[0-9a-f]{64}$/.test(n)));
  }
  return found.length === 1 ? found[0] : undefined;
}
