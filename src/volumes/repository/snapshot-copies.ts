/**
 * Which snapshot of a target repository is the copy of which snapshot of a source repository,
 * read from the tools' own listings (no I/O here). Both tools give a copy a new ID:
 *
 * - `restic copy` records the source snapshot's ID in the copy's `original` field, or the
 *   source's own `original` when the source was itself a copy; it skips a snapshot already copied.
 * - `kopia snapshot migrate` copies every snapshot of the sources it is given (it has no
 *   per-snapshot filter), keeping source and start time, by which it also skips one already
 *   there; the copies the caller did not ask for are returned as extras to delete.
 */

/** A restic snapshot as `restic snapshots --json` lists it. */
export interface ResticSnapshotListing {
  id: string;
  original?: string;
}

/** A kopia snapshot manifest as `kopia snapshot list --all --json` lists it. */
export interface KopiaSnapshotListing {
  id: string;
  source: { host: string; userName: string; path: string };
  startTime: string;
}

export interface SnapshotCopies {
  /** Source snapshot ID -> the ID of its copy in the target. */
  copies: Map<string, string>;
  /** The wanted snapshots the target holds no copy of. */
  missing: string[];
}

/** The copies `restic copy` made (or had made earlier) of the wanted source snapshots. */
export function resticCopies(
  source: readonly ResticSnapshotListing[],
  target: readonly ResticSnapshotListing[],
  wanted: readonly string[],
): SnapshotCopies {
  const byOriginal = new Map<string, string>();
  // Sorted so that, should two copies name one original, the answer does not depend on listing order.
  for (const s of [...target].sort((a, b) => a.id.localeCompare(b.id))) {
    if (s.original && !byOriginal.has(s.original)) byOriginal.set(s.original, s.id);
  }
  const sources = new Map(source.map((s) => [s.id, s]));
  const copies = new Map<string, string>();
  const missing: string[] = [];
  for (const id of wanted) {
    const s = sources.get(id);
    const copy = s ? byOriginal.get(s.original ?? s.id) : undefined;
    if (copy) copies.set(id, copy);
    else missing.push(id);
  }
  return { copies, missing };
}

/** kopia's `user@host:path` of a snapshot's source, as `snapshot migrate --sources` takes it. */
export function kopiaSourceName(s: KopiaSnapshotListing): string {
  return `${s.source.userName}@${s.source.host}:${s.source.path}`;
}

/**
 * The sources `kopia snapshot migrate` is given to copy the wanted snapshots (sorted), and the
 * wanted snapshots the source repository does not hold.
 */
export function kopiaSourcesToMigrate(
  source: readonly KopiaSnapshotListing[],
  wanted: readonly string[],
): { sources: string[]; missing: string[] } {
  const byId = new Map(source.map((s) => [s.id, s]));
  const sources = new Set<string>();
  const missing: string[] = [];
  for (const id of wanted) {
    const s = byId.get(id);
    if (s) sources.add(kopiaSourceName(s));
    else missing.push(id);
  }
  return { sources: [...sources].sort(), missing };
}

/**
 * The copies `kopia snapshot migrate` made of the wanted snapshots, matched by source and start
 * time as kopia matches them, and the extras: copies of other snapshots of the same sources
 * that the target did not hold before the migration. A snapshot the target held before is
 * never an extra (another adoption's copy, or the target's own), nor is a snapshot whose start
 * time no source snapshot has (one taken in the target meanwhile).
 */
export function kopiaCopies(
  source: readonly KopiaSnapshotListing[],
  targetBefore: readonly KopiaSnapshotListing[],
  targetAfter: readonly KopiaSnapshotListing[],
  wanted: readonly string[],
): SnapshotCopies & { extras: string[] } {
  const key = (s: KopiaSnapshotListing): string => `${kopiaSourceName(s)}\n${normalTime(s.startTime)}`;
  const byId = new Map(source.map((s) => [s.id, s]));
  const byKey = new Map<string, string>();
  for (const s of [...targetAfter].sort((a, b) => a.id.localeCompare(b.id))) {
    if (!byKey.has(key(s))) byKey.set(key(s), s.id);
  }
  const copies = new Map<string, string>();
  const missing: string[] = [];
  for (const id of wanted) {
    const s = byId.get(id);
    const copy = s ? byKey.get(key(s)) : undefined;
    if (copy) copies.set(id, copy);
    else missing.push(id);
  }
  const kept = new Set([...copies.values(), ...targetBefore.map((s) => s.id)]);
  const migratedKeys = new Set(source.map(key));
  const extras = targetAfter
    .filter((s) => !kept.has(s.id) && migratedKeys.has(key(s)))
    .map((s) => s.id)
    .sort();
  return { copies, missing, extras };
}

/** A timestamp in one spelling, so `...Z` and `...+00:00` (or trailing zeros) compare equal. */
function normalTime(t: string): string {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(t);
  if (!m) return t;
  const ms = new Date(`${m[1] ?? ''}${m[3] ?? ''}`).toISOString().slice(0, 19);
  return `${ms}.${(m[2] ?? '').replace(/0+$/, '')}`;
}
