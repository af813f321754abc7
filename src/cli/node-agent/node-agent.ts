/** `skiff node-agent`: runs the file-system backups and restores of one node (reference §6.1). */
import { Command } from '@commander-js/extra-typings';
import { hostname } from 'node:os';
import { runNodeAgent } from '../../volumes/node-agent/node-agent.ts';
import { CliContext } from '../context.ts';
import { FlagError, throwIfProblems } from '../errors.ts';
import { parseIntFlag, parseLogLevel, ProblemCollector } from '../flags.ts';
import {
  DEFAULT_UPLOADER_TUNING,
  describeMemoryLimit,
  memoryLimitProblem,
  type UploaderTuning,
} from '../../volumes/uploader/tuning.ts';
import { dataMoverTuningFrom } from '../../volumes/data-mover/tuning.ts';

export function nodeAgentCommand() {
  return new Command('node-agent')
    .description('Run the node agent: the PodVolumeBackups and PodVolumeRestores of one node')
    .option('--node <name>', 'name of this node (default: $NODE_NAME, else the host name)')
    .option(
      '--host-root <dir>',
      "where this node's root file system is visible (kubelet pods under var/lib/kubelet/pods)",
      '/',
    )
    .option(
      '--kubelet-pods-dir <dir>',
      "the kubelet's pods folder, when mounted elsewhere (default: <host-root>/var/lib/kubelet/pods)",
    )
    .option(
      '--credentials-file <file>',
      'AWS credentials file for locations without spec.credential or spec.config.credentialProcess (without it: the AWS default chain)',
    )
    .option(
      '--scratch-dir <dir>',
      'folder for repository clients (config, caches) (default: $VELERO_SCRATCH_DIR or the temp folder)',
    )
    .option('--kopia-binary <path>', 'the kopia executable (default: $SKIFF_KOPIA_BINARY or kopia on PATH)')
    .option('--restic-binary <path>', 'the restic executable (default: $SKIFF_RESTIC_BINARY or restic on PATH)')
    .option('--concurrency <n>', 'backups and restores run at once on this node', '1')
    .option(
      '--uploader-memory-limit <size>',
      `soft memory limit (GOMEMLIMIT) of each kopia or restic process, e.g. 64MiB, 1GiB, or "off" (default: $SKIFF_UPLOADER_MEMORY_LIMIT or ${describeMemoryLimit(DEFAULT_UPLOADER_TUNING.memoryLimit)}, and ${DEFAULT_UPLOADER_TUNING.restoreMemoryLimit} for a kopia restore; a value given applies to all)`,
    )
    .option(
      '--uploader-gc-percent <n>',
      "GOGC of each kopia or restic process: lower collects more often (default: $SKIFF_UPLOADER_GC_PERCENT or the tool's 100)",
    )
    .option(
      '--uploader-parallel-files <n>',
      `files kopia reads or writes at once when a backup's or restore's uploaderConfig does not say; 0: one per CPU (default: $SKIFF_UPLOADER_PARALLEL_FILES, else ${DEFAULT_UPLOADER_TUNING.parallelFiles} in a backup and ${DEFAULT_UPLOADER_TUNING.restoreParallelFiles} in a restore)`,
    )
    .option(
      '--data-mover-memory-limit <size>',
      'soft memory limit (GOMEMLIMIT) of the kopia that moves CSI snapshot data (DataUploads, DataDownloads), e.g. 512MiB (default: $SKIFF_DATA_MOVER_MEMORY_LIMIT, else none)',
    )
    .option(
      '--data-mover-parallel-files <n>',
      "files the data mover's kopia reads or writes at once when the DataUpload's or DataDownload's dataMoverConfig does not say (default: $SKIFF_DATA_MOVER_PARALLEL_FILES, else 0: kopia's own, one per CPU in a backup)",
    )
    .option('--log-level <level>', 'trace, debug, info, warn (or warning), error, fatal (or panic)', 'info')
    .option(
      '--restic-pack-size <MiB>',
      `size of the packs restic writes, which it holds in memory while filling them; 0: restic's 16 (default: $SKIFF_RESTIC_PACK_SIZE or ${DEFAULT_UPLOADER_TUNING.resticPackSizeMiB})`,
    )
    .addHelpText(
      'after',
      `
Examples:
  skiff node-agent --node worker-1 --host-root /host -n velero
  skiff node-agent --host-root /host_pods --kubelet-pods-dir /host_pods   # as the node-agent DaemonSet runs it
  NODE_NAME=worker-1 skiff node-agent --host-root /host --kopia-binary /usr/local/bin/kopia
  skiff node-agent --host-root /host --uploader-memory-limit 512MiB --uploader-parallel-files 0   # big node, more speed

One node agent runs on every node (the DaemonSet node-agent of 'skiff install --use-node-agent').
It finds a pod volume's data under <host-root>/var/lib/kubelet/pods/<pod-uid>/volumes/, backs
it up with kopia (or restic) into the repository of the pod's namespace in the backup's
location, and restores snapshots into new pods' volumes before their containers start.

Memory: by default the kopia or restic the agent runs is bounded: kopia reads two files at
once in a backup and writes one at a time in a restore, restic writes 4 MiB packs, and each has
a soft limit on its Go heap, 96 MiB for kopia and 104 MiB for restic (about 125 and 117 MiB RSS
on a 2 GiB volume, beside the agent's own ~66 MiB; 64MiB saves a little more but runs at ~0.6x
the speed). On nodes with memory and cores
to spare, a larger --uploader-memory-limit and --uploader-parallel-files 0 (one file per CPU)
back up many-file volumes faster. A backup's spec.uploaderConfig.parallelFilesUpload (restore:
parallelFilesDownload) always wins.

The data mover (CSI snapshot data of --snapshot-move-data backups and their restores) has no
memory target and runs kopia as a user would: one file per CPU, no heap limit (about 210 MiB
RSS on a 2 GiB volume). --data-mover-memory-limit and --data-mover-parallel-files bound it.`,
    )
    .action(async (flags, cmd) => {
      const ctx = CliContext.fromCommand(cmd);
      const p = new ProblemCollector();
      const concurrency = p.attempt(() => parseIntFlag(flags.concurrency, '--concurrency'));
      if (concurrency === 0) p.add('--concurrency must be at least 1');
      const logLevel = p.attempt(() => parseLogLevel(flags.logLevel));
      const node = flags.node || process.env.NODE_NAME || hostname();
      const uploaderTuning = p.attempt(() => uploaderTuningFrom(flags));
      const dataMover = dataMoverTuningFrom(flags);
      for (const problem of dataMover.problems) p.add(problem);
      throwIfProblems(p.problems);
      const scratchDir = flags.scratchDir || process.env.VELERO_SCRATCH_DIR;
      await runNodeAgent({
        node,
        hostRoot: flags.hostRoot,
        ...(flags.kubeletPodsDir ? { podsDir: flags.kubeletPodsDir } : {}),
        namespace: ctx.namespace,
        ...(ctx.flags.kubeconfig ? { kubeconfig: ctx.flags.kubeconfig } : {}),
        ...(ctx.flags.kubecontext ? { kubecontext: ctx.flags.kubecontext } : {}),
        ...(flags.credentialsFile ? { credentialsFile: flags.credentialsFile } : {}),
        ...(scratchDir ? { scratchDir } : {}),
        binaries: {
          ...(flags.kopiaBinary ? { kopia: flags.kopiaBinary } : {}),
          ...(flags.resticBinary ? { restic: flags.resticBinary } : {}),
        },
        ...(concurrency ? { concurrency } : {}),
        ...(uploaderTuning ? { uploaderTuning } : {}),
        dataMoverTuning: dataMover.tuning,
        ...(logLevel ? { logLevel } : {}),
        onReady: () => process.stdout.write(`node agent ready on ${node}\n`),
      });
    });
}

/** The uploader tuning of the flags, else of the environment (the DaemonSet's), else the defaults. */
export function uploaderTuningFrom(
  flags: {
    uploaderMemoryLimit?: string;
    uploaderGcPercent?: string;
    uploaderParallelFiles?: string;
    resticPackSize?: string;
  },
  env: NodeJS.ProcessEnv = process.env,
): UploaderTuning {
  const problems: string[] = [];
  const given = flags.uploaderMemoryLimit ?? env.SKIFF_UPLOADER_MEMORY_LIMIT;
  const problem = given === undefined ? undefined : memoryLimitProblem(given, '--uploader-memory-limit');
  if (problem) problems.push(problem);
  const memoryLimit = given ?? DEFAULT_UPLOADER_TUNING.memoryLimit;
  const whole = (value: string | undefined, flag: string): number | undefined => {
    if (value === undefined || value === '') return undefined;
    if (!/^\d+$/.test(value)) {
      problems.push(`${flag} "${value}" is not a whole number`);
      return undefined;
    }
    return Number(value);
  };
  const gcPercent = whole(flags.uploaderGcPercent ?? env.SKIFF_UPLOADER_GC_PERCENT, '--uploader-gc-percent');
  if (gcPercent === 0) problems.push('--uploader-gc-percent must be at least 1');
  const givenParallel = flags.uploaderParallelFiles ?? env.SKIFF_UPLOADER_PARALLEL_FILES;
  const parallel = whole(givenParallel ?? String(DEFAULT_UPLOADER_TUNING.parallelFiles), '--uploader-parallel-files');
  // A given value applies to backups and restores alike; the defaults differ (tuning.ts).
  const restoreParallel = givenParallel === undefined ? DEFAULT_UPLOADER_TUNING.restoreParallelFiles : undefined;
  const packSize = whole(
    flags.resticPackSize ?? env.SKIFF_RESTIC_PACK_SIZE ?? String(DEFAULT_UPLOADER_TUNING.resticPackSizeMiB),
    '--restic-pack-size',
  );
  if (problems.length > 0) throw new FlagError(problems);
  return {
    memoryLimit,
    ...(gcPercent !== undefined ? { gcPercent } : {}),
    ...(parallel ? { parallelFiles: parallel } : {}),
    ...(restoreParallel ? { restoreParallelFiles: restoreParallel } : {}),
    // A given limit applies to restores too; the defaults differ (tuning.ts).
    ...(given === undefined ? { restoreMemoryLimit: DEFAULT_UPLOADER_TUNING.restoreMemoryLimit } : {}),
    ...(packSize ? { resticPackSizeMiB: packSize } : {}),
    lazyMemoryRelease: DEFAULT_UPLOADER_TUNING.lazyMemoryRelease,
  };
}
