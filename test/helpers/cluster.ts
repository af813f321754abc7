import { Cluster, KubeClient, type KubeObject, type ResourceRef } from '../../src/kube/index.ts';
import { errorMessage } from '../../src/util/errors.ts';
import { loadTestEnv } from './testenv.ts';

export function adminCluster(): Cluster {
  return new Cluster(KubeClient.fromKubeconfig({ kubeconfig: loadTestEnv().kubeconfig }));
}

export const core = (resource: string): ResourceRef => ({ group: '', version: 'v1', resource });
export const apps = (resource: string): ResourceRef => ({ group: 'apps', version: 'v1', resource });

/**
 * Thrown by a `waitFor` check when what it waits for can no longer happen (the upload it wanted to
 * interrupt has finished): the wait fails at once with this message instead of at its deadline.
 */
export class WaitImpossible extends Error {}

/** Polls until `check` returns a value other than undefined/false, or fails naming what it waited for. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      if (err instanceof WaitImpossible) throw new Error(`waiting for ${what}: ${err.message}`, { cause: err });
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last === undefined ? '' : `: ${errorMessage(last)}`}`,
      );
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function createNamespace(
  cluster: Cluster,
  name: string,
  labels: Record<string, string> = {},
): Promise<void> {
  await cluster.create(core('namespaces'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
  // Pods created before the namespace's default ServiceAccount exists are rejected by admission.
  await waitFor(`serviceaccount default in ${name}`, () => cluster.find(core('serviceaccounts'), 'default', name));
}

export async function deleteNamespaceAndWait(cluster: Cluster, name: string, timeoutMs = 120_000): Promise<void> {
  await cluster.delete(core('namespaces'), name);
  await waitFor(
    `namespace ${name} to be gone`,
    async () => (await cluster.find(core('namespaces'), name)) === undefined,
    timeoutMs,
  );
}

export function readyReplicas(obj: KubeObject | undefined): number {
  return (obj?.status as { readyReplicas?: number } | undefined)?.readyReplicas ?? 0;
}
