import type { Readable } from 'node:stream';
import { readBackupArchive } from '../../src/archive/index.ts';

/** Every entry path of a backup tarball, in archive order. */
export async function archiveEntries(stream: Readable): Promise<string[]> {
  const paths: string[] = [];
  for await (const rec of readBackupArchive(stream)) if (rec.kind !== 'note') paths.push(rec.path);
  return paths;
}

/** The unversioned item paths only (`resources/<gr>/namespaces/<ns>/<name>.json`, `.../cluster/<name>.json`). */
export function itemPaths(entries: string[]): string[] {
  return entries.filter((p) => /^resources\/[^/]+\/(namespaces\/[^/]+|cluster)\/[^/]+\.json$/.test(p));
}
