import type { KubeObject } from '../../kube/object.ts';
import { asArray, asRecord, getPath } from '../actions/types.ts';
import { BACKEND_LAST_RESOURCES } from './priorities.ts';
import type { RestoreOperation } from './types.ts';

/** A Service that an admission webhook or an APIService sends requests to. */
export interface BackendService {
  namespace: string;
  name: string;
}

/** What one restored item waits for before it is written: the ready endpoints of these Services. */
export interface BackendWait {
  /** `ValidatingWebhookConfiguration policy`, as warnings name it. */
  item: string;
  services: BackendService[];
}

export function serviceName(svc: BackendService): string {
  return `${svc.namespace}/${svc.name}`;
}

export function isBackendLastResource(groupResource: string): boolean {
  return (BACKEND_LAST_RESOURCES as readonly string[]).includes(groupResource);
}

/**
 * The Services an object of a backend-last type calls, as the object will be written:
 * each webhook's `clientConfig.service`, or an APIService's `spec.service`. A webhook with
 * `clientConfig.url` calls no Service of the cluster and contributes none; an APIService
 * without `spec.service` is served locally. Sorted, without repeats.
 */
export function backendServices(groupResource: string, object: KubeObject): BackendService[] {
  if (!isBackendLastResource(groupResource)) return [];
  const refs =
    groupResource === 'apiservices.apiregistration.k8s.io'
      ? [getPath(object, 'spec', 'service')]
      : asArray(object.webhooks).map((w) => getPath(w, 'clientConfig', 'service'));
  const byKey = new Map<string, BackendService>();
  for (const ref of refs) {
    const svc = asRecord(ref);
    const namespace = svc?.namespace;
    const name = svc?.name;
    if (typeof namespace !== 'string' || typeof name !== 'string' || namespace === '' || name === '') continue;
    byKey.set(`${namespace}/${name}`, { namespace, name });
  }
  return [...byKey.keys()].sort().map((k) => byKey.get(k) as BackendService);
}

/**
 * Whether the restore holds this operation back until its backends are ready: only writes
 * (create, update) of a backend-last type whose object calls a Service. Skips, conflicts and
 * failures write nothing, so they never wait.
 */
export function backendWaitOf(op: RestoreOperation): BackendWait | undefined {
  if (op.kind !== 'create' && op.kind !== 'update') return undefined;
  const services = backendServices(op.target.groupResource, op.object);
  if (services.length === 0) return undefined;
  return { item: `${op.target.kind} ${op.target.name}`, services };
}

/**
 * A Service has a ready backend when one of its EndpointSlices (label
 * `kubernetes.io/service-name`) lists an endpoint whose `conditions.ready` is not false (an
 * unset condition means ready, as the EndpointSlice API defines it), or, for clusters that
 * only fill the older Endpoints object, when a subset has an address.
 */
export function hasReadyEndpoint(slices: readonly KubeObject[], endpoints: KubeObject | undefined): boolean {
  const sliceReady = slices.some((slice) =>
    asArray(slice.endpoints).some((e) => getPath(e, 'conditions', 'ready') !== false),
  );
  if (sliceReady) return true;
  return asArray(endpoints?.subsets).some((s) => asArray(asRecord(s)?.addresses).length > 0);
}

/** The restore's warning for an item written although these Services had no ready endpoint in time. */
export function notReadyWarning(wait: BackendWait, notReady: readonly BackendService[], waitedMs: number): string {
  const names = notReady.map((s) => `Service ${serviceName(s)}`).join(', ');
  return `${wait.item} is restored although its backend ${names} had no ready endpoint after ${Math.round(waitedMs / 1000)} s; until it has one, requests the API server sends it fail`;
}
