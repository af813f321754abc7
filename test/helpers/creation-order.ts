/**
 * The order in which objects are created in the cluster, as the API server saw it: one watch
 * per resource type from the same resourceVersion, the ADDED events sorted by the
 * resourceVersion they carry (etcd's revision, one sequence for every type). Used to check
 * that a restore creates what points at a backend after the backend (issue 13).
 */
import type { Cluster, ResourceRef } from '../../src/kube/index.ts';

export interface Creation {
  resource: string;
  namespace?: string;
  name: string;
  resourceVersion: string;
}

export interface CreationRecorder {
  /** Stops the watches and returns every creation seen since `recordCreations`, oldest first. */
  stop(): Promise<Creation[]>;
}

export async function recordCreations(cluster: Cluster, refs: readonly ResourceRef[]): Promise<CreationRecorder> {
  // The current revision: a LIST of anything answers with it.
  const list = await cluster.client.request<{ metadata: { resourceVersion: string } }>({
    method: 'GET',
    path: '/api/v1/namespaces?limit=1',
  });
  const from = list.metadata.resourceVersion;
  const abort = new AbortController();
  const seen: Creation[] = [];
  const watches = refs.map(async (ref) => {
    try {
      for await (const ev of cluster.watch(ref, { resourceVersion: from, signal: abort.signal })) {
        if (ev.type !== 'ADDED') continue;
        const m = ev.object.metadata;
        seen.push({
          resource: ref.resource,
          name: m.name ?? '',
          ...(m.namespace ? { namespace: m.namespace } : {}),
          resourceVersion: m.resourceVersion ?? '0',
        });
      }
    } catch {
      // Aborted, or the type went away (a CRD deleted): what was seen stays.
    }
  });
  return {
    stop: async () => {
      abort.abort();
      await Promise.allSettled(watches);
      return seen.sort((a, b) => (BigInt(a.resourceVersion) < BigInt(b.resourceVersion) ? -1 : 1));
    },
  };
}
