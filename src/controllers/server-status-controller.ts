import { Kinds, resourceRef } from '../api/index.ts';
import type { Cluster } from '../kube/cluster.ts';
import type { KubeObject } from '../kube/object.ts';
import { kubeTime, type Clock } from '../util/clock.ts';
import { SKIFF_VERSION } from '../util/version.ts';
import type { ControllerSpec, ReconcileResult } from './controller.ts';
import { veleroListType } from './velero-types.ts';

/** What a ServerStatusRequest reports as `status.serverVersion`. */
export const SERVER_VERSION = `skiff-${SKIFF_VERSION}`;
const TYPE = veleroListType(Kinds.ServerStatusRequest);

/** ServerStatusRequest (reference §1.9): answered with the version, deleted a minute later. */
export function serverStatusController(deps: { cluster: Cluster; namespace: string; clock: Clock }): ControllerSpec {
  return {
    name: 'server-status-request',
    type: TYPE,
    namespace: deps.namespace,
    reconcile: async (obj: KubeObject): Promise<ReconcileResult | undefined> => {
      const ref = resourceRef(Kinds.ServerStatusRequest);
      const name = obj.metadata.name ?? '';
      const status = obj.status as { phase?: string; processedTimestamp?: string } | undefined;
      if (status?.phase === 'Processed') {
        const age = deps.clock.now().getTime() - Date.parse(status.processedTimestamp ?? '');
        if (!(age < 60_000)) await deps.cluster.delete(ref, name, deps.namespace);
        return age < 60_000 ? { requeueAfterMs: 60_000 - age } : undefined;
      }
      await deps.cluster.patch(ref, { name, namespace: deps.namespace }, 'merge', {
        status: {
          phase: 'Processed',
          processedTimestamp: kubeTime(deps.clock.now()),
          serverVersion: SERVER_VERSION,
          plugins: [],
        },
      });
      return { requeueAfterMs: 60_000 };
    },
  };
}
