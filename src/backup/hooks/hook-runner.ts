/**
 * Runs a backup's exec hooks around each pod it takes (reference §3.6), in this order per pod:
 * pre hooks → the pod's volume backups start → the pod item and its additional items are
 * written → the pod's volume backups are waited for → post hooks. Pods' hooks run with at most
 * `concurrency` phases in flight across pods; within a pod and phase they run in order.
 */
import PQueue from 'p-queue';
import type { HookStatus } from '../../api/schema.ts';
import { HookErrorMode } from '../../api/schema.ts';
import { podRef } from '../../hooks/hook-values.ts';
import { formatMs, type ExecOutcome } from '../../kube/exec.ts';
import { describeExecFailure } from '../../kube/exec-status.ts';
import type { KubeObject } from '../../kube/object.ts';
import type { OperationLog } from '../../results/operation-log.ts';
import { scopeOf } from '../../results/results.ts';
import { errorMessage } from '../../util/errors.ts';
import { logOutput } from '../../hooks/hook-output.ts';
import type { PodGateDecision, PodItemGate } from '../collect/collect-items.ts';
import type { ResolvedBackupHooks } from './hook-spec.ts';
import { planPodHooks, type PlannedHook } from './pod-hooks.ts';

/** Hook phases running at once across pods when the caller does not say. */
export const DEFAULT_HOOK_CONCURRENCY = 8;

export interface ExecTarget {
  namespace: string;
  pod: string;
  container: string;
  command: string[];
  timeoutMs: number;
}

/** Runs one command in a container (`runInPod` over the API server in the real backup). */
export type HookExec = (target: ExecTarget) => Promise<ExecOutcome>;

/**
 * The seam with the pod volume backups (VOLUMES-CONTRACT §7): the file-system backup starts a
 * pod's PodVolumeBackups once its pre hooks ran, and the post hooks wait for them.
 */
export interface PodVolumeBackups {
  start(pod: KubeObject): Promise<void>;
  waitFor(pod: KubeObject): Promise<void>;
}

/** Until the file-system backup is wired in: pods have no volume backups to start or wait for. */
export const NO_POD_VOLUME_BACKUPS: PodVolumeBackups = {
  start: () => Promise.resolve(),
  waitFor: () => Promise.resolve(),
};

export interface BackupHookRunnerOptions {
  exec: HookExec;
  hooks: ResolvedBackupHooks;
  concurrency?: number;
  podVolumeBackups?: PodVolumeBackups;
}

export class BackupHookRunner implements PodItemGate {
  readonly lookahead: number;
  private attempted = 0;
  private failed = 0;
  private readonly queue: PQueue;
  private readonly afterPods = new Set<Promise<void>>();
  private readonly volumes: PodVolumeBackups;
  /** Post hooks of the pods with hooks whose pre hooks ran, until `after`. */
  private readonly postHooks = new WeakMap<KubeObject, PlannedHook[]>();
  /** The backup's log, set up while its first LIST requests are in flight (see attachLog). */
  private log: OperationLog | undefined;
  private readonly logAttached: Promise<void>;
  private onLogAttached: () => void = () => undefined;

  constructor(private readonly opts: BackupHookRunnerOptions) {
    this.lookahead = Math.max(1, opts.concurrency ?? DEFAULT_HOOK_CONCURRENCY);
    this.queue = new PQueue({ concurrency: this.lookahead });
    this.volumes = opts.podVolumeBackups ?? NO_POD_VOLUME_BACKUPS;
    this.logAttached = new Promise((resolve) => (this.onLogAttached = resolve));
  }

  attachLog(log: OperationLog): void {
    this.log = log;
    this.onLogAttached();
  }

  private get logger(): OperationLog {
    if (!this.log) throw new Error('BackupHookRunner used before attachLog');
    return this.log;
  }

  /** Counts for `status.hookStatus`; undefined when no hook was attempted. */
  get status(): HookStatus | undefined {
    return this.attempted === 0 ? undefined : { hooksAttempted: this.attempted, hooksFailed: this.failed };
  }

  async before(pod: KubeObject): Promise<PodGateDecision> {
    await this.logAttached;
    const plan = planPodHooks(pod, this.opts.hooks);
    const scope = scopeOf(pod.metadata.namespace);
    for (const w of plan.warnings) this.logger.warn(scope, w);
    if (plan.skipped) this.logger.info(`backup hooks of pod ${podRef(pod)} skipped: ${plan.skipped}`);
    if (plan.pre.length > 0) {
      const fatal = await this.queue.add(() => this.runPhase(pod, plan.pre));
      if (fatal) return { take: false, reason: `pre hook failed with on-error Fail: ${fatal}` };
    }
    // Where the pod's volume backups start (VOLUMES-CONTRACT §7).
    await this.volumes.start(pod);
    if (plan.pre.length > 0 || plan.post.length > 0) this.postHooks.set(pod, plan.post);
    return { take: true };
  }

  after(pod: KubeObject): void {
    const post = this.postHooks.get(pod);
    this.postHooks.delete(pod);
    // The moment the pod's items are in the archive, between its pre and post hooks.
    if (post) this.logger.info('pod backed up; its post hooks follow its volume backups', { pod: podRef(pod) });
    const done = (async () => {
      try {
        // The pod's volume backups are read while the application is still quiesced.
        await this.volumes.waitFor(pod);
      } catch (err) {
        this.logger.error(scopeOf(pod.metadata.namespace), `pod ${podRef(pod)}: ${errorMessage(err)}`);
      }
      if (post && post.length > 0) await this.queue.add(() => this.runPhase(pod, post));
    })();
    this.afterPods.add(done);
    void done.finally(() => this.afterPods.delete(done));
  }

  /** Waits for every post phase started so far. */
  async drain(): Promise<void> {
    while (this.afterPods.size > 0) await Promise.all([...this.afterPods]);
  }

  /**
   * One pod's hooks of one phase, in order. After a failure in Fail mode the remaining hooks
   * are counted but not run (reference §3.6). Returns that failure.
   */
  private async runPhase(pod: KubeObject, hooks: readonly PlannedHook[]): Promise<string | undefined> {
    let fatal: string | undefined;
    for (const hook of hooks) {
      this.attempted++;
      if (fatal !== undefined) continue;
      const failure = hook.invalid ?? (await this.runOne(pod, hook));
      if (failure === undefined) continue;
      this.failed++;
      const scope = scopeOf(pod.metadata.namespace);
      const what = describeHook(pod, hook);
      if (hook.onError === HookErrorMode.Fail) {
        fatal = `${what}: ${failure}`;
        const tail = hook.phase === 'pre' ? '; the pod is left out of the backup and its post hooks do not run' : '';
        this.logger.error(scope, `${fatal}${tail}`, hookFields(pod, hook));
      } else {
        this.logger.warn(scope, `${what}: ${failure} (on-error Continue)`, hookFields(pod, hook));
      }
    }
    return fatal;
  }

  /** Runs one hook; returns why it failed, undefined when it succeeded. */
  private async runOne(pod: KubeObject, hook: PlannedHook): Promise<string | undefined> {
    const fields = hookFields(pod, hook);
    this.logger.info(`running ${hook.phase} hook`, { ...fields, command: JSON.stringify(hook.command) });
    const outcome = await this.opts.exec({
      namespace: pod.metadata.namespace ?? '',
      pod: pod.metadata.name ?? '',
      container: hook.container,
      command: hook.command,
      timeoutMs: hook.timeoutMs,
    });
    logOutput(this.logger, fields, outcome);
    if (outcome.end.ok) {
      this.logger.info(`${hook.phase} hook succeeded`, fields);
      return undefined;
    }
    return 'timedOut' in outcome.end ? `timed out after ${formatMs(hook.timeoutMs)}` : describeExecFailure(outcome.end);
  }
}

/** `pre hook <from-annotation> in pod ns/name, container app`: names what failed. */
export function describeHook(pod: KubeObject, hook: PlannedHook): string {
  return `${hook.phase} hook ${hook.name} in pod ${podRef(pod)}, container ${hook.container || '<none>'}`;
}

function hookFields(pod: KubeObject, hook: PlannedHook): Record<string, string> {
  return {
    pod: podRef(pod),
    container: hook.container,
    hook: hook.name,
    hookPhase: hook.phase,
  };
}
