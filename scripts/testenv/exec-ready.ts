/**
 * A pod's own kwok `Exec`, and the pod condition that lets kwok's pod-ready stage make the
 * pod Running only once that Exec is in effect (exec-ready-hold.sed).
 *
 * Why the hold: kwok reads Exec objects through its own informer. Without the hold a pod could
 * go Running before kwok had seen its Exec, and a command run in it then (a backup or restore
 * hook) ran under a fallback `ClusterExec`, in `<run>/pods` instead of the pod's folder. On a
 * real node a Running container is where `exec` runs, so the simulation must not do otherwise.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  execInPod,
  isAlreadyExists,
  isNotFound,
  type Cluster,
  type ExecResult,
  type KubeObject,
} from '../../src/kube/index.ts';

/** The pod condition kwok's pod-ready stage waits for (named again in exec-ready-hold.sed). */
const EXEC_READY_CONDITION = 'skiff.dev/ExecReady';
const PODS = { group: '', version: 'v1', resource: 'pods' };
const EXECS = { group: 'kwok.x-k8s.io', version: 'v1alpha1', resource: 'execs' };
/** After this the pod is let go anyway (logged), so that a broken probe cannot hold every pod. */
const LIMIT_MS = 120_000;
const PROBE_TIMEOUT_MS = 10_000;

export interface PodExec {
  workDir: string;
  env: Record<string, string>;
}

/**
 * Gives a scheduled pod its Exec, waits until a command in the pod runs under it (it sees the
 * pod's own `POD_UID`), then sets the condition. Call it once per pod, without awaiting it.
 */
export async function makeExecReady(
  cluster: Cluster,
  pod: KubeObject,
  exec: PodExec,
  log: (msg: string, err?: unknown) => void,
  signal: AbortSignal,
): Promise<void> {
  const { name = '', namespace = '' } = pod.metadata;
  try {
    const outcome = await waitUnderOwnExec(cluster, pod, exec, signal);
    if (outcome === 'gone') return;
    if (outcome !== 'ready')
      log(
        `exec of ${namespace}/${name} still not under its own Exec after ${LIMIT_MS} ms (${outcome}); letting it start`,
      );
    await cluster.patch(PODS, { name, namespace, subresource: 'status' }, 'strategic', {
      status: {
        conditions: [{ type: EXEC_READY_CONDITION, status: 'True', lastTransitionTime: new Date().toISOString() }],
      },
    });
  } catch (err) {
    if (!signal.aborted && !isNotFound(err)) log(`exec readiness of ${namespace}/${name}`, err);
  }
}

/** 'ready', 'gone' (the pod was deleted or replaced), or what the last probe saw when time ran out. */
async function waitUnderOwnExec(
  cluster: Cluster,
  pod: KubeObject,
  exec: PodExec,
  signal: AbortSignal,
): Promise<string> {
  const { name = '', namespace = '', uid = '' } = pod.metadata;
  const container = (pod.spec as { containers?: { name: string }[] } | undefined)?.containers?.[0]?.name ?? '';
  const deadline = Date.now() + LIMIT_MS;
  let last = 'no probe';
  for (let delay = 20; Date.now() < deadline; delay = Math.min(delay * 2, 1_000)) {
    const current = await cluster.find(PODS, name, namespace);
    if (current?.metadata.uid !== uid || current.metadata.deletionTimestamp) return 'gone';
    await ensureExec(cluster, pod, exec);
    const probe: ExecResult | Error = await execInPod(cluster.client, {
      namespace,
      pod: name,
      container,
      command: ['sh', '-c', 'echo "$POD_UID"'],
      timeoutMs: PROBE_TIMEOUT_MS,
      signal,
    }).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
    if (!(probe instanceof Error) && probe.stdout.trim() === uid) return 'ready';
    last = probe instanceof Error ? probe.message : `the command saw POD_UID "${probe.stdout.trim()}"`;
    await sleep(delay, undefined, { signal });
  }
  return last;
}

/**
 * Creates the pod's Exec; one left by an earlier pod of the same name (its garbage collection
 * still pending) is taken over, so it is not deleted from under this pod.
 */
async function ensureExec(cluster: Cluster, pod: KubeObject, exec: PodExec): Promise<void> {
  const { name = '', namespace = '', uid = '' } = pod.metadata;
  const ownerReferences = [{ apiVersion: 'v1', kind: 'Pod', name, uid }];
  const spec = {
    execs: [
      { local: { workDir: exec.workDir, envs: Object.entries(exec.env).map(([k, v]) => ({ name: k, value: v })) } },
    ],
  };
  const object: KubeObject = {
    apiVersion: 'kwok.x-k8s.io/v1alpha1',
    kind: 'Exec',
    metadata: {
      name,
      namespace,
      labels: { 'velero.io/exclude-from-backup': 'true', 'app.kubernetes.io/managed-by': 'skiff-testenv' },
      ownerReferences,
    },
    spec,
  };
  try {
    await cluster.create(EXECS, object);
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    // Ours from an earlier probe, or an earlier pod's: either way it now says this pod.
    await cluster.patch(EXECS, { name, namespace }, 'merge', { metadata: { ownerReferences }, spec });
  }
}
