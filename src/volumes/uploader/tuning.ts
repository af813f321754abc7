/**
 * How the node agent bounds the memory of the kopia or restic process it runs. Both are Go
 * programs: their heap grows to twice what is live (GOGC=100) unless a soft limit (GOMEMLIMIT)
 * makes the collector work harder near it; and kopia holds buffers per file it reads at once.
 * Measured on a 2 GiB tree (bench:fs, README "File-system backup"): kopia's peak RSS 242 MiB
 * with its defaults, 110 MiB with one file at a time and GOMEMLIMIT=64MiB, at the same speed;
 * restic's 231 MiB, 98 MiB with 4 MiB packs and GOMEMLIMIT=64MiB. But at 64MiB both ran at 0.61x
 * of the tool alone on a quiet machine (the collector runs all the time); at 96MiB kopia ran at
 * 1.00x (126 MiB) and restic at 0.85x (109 MiB). kopia's CPU time on 1 GiB (`/usr/bin/time`,
 * Skiff's arguments): 13.1 s at 64MiB, 8.7 at 72MiB, 8.5 at 80MiB (110 MiB RSS), 9.0 at 96MiB
 * (124 MiB), 8.7 without a limit (172 MiB): above 64MiB the limit costs kopia nothing one file
 * at a time (two at once: DEFAULT_UPLOADER_TUNING); restic's CPU time rises already at 80MiB (16.0 s without a limit, 17.0 at
 * 96MiB, 19.2 at 80MiB), hence 96MiB for restic at first. Into S3 (restic alone, 1 GiB, 4 MiB packs,
 * `GODEBUG=gctrace=1`) restic's live heap is ~55 MB, so at 96MiB its collector ran 276-292 times
 * against 97 without a limit, and as the heap is held at the limit, the memory it hands back is
 * faulted in again: 340-413k minor page faults against ~100k, restic's CPU +5-8 % in all.
 * 104MiB: 222 collections, 330k faults, ~8 MiB more RSS, which the 200 MiB tree target has room for.
 * Those faults are the limit's cost: the runtime hands freed pages back at once (MADV_DONTNEED) and
 * faults them in again as the heap refills. With GODEBUG=madvdontneed=0 (MADV_FREE: the pages stay
 * the process's, in its RSS, until the kernel wants them) restic alone on 1 GiB into MinIO, 8 MiB
 * packs (load 11-17, 6 December 2026): 12-22k faults instead of 250-425k, system time 3.6-3.8 s
 * (restic with no limit 3.7-4.3, the limit without it 4.5-4.9); RSS 115-121 MiB at 88MiB, 126
 * at 96MiB, 135 at 104MiB (MADV_FREE pages count until reclaimed); restic's CPU 22.6-23.6 s at
 * 88MiB against 21.5-22.1 alone and 23.2-23.7 at 104MiB without it; 4 MiB packs cost MinIO ~1 s of
 * CPU per GiB over restic's 16 (two cores: CPU the tool does not get), 8 MiB half that. But on
 * the 2 GiB bench:fs, quiet and back to back (6 December 2026, 13:56-14:02), 88MiB lazily with 8
 * MiB packs gave restic +12 % CPU over restic alone (45.7 s against 40.7), ratio 0.86, tree 193
 * MiB (two earlier clean runs: +13-17 %, 0.91 and 0.83, 191-192 MiB), where 104MiB with 4 MiB
 * packs and Go's default release gave +6.6 % (42.6 s against 40.0), 0.87, tree 183 MiB. So
 * restic keeps 104MiB, 4 MiB packs and Go's default; `lazyMemoryRelease` stays for measuring.
 */
import type { RepositoryType } from '../../api/index.ts';

export interface UploaderTuning {
  /**
   * GOMEMLIMIT of the uploader process, e.g. "64MiB", for either tool or one per tool;
   * undefined leaves the tool's default (no limit).
   */
  memoryLimit?: string | Readonly<Record<RepositoryType, string>> | undefined;
  /** GOGC of the uploader process; undefined leaves the tool's default (100). */
  gcPercent?: number | undefined;
  /**
   * Files kopia reads (backup) or writes (restore) at once when the PodVolumeBackup or
   * PodVolumeRestore does not say (`ParallelFilesUpload`, `ParallelFilesDownload`); undefined
   * leaves kopia's default (one per CPU). restic 0.14 reads one file at a time anyway.
   */
  parallelFiles?: number | undefined;
  /** Files kopia writes at once in a restore, when it differs from `parallelFiles`. */
  restoreParallelFiles?: number | undefined;
  /** GOMEMLIMIT of a kopia restore, when it differs from the memory limit (a restore's heap is smaller). */
  restoreMemoryLimit?: string | undefined;
  /**
   * restic's pack size in MiB (RESTIC_PACK_SIZE) for the data it writes: restic holds the packs
   * it is filling in memory. Undefined leaves restic's default (16).
   */
  resticPackSizeMiB?: number | undefined;
  /**
   * Tools whose Go runtime hands freed memory back to the OS lazily (`GODEBUG=madvdontneed=0`,
   * MADV_FREE): the pages stay the process's (and count in its RSS) until the kernel needs
   * them, so memory the collector frees under the limit and the heap reuses at once is not
   * faulted in again. Undefined or empty: the tools' default (MADV_DONTNEED, returned at once).
   */
  lazyMemoryRelease?: readonly RepositoryType[] | undefined;
}

/**
 * The node agent's defaults (flags --uploader-memory-limit, --uploader-gc-percent, --uploader-parallel-files,
 * --restic-pack-size). kopia reads two files at once in a backup: one at a time it hashes and
 * uploads in turn, and ran at 0.63-0.68x of kopia alone on a quiet machine; two at once, with 10
 * MiB packs (`NEW_REPOSITORY_PARAMETERS` in kopia.ts), hold a live heap of ~80 MB into S3. At
 * 88MiB that left the collector no room: it ran ~750 times on 1 GiB, and kopia's CPU time was
 * +30 % over kopia alone (19.4 s against 14.6; 92MiB 18.0 s), where at 96MiB it is kopia
 * alone's (14.9 s; 100MiB 13.4, no limit 14.1: the noise of a loaded machine), at 127 MiB RSS
 * against 124: the tree ~200 MiB with the ~74 MiB agent (bench:fs, README "File-system
 * backup"). A restore writes one file at a time: two took kopia to 129 MiB, the tree to 203
 * MiB; one at a time at 96MiB kopia's peak was 130 MiB (the tree 207), at 88MiB 122 (195). A
 * restore's live heap is smaller still: kopia alone restoring 1 GiB of that shape from MinIO (load
 * 8-11, 6 December 2026) peaked at 121-123 MiB at 88MiB, 112-117 MiB at 80MiB, 105-108 MiB at 72MiB
 * or 64MiB (the floor: the password's 64 MiB scrypt at start), with 4.8-6.7 s of CPU at 88MiB and
 * 80MiB alike, 5.7-7.6 s below: so a restore runs at 80MiB. Of kopia's RSS, ~36 MiB is its own
 * executable's pages (file-backed; no Go setting changes them), the rest its heap.
 * A given --uploader-parallel-files (or --uploader-memory-limit) applies to both.
 */
export const DEFAULT_UPLOADER_TUNING = {
  memoryLimit: { kopia: '96MiB', restic: '104MiB' },
  parallelFiles: 2,
  restoreParallelFiles: 1,
  restoreMemoryLimit: '80MiB',
  resticPackSizeMiB: 4,
  lazyMemoryRelease: [],
} as const satisfies UploaderTuning;

/** Go's GOMEMLIMIT syntax: a whole number of bytes with an optional B, KiB, MiB, GiB or TiB; "off" for none. */
const GO_MEMORY_LIMIT = /^(\d+)(B|KiB|MiB|GiB|TiB)?$/;

/** Checks a --uploader-memory-limit value; returns a problem naming the flag, or undefined when it is good. */
export function memoryLimitProblem(value: string, flag: string): string | undefined {
  if (value === 'off' || GO_MEMORY_LIMIT.test(value)) return undefined;
  return `${flag} "${value}" is not a size such as 64MiB, 1GiB or 104857600 (or "off")`;
}

/** The default memory limits as the flag's help prints them. */
export function describeMemoryLimit(limit: NonNullable<UploaderTuning['memoryLimit']>): string {
  return typeof limit === 'string' ? limit : `${limit.kopia} for kopia, ${limit.restic} for restic`;
}

/** The environment that applies the tuning to the Go process of one uploader. */
export function goRuntimeEnv(
  tuning: UploaderTuning | undefined,
  tool: RepositoryType,
  operation: 'backup' | 'restore' = 'backup',
): Record<string, string> {
  const env: Record<string, string> = {};
  const restoreLimit = tool === 'kopia' && operation === 'restore' ? tuning?.restoreMemoryLimit : undefined;
  const limit =
    restoreLimit ?? (typeof tuning?.memoryLimit === 'object' ? tuning.memoryLimit[tool] : tuning?.memoryLimit);
  if (limit !== undefined && limit !== 'off') env.GOMEMLIMIT = limit;
  if (tuning?.gcPercent !== undefined) env.GOGC = String(tuning.gcPercent);
  if (tuning?.lazyMemoryRelease?.includes(tool)) env.GODEBUG = 'madvdontneed=0';
  return env;
}
