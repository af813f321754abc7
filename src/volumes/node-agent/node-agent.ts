/**
 * `skiff node-agent`: one per node (a DaemonSet in a real cluster, a process per kwok node in
 * tests). Runs the PodVolumeBackups and PodVolumeRestores of its node (reference §6), reading
 * locations and their credentials the way the server does.
 */
import { mkdir } from 'node:fs/promises';
import { DataPathPhase, Kinds, resourceRef } from '../../api/index.ts';
import { Controller } from '../../controllers/controller.ts';
import { Cluster, KubeClient, type KubeObject } from '../../kube/index.ts';
import { kubeTime, systemClock, type Clock } from '../../util/clock.ts';
import { createLogger, type Logger } from '../../util/log.ts';
import { stopOnSignals } from '../../util/stop-on-signals.ts';
import { repositoryWorkRoot } from '../repository/open.ts';
import { defaultUploaderBinaries } from '../uploader/binaries.ts';
import type { UploaderBinaries, UploaderTuning } from '../uploader/index.ts';
import { podVolumeBackupController } from './backup-controller.ts';
import { RunningWork, type NodeAgentContext } from './context.ts';
import { podVolumeRestoreController } from './restore-controller.ts';
import { dataDownloadController, failDataDownloadLeftovers } from '../data-mover/download-controller.ts';
import { dataUploadController, failLeftoverUploads } from '../data-mover/upload-controller.ts';

export interface NodeAgentOptions {
  node: string;
  hostRoot: string;
  /** The kubelet's pods folder, when not `<hostRoot>/var/lib/kubelet/pods`. */
  podsDir?: string;
  namespace: string;
  kubeconfig?: string;
  kubecontext?: string;
  credentialsFile?: string;
  /** Parent folder of the repository clients' config and caches (default: the temp folder). */
  scratchDir?: string;
  binaries?: UploaderBinaries;
  /** PodVolumeBackups and PodVolumeRestores run at once on this node; default 1. */
  concurrency?: number;
  /** Memory and parallelism of the kopia or restic processes. */
  uploaderTuning?: UploaderTuning;
  /** Memory and parallelism of the data mover's kopia (default: kopia's own, data-mover/tuning.ts). */
  dataMoverTuning?: UploaderTuning;
  logLevel?: string;
  /** Called once both controllers have listed their objects. */
  onReady?: () => void;
}

const IN_FLIGHT: readonly string[] = [
  DataPathPhase.Accepted,
  DataPathPhase.Prepared,
  DataPathPhase.InProgress,
  DataPathPhase.Canceling,
];

export async function runNodeAgent(opts: NodeAgentOptions, signal?: AbortSignal): Promise<void> {
  const log = createLogger('skiff-node-agent', opts.logLevel).child({ node: opts.node });
  // Node's own https, not undici: the agent's RSS counts with its uploader's (src/kube/https-transport.ts).
  const cluster = new Cluster(
    KubeClient.fromKubeconfig({ kubeconfig: opts.kubeconfig, context: opts.kubecontext, transport: 'node-https' }),
  );
  const stop = stopOnSignals(signal);
  const workRoot = repositoryWorkRoot(`${opts.namespace}-${opts.node}`, opts.scratchDir);
  await mkdir(workRoot, { recursive: true, mode: 0o700 });
  const work = new RunningWork(opts.concurrency ?? 1);
  const ctx: NodeAgentContext = {
    cluster,
    namespace: opts.namespace,
    node: opts.node,
    hostRoot: opts.hostRoot,
    podsDir: opts.podsDir,
    clock: systemClock,
    log,
    concurrency: opts.concurrency ?? 1,
    work,
    credentialsFile: opts.credentialsFile,
    workRoot,
    binaries: { ...defaultUploaderBinaries(), ...opts.binaries },
    uploaderTuning: opts.uploaderTuning,
    dataMoverTuning: opts.dataMoverTuning,
  };
  try {
    const failed =
      (await failLeftovers(cluster, opts.namespace, opts.node, systemClock, log)) + (await failLeftoverUploads(ctx));
    if (failed > 0) log.warn({ count: failed }, 'work left in progress by a previous run was marked Failed');
    await failDataDownloadLeftovers(cluster, opts.namespace, opts.node, systemClock, log);
    const specs = [
      podVolumeBackupController(ctx),
      podVolumeRestoreController(ctx),
      dataUploadController(ctx),
      dataDownloadController(ctx),
    ];
    let synced = 0;
    log.info({ namespace: opts.namespace, hostRoot: opts.hostRoot }, 'skiff node agent started');
    await Promise.all(
      specs.map((s) =>
        new Controller(cluster, s, log.child({ controller: s.name })).run(stop.signal, () => {
          if (++synced === specs.length) opts.onReady?.();
        }),
      ),
    );
  } finally {
    await work.stopAll();
    stop.release();
    log.info('skiff node agent stopped');
  }
}

/**
 * Fails every PVB of this node, and every PVR this node took, that a previous run left in
 * progress: its data path died with that process (contract §3).
 */
export async function failLeftovers(
  cluster: Cluster,
  namespace: string,
  node: string,
  clock: Clock,
  log: Logger,
): Promise<number> {
  let count = 0;
  const kinds = [
    {
      kind: Kinds.PodVolumeBackup,
      what: 'backup',
      mine: (o: KubeObject) => (o.spec as { node?: string }).node === node,
    },
    {
      kind: Kinds.PodVolumeRestore,
      what: 'restore',
      mine: (o: KubeObject) => (o.status as { node?: string } | undefined)?.node === node,
    },
  ];
  for (const { kind, what, mine } of kinds) {
    const ref = resourceRef(kind);
    const list = await cluster.client.request<{ items: KubeObject[] }>({
      method: 'GET',
      path: `/apis/velero.io/v1/namespaces/${namespace}/${ref.resource}`,
    });
    for (const obj of list.items) {
      const phase = (obj.status as { phase?: string } | undefined)?.phase ?? '';
      if (!mine(obj) || !IN_FLIGHT.includes(phase)) continue;
      const canceling = phase === DataPathPhase.Canceling;
      await cluster.patchStatus(
        ref,
        { name: obj.metadata.name ?? '', namespace },
        {
          phase: canceling ? DataPathPhase.Canceled : DataPathPhase.Failed,
          message: `node agent on ${node} restarted while the ${what} was in progress`,
          completionTimestamp: kubeTime(clock.now()),
        },
      );
      log.warn({ kind: kind.kind, name: obj.metadata.name, phase }, `${what} left in progress by a previous run`);
      count++;
    }
  }
  return count;
}
