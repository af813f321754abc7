/**
 * How the data mover runs kopia (DataUploads and DataDownloads), apart from the file-system backup's
 * uploader (uploader/tuning.ts). The node agent bounds the kopia of a pod volume backup (two files at once,
 * GOMEMLIMIT 88MiB) because it runs beside the workloads with a memory target (issue 14); the data mover has
 * none (issue 16), and Velero runs it in a pod of its own. So by default it runs kopia as a user runs it: one
 * file per CPU and no heap limit, which is what `bench:datamover` compares it with (README "bench:datamover").
 * Flags of `skiff node-agent` bound it on nodes short of memory.
 */
import { memoryLimitProblem, type UploaderTuning } from '../uploader/tuning.ts';

/** The flags of `skiff node-agent` that set the data mover's kopia, as given ("" or undefined: not given). */
export interface DataMoverTuningFlags {
  dataMoverMemoryLimit?: string | undefined;
  dataMoverParallelFiles?: string | undefined;
}

/**
 * The data mover's tuning from the flags, else the environment (`SKIFF_DATA_MOVER_MEMORY_LIMIT`,
 * `SKIFF_DATA_MOVER_PARALLEL_FILES`), else kopia's own defaults; with the problems of bad values, naming the
 * flag. A DataUpload's or DataDownload's `dataMoverConfig` (parallel files) still wins.
 */
export function dataMoverTuningFrom(
  flags: DataMoverTuningFlags,
  env: NodeJS.ProcessEnv = process.env,
): { tuning: UploaderTuning; problems: string[] } {
  const problems: string[] = [];
  const tuning: UploaderTuning = {};
  const limit = flags.dataMoverMemoryLimit || env.SKIFF_DATA_MOVER_MEMORY_LIMIT;
  if (limit) {
    const problem = memoryLimitProblem(limit, '--data-mover-memory-limit');
    if (problem) problems.push(problem);
    else if (limit !== 'off') tuning.memoryLimit = limit;
  }
  const parallel = flags.dataMoverParallelFiles || env.SKIFF_DATA_MOVER_PARALLEL_FILES;
  if (parallel) {
    if (!/^\d+$/.test(parallel)) problems.push(`--data-mover-parallel-files "${parallel}" is not a whole number`);
    else if (Number(parallel) > 0) tuning.parallelFiles = Number(parallel);
  }
  return { tuning, problems };
}

/** The repository context a data mover opens its kopia with: the agent's, with the data mover's tuning. */
export function dataMoverRepositoryContext<
  T extends { uploaderTuning?: UploaderTuning | undefined; dataMoverTuning?: UploaderTuning | undefined },
>(ctx: T): T {
  return { ...ctx, uploaderTuning: ctx.dataMoverTuning ?? {} };
}
