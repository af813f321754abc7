import type { Cluster } from '../../kube/cluster.ts';
import type { KubeObject } from '../../kube/object.ts';
import type { ResourceRef, ResourceType } from '../../kube/resource.ts';
import { collect } from '../../storage/index.ts';
import type { OperationLog } from '../../results/operation-log.ts';
import { scopeOf } from '../../results/results.ts';
import {
  backendWaitOf,
  hasReadyEndpoint,
  notReadyWarning,
  serviceName,
  type BackendService,
} from '../plan/backends.ts';
import type { RestoreOperation } from '../plan/types.ts';
import { fields } from './describe.ts';
import type { RestoreTargetCluster } from './target-cluster.ts';
import { pollUntil, type WaitOptions } from './waits.ts';

/** How long, in all, a restore waits for the backends of its webhooks and APIServices. */
export const DEFAULT_BACKEND_TIMEOUT_MS = 60_000;

/** Whether a Service has a ready endpoint now. */
export type BackendProbe = (svc: BackendService) => Promise<boolean>;

const ENDPOINTS: ResourceRef = { group: '', version: 'v1', resource: 'endpoints' };
const ENDPOINT_SLICES: ResourceType = {
  group: 'discovery.k8s.io',
  version: 'v1',
  resource: 'endpointslices',
  kind: 'EndpointSlice',
  namespaced: true,
  verbs: ['list'],
};

/**
 * The probe against a real cluster: the Service's EndpointSlices, then its Endpoints object
 * (also when the slices cannot be listed, e.g. a role without that permission).
 */
export function clusterBackendProbe(cluster: Cluster): BackendProbe {
  return async (svc) => {
    const selector = `kubernetes.io/service-name=${svc.name}`;
    const slices = await collect(
      cluster.list(ENDPOINT_SLICES, { namespace: svc.namespace, labelSelector: selector }),
    ).catch((): KubeObject[] => []);
    if (hasReadyEndpoint(slices, undefined)) return true;
    return hasReadyEndpoint([], await cluster.find(ENDPOINTS, svc.name, svc.namespace));
  };
}

/** The probe with only the executor's verbs: the Endpoints object (what a test's fake cluster holds). */
export function endpointsBackendProbe(cluster: RestoreTargetCluster): BackendProbe {
  return async (svc) => hasReadyEndpoint([], await cluster.find(ENDPOINTS, svc.name, svc.namespace));
}

/**
 * Holds webhook configurations and APIServices back until their backend Services have a
 * ready endpoint. One deadline for the whole restore, set by the first wait, so that many
 * webhooks with a dead backend cost the time limit once, not once each. A Service found ready
 * stays ready for the rest of the restore.
 */
export class BackendGate {
  private deadline: number | undefined;
  private readonly ready = new Set<string>();

  constructor(
    private readonly probe: BackendProbe,
    readonly opts: WaitOptions,
  ) {}

  /** Waits (within the shared limit) until each Service is ready; returns those that are not. */
  async wait(services: readonly BackendService[]): Promise<BackendService[]> {
    const deadline = (this.deadline ??= Date.now() + this.opts.timeoutMs);
    const outcomes = await Promise.all(
      services.map(async (svc) => {
        const key = serviceName(svc);
        if (this.ready.has(key)) return true;
        const left = Math.max(0, deadline - Date.now());
        const ok = await pollUntil(() => this.probe(svc), { timeoutMs: left, pollMs: this.opts.pollMs });
        if (ok) this.ready.add(key);
        return ok;
      }),
    );
    return services.filter((_, i) => outcomes[i] !== true);
  }
}

/**
 * The executor's step before writing a webhook configuration or an APIService: wait for its
 * backends (`backendWaitOf` decides which), then log that they are ready, or warn naming the
 * item and each Service that is not; the item is written either way.
 */
export async function awaitBackends(
  op: RestoreOperation,
  deps: { backends: BackendGate; log: OperationLog },
): Promise<void> {
  const wait = backendWaitOf(op);
  if (!wait) return;
  const notReady = await deps.backends.wait(wait.services);
  if (notReady.length > 0) {
    deps.log.warn(
      scopeOf(op.target.namespace),
      notReadyWarning(wait, notReady, deps.backends.opts.timeoutMs),
      fields(op),
    );
    return;
  }
  const names = wait.services.map((s) => `Service ${serviceName(s)}`).join(', ');
  deps.log.info(`backend ${names} has a ready endpoint; restoring ${wait.item}`, fields(op));
}
