import type { Cluster } from '../../kube/index.ts';
import type { Clock } from '../../util/clock.ts';
import type { Logger } from '../../util/log.ts';
import type { RepositoryContext } from '../repository/open.ts';
import type { UploaderTuning } from '../uploader/tuning.ts';

/** What both node-agent controllers share. */
export interface NodeAgentContext extends RepositoryContext {
  cluster: Cluster;
  /** The server namespace, where PodVolumeBackups and PodVolumeRestores live. */
  namespace: string;
  node: string;
  /** This node's file system, as the agent sees it (`/` on a real node; `<run>/nodes/<node>` in tests). */
  hostRoot: string;
  /** The kubelet's pods folder when it is not `<hostRoot>/var/lib/kubelet/pods`. */
  podsDir?: string | undefined;
  clock: Clock;
  log: Logger;
  /** Data paths run at once on this node (Velero's default load concurrency is 1). */
  concurrency: number;
  work: RunningWork;
  /**
   * The kopia of DataUploads and DataDownloads (data-mover/tuning.ts); `uploaderTuning` is the file-system
   * backup's. Undefined: kopia's own defaults.
   */
  dataMoverTuning?: UploaderTuning | undefined;
}

/** The data paths running in this process, by object name, each with its abort switch. */
export class RunningWork {
  private readonly running = new Map<string, { abort: AbortController; done: Promise<void> }>();

  /** True once the agent is stopping: work aborted then failed because of the stop, not a cancel. */
  stopping = false;

  constructor(private readonly limit: number) {}

  has(key: string): boolean {
    return this.running.has(key);
  }

  full(): boolean {
    return this.running.size >= this.limit;
  }

  /** Starts `work` in the background under `key`. */
  start(key: string, work: (signal: AbortSignal) => Promise<void>): void {
    const abort = new AbortController();
    const done = work(abort.signal).finally(() => this.running.delete(key));
    this.running.set(key, { abort, done });
  }

  cancel(key: string): boolean {
    const entry = this.running.get(key);
    entry?.abort.abort();
    return entry !== undefined;
  }

  /** Aborts everything (the agent is stopping) and waits for it to settle. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    for (const { abort } of this.running.values()) abort.abort();
    await Promise.all([...this.running.values()].map((r) => r.done.catch(() => undefined)));
  }

  async drain(): Promise<void> {
    await Promise.all([...this.running.values()].map((r) => r.done.catch(() => undefined)));
  }
}
