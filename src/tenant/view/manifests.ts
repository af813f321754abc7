/**
 * The objects that register the view API with the API server: the APIService and the Service
 * it names. In a cluster the Service selects the server's pods; where the server runs outside
 * the cluster (the test environment) the Service has no selector and an EndpointSlice names
 * the server's address (see `viewApiEndpointSlice`).
 */
import type { KubeObject } from '../../kube/object.ts';
import { VIEW_APISERVICE_NAME, VIEW_GROUP, VIEW_VERSION } from './api.ts';
import { VIEW_SERVICE_NAME } from './serving-identity.ts';

/** The port `skiff install --view-api` serves on in the pod. */
export const VIEW_API_PORT = 8443;

export interface ViewApiObjectOptions {
  namespace: string;
  labels: Readonly<Record<string, string>>;
  /** The server pods' labels; none: the Service gets its endpoints some other way. */
  selector?: Readonly<Record<string, string>> | undefined;
  targetPort?: number;
  /** PEM the API server trusts for the view API; none: the server sets it when it starts. */
  caPem?: string | undefined;
}

export function viewApiObjects(o: ViewApiObjectOptions): KubeObject[] {
  return [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: VIEW_SERVICE_NAME, namespace: o.namespace, labels: { ...o.labels } },
      spec: {
        ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: o.targetPort ?? VIEW_API_PORT }],
        ...(o.selector ? { selector: { ...o.selector } } : {}),
      },
    },
    {
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: { name: VIEW_APISERVICE_NAME, labels: { ...o.labels } },
      spec: {
        group: VIEW_GROUP,
        version: VIEW_VERSION,
        service: { namespace: o.namespace, name: VIEW_SERVICE_NAME, port: 443 },
        groupPriorityMinimum: 1000,
        versionPriority: 15,
        ...(o.caPem ? { caBundle: Buffer.from(o.caPem).toString('base64') } : {}),
      },
    },
  ];
}

/**
 * Endpoints for a Service without selector: the server's address outside the cluster. The API
 * server refuses loopback and link-local addresses here, so it must be a host address.
 */
export function viewApiEndpointSlice(namespace: string, ip: string, port: number): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: `${VIEW_SERVICE_NAME}-external`,
      namespace,
      labels: {
        'kubernetes.io/service-name': VIEW_SERVICE_NAME,
        'endpointslice.kubernetes.io/managed-by': 'skiff.dev',
      },
    },
    addressType: ip.includes(':') ? 'IPv6' : 'IPv4',
    ports: [{ name: 'https', port, protocol: 'TCP' }],
    endpoints: [{ addresses: [ip], conditions: { ready: true } }],
  };
}
