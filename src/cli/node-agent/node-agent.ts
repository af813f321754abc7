/** `skiff node-agent`: runs the file-system backups and restores of one node (reference §6.1). */
import { Command } from '@commander-js/extra-typings';
import { hostname } from 'node:os';
import { runNodeAgent } from '../../volumes/node-agent/node-agent.ts';
import { CliContext } from '../context.ts';
import { throwIfProblems } from '../errors.ts';
import { parseIntFlag, ProblemCollector } from '../flags.ts';

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
    .option('--credentials-file <file>', 'AWS credentials file for locations without spec.credential')
    .option(
      '--scratch-dir <dir>',
      'folder for repository clients (config, caches) (default: $VELERO_SCRATCH_DIR or the temp folder)',
    )
    .option('--kopia-binary <path>', 'the kopia executable (default: $SKIFF_KOPIA_BINARY or kopia on PATH)')
    .option('--restic-binary <path>', 'the restic executable (default: $SKIFF_RESTIC_BINARY or restic on PATH)')
    .option('--concurrency <n>', 'backups and restores run at once on this node', '1')
    .option('--log-level <level>', 'trace, debug, info, warn or error', 'info')
    .addHelpText(
      'after',
      `
Examples:
  skiff node-agent --node worker-1 --host-root /host -n velero
  skiff node-agent --host-root /host_pods --kubelet-pods-dir /host_pods   # as the node-agent DaemonSet runs it
  NODE_NAME=worker-1 skiff node-agent --host-root /host --kopia-binary /usr/local/bin/kopia

One node agent runs on every node (the DaemonSet node-agent of 'skiff install --use-node-agent').
It finds a pod volume's data under <host-root>/var/lib/kubelet/pods/<pod-uid>/volumes/, backs
it up with kopia (or restic) into the repository of the pod's namespace in the backup's
location, and restores snapshots into new pods' volumes before their containers start.`,
    )
    .action(async (flags, cmd) => {
      const ctx = CliContext.fromCommand(cmd);
      const p = new ProblemCollector();
      const concurrency = p.attempt(() => parseIntFlag(flags.concurrency, '--concurrency'));
      if (concurrency === 0) p.add('--concurrency must be at least 1');
      const node = flags.node || process.env.NODE_NAME || hostname();
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
        logLevel: flags.logLevel === 'warning' ? 'warn' : flags.logLevel,
        onReady: () => process.stdout.write(`node agent ready on ${node}\n`),
      });
    });
}
