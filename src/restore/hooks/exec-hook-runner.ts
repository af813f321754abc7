/**
 * Runs the exec hooks of the pods a restore creates (reference §4.7): per pod, container group
 * after container group, each hook once its container is Running (or Ready with
 * waitForReady), within its waitTimeout (0 = no limit) and execTimeout. Pods are followed at
 * the same time; a failed hook with onError Fail stops every exec hook of the restore not yet
 * started. The restore finishes only once `done()` resolves.
 */
import type { HookStatus } from '../../api/schema.ts';
import { HookErrorMode } from '../../api/schema.ts';
import type { HookExec } from '../../backup/hooks/hook-runner.ts';
import { logOutput } from '../../hooks/hook-output.ts';
import { formatMs } from '../../kube/exec.ts';
import { describeExecFailure } from '../../kube/exec-status.ts';
import type { KubeObject } from '../../kube/object.ts';
import type { ResourceRef } from '../../kube/resource.ts';
import type { OperationLog } from '../../results/operation-log.ts';
import { scopeOf } from '../../results/results.ts';
import { systemClock, type Clock } from '../../util/clock.ts';
import { errorMessage } from '../../util/errors.ts';
import { planRestoreExecHooks, type RestoreExecHook } from './exec-hooks.ts';
import type { ResolvedRestoreHook } from './restore-hook-spec.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const PODS: ResourceRef = { group: '', version: 'v1', resource: 'pods' };

export interface PodReader {
  find(type: ResourceRef, name: string, namespace?: string): Promise<KubeObject | undefined>;
}

export interface RestoreExecHookRunnerOptions {
  pods: PodReader;
  exec: HookExec;
  log: OperationLog;
  hooks: ResolvedRestoreHook[];
  /** How often a pod is read while its hooks wait for a container (default 1 s). */
  pollMs?: number;
  /** Time source and wait, injected so tests control them. */
  clock?: Clock;
  sleep?: (ms: number) => Promise<void>;
}

type ContainerWait = { ok: true } | { ok: false; message: string; podEnded?: boolean } | { ok: false; stopped: true };

export class RestoreExecHookRunner {
  private attempted = 0;
  private failed = 0;
  /** Set by a failed hook with onError Fail: no further exec hook of the restore starts. */
  private stoppedBy: string | undefined;
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly opts: RestoreExecHookRunnerOptions) {}

  get status(): HookStatus | undefined {
    return this.attempted === 0 ? undefined : { hooksAttempted: this.attempted, hooksFailed: this.failed };
  }

  /** Told of each pod the restore created; follows it in the background when it has exec hooks. */
  podCreated(pod: KubeObject, namespace: string): void {
    const plan = planRestoreExecHooks(pod, namespace, this.opts.hooks);
    for (const w of plan.warnings) this.opts.log.warn(scopeOf(namespace), w);
    if (plan.groups.length === 0) return;
    const task = this.runPod(
      pod.metadata.name ?? '',
      namespace,
      plan.groups.flatMap((g) => g.hooks),
    ).catch((err: unknown) =>
      this.opts.log.error(
        scopeOf(namespace),
        `exec hooks of pod ${namespace}/${pod.metadata.name ?? ''}: ${errorMessage(err)}`,
      ),
    );
    this.running.add(task);
    void task.finally(() => this.running.delete(task));
  }

  /** Resolves once every pod's hooks have run, failed, expired or been abandoned. */
  async done(): Promise<void> {
    if (this.running.size > 0) this.opts.log.info('waiting for restore exec hooks', { pods: this.running.size });
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  private async runPod(name: string, namespace: string, hooks: RestoreExecHook[]): Promise<void> {
    const started = this.now();
    let abandoned: string | undefined;
    for (const hook of hooks) {
      this.attempted++;
      const what = `exec hook ${hook.name} in pod ${namespace}/${name}, container ${hook.container || '<none>'}`;
      const fields = { pod: `${namespace}/${name}`, container: hook.container, hook: hook.name };
      if (this.stoppedBy !== undefined) {
        this.opts.log.info(`${what} not run: ${this.stoppedBy} failed with onError Fail`, fields);
        continue;
      }
      if (abandoned !== undefined) {
        this.fail(namespace, hook, `${what}: abandoned: ${abandoned}`, fields);
        continue;
      }
      let failure = hook.invalid;
      if (failure === undefined) {
        const wait = await this.waitForContainer(name, namespace, hook, started);
        if ('stopped' in wait) {
          this.opts.log.info(`${what} not run: ${this.stopReason()} failed with onError Fail`, fields);
          continue;
        }
        if (!wait.ok && wait.podEnded) abandoned = wait.message;
        failure = wait.ok ? await this.runOne(name, namespace, hook, fields) : wait.message;
      }
      if (failure !== undefined) this.fail(namespace, hook, `${what}: ${failure}`, fields, what);
    }
  }

  private now(): number {
    return (this.opts.clock ?? systemClock).now().getTime();
  }

  private stopReason(): string {
    return this.stoppedBy ?? '';
  }

  private fail(
    namespace: string,
    hook: RestoreExecHook,
    message: string,
    fields: Record<string, string>,
    stopper?: string,
  ): void {
    this.failed++;
    if (hook.onError === HookErrorMode.Fail) {
      this.opts.log.error(scopeOf(namespace), message, fields);
      if (stopper !== undefined) this.stoppedBy ??= stopper;
    } else {
      this.opts.log.warn(scopeOf(namespace), `${message} (onError Continue)`, fields);
    }
  }

  /** Polls the pod until the hook's container is Running (Ready), its wait time is up, or the pod ends. */
  private async waitForContainer(
    name: string,
    namespace: string,
    hook: RestoreExecHook,
    started: number,
  ): Promise<ContainerWait> {
    const want = hook.waitForReady ? 'Ready' : 'Running';
    const pollMs = this.opts.pollMs ?? 1000;
    for (;;) {
      const pod = await this.opts.pods.find(PODS, name, namespace);
      if (!pod) return { ok: false, message: 'the pod is gone', podEnded: true };
      const state = containerState(pod, hook.container);
      if (state.podPhase === 'Succeeded' || state.podPhase === 'Failed')
        return { ok: false, message: `the pod is ${state.podPhase}`, podEnded: true };
      if (hook.waitForReady ? state.ready : state.running) return { ok: true };
      if (this.stoppedBy !== undefined) return { ok: false, stopped: true };
      const left = hook.waitTimeoutMs === 0 ? pollMs : started + hook.waitTimeoutMs - this.now();
      if (left <= 0)
        return {
          ok: false,
          message: `waitTimeout expired: container ${hook.container} was not ${want} within ${formatMs(hook.waitTimeoutMs)}`,
        };
      await (this.opts.sleep ?? sleep)(Math.min(pollMs, left));
    }
  }

  private async runOne(
    name: string,
    namespace: string,
    hook: RestoreExecHook,
    fields: Record<string, string>,
  ): Promise<string | undefined> {
    this.opts.log.info('running restore exec hook', { ...fields, command: JSON.stringify(hook.command) });
    const outcome = await this.opts.exec({
      namespace,
      pod: name,
      container: hook.container,
      command: hook.command,
      timeoutMs: hook.execTimeoutMs,
    });
    logOutput(this.opts.log, fields, outcome);
    if (outcome.end.ok) {
      this.opts.log.info('restore exec hook succeeded', fields);
      return undefined;
    }
    return 'timedOut' in outcome.end
      ? `timed out after ${formatMs(hook.execTimeoutMs)}`
      : describeExecFailure(outcome.end);
  }
}

interface ContainerStatusLike {
  name?: string;
  ready?: boolean;
  state?: { running?: unknown };
}

/** The pod's phase and whether a container (or sidecar init container) is running and ready. */
export function containerState(
  pod: KubeObject,
  container: string,
): { podPhase: string; running: boolean; ready: boolean } {
  const status = (pod.status ?? {}) as {
    phase?: string;
    containerStatuses?: ContainerStatusLike[];
    initContainerStatuses?: ContainerStatusLike[];
  };
  const found = [...(status.containerStatuses ?? []), ...(status.initContainerStatuses ?? [])].find(
    (c) => c.name === container,
  );
  if (!found) return { podPhase: status.phase ?? '', running: false, ready: false };
  const running = found.state?.running !== undefined;
  return { podPhase: status.phase ?? '', running, ready: running && found.ready === true };
}
