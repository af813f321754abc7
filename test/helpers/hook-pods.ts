/**
 * Pods for hook tests: created on a kwok node, Running, with their kwok `Exec` in place, so
 * that a command runs locally in the pod's working folder `<run>/pods/<ns>/<pod>` (testenv §4.5).
 */
import { join } from 'node:path';
import { execInPod, type Cluster, type KubeObject } from '../../src/kube/index.ts';
import { core, waitFor } from './cluster.ts';
import { loadTestEnv } from './testenv.ts';

export interface HookPodOptions {
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  containers?: string[];
}

export function podManifest(namespace: string, name: string, opts: HookPodOptions = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      ...(opts.annotations ? { annotations: opts.annotations } : {}),
      labels: { app: name, ...opts.labels },
    },
    spec: {
      containers: (opts.containers ?? ['app']).map((c) => ({ name: c, image: 'busybox:1.36' })),
    },
  };
}

/** Creates the pods, then waits until each is Running and a command runs in it. */
export async function createRunningPods(cluster: Cluster, pods: KubeObject[], timeoutMs = 120_000): Promise<void> {
  await Promise.all(pods.map((p) => cluster.create(core('pods'), p)));
  await Promise.all(
    pods.map((p) => waitExecReady(cluster, p.metadata.namespace ?? '', p.metadata.name ?? '', timeoutMs)),
  );
}

export async function waitExecReady(
  cluster: Cluster,
  namespace: string,
  name: string,
  timeoutMs = 120_000,
): Promise<void> {
  await waitFor(
    `pod ${namespace}/${name} to run commands`,
    async () => {
      const pod = await cluster.find(core('pods'), name, namespace);
      if ((pod?.status as { phase?: string } | undefined)?.phase !== 'Running') return undefined;
      const container = (pod?.spec as { containers: { name: string }[] }).containers[0]?.name ?? 'app';
      const r = await execInPod(cluster.client, {
        namespace,
        pod: name,
        container,
        command: ['true'],
        timeoutMs: 10_000,
      }).catch(() => undefined);
      return r?.status.status === 'Success' ? true : undefined;
    },
    timeoutMs,
  );
}

/** The folder a pod's commands run in. */
export function podDir(namespace: string, name: string): string {
  return join(loadTestEnv().runDir, 'pods', namespace, name);
}
