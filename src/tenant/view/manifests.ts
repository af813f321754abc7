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

/** A RoleBinding of `serviceAccount` to a Role or ClusterRole. */
function roleBinding(
  name: string,
  namespace: string,
  role: { kind: 'Role' | 'ClusterRole'; name: string },
  serviceAccount: { name: string; namespace: string },
  labels: Readonly<Record<string, string>>,
): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name, namespace, labels: { ...labels } },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', ...role },
    subjects: [{ kind: 'ServiceAccount', ...serviceAccount }],
  };
}

/** The RoleBinding's name in kube-system; unique per server namespace. */
export function authReaderBindingName(namespace: string): string {
  return `skiff-view-api-auth-reader-${namespace}`;
}

/**
 * What `skiff install --view-api` adds: the Service (selecting the server pods) and the
 * APIService, and the server's rights to serve it: reading the request-header settings (the
 * built-in Role `extension-apiserver-authentication-reader` of kube-system, as every
 * aggregated server is bound) and, under least-privilege RBAC, creating the Secret of its
 * self-signed certificate. SubjectAccessReviews and the APIService's caBundle are in the
 * server's rules already.
 */
export function viewApiInstallObjects(o: {
  namespace: string;
  labels: Readonly<Record<string, string>>;
  selector: Readonly<Record<string, string>>;
  serviceAccount?: string | undefined;
  leastPrivilege: boolean;
}): KubeObject[] {
  const sa = o.serviceAccount ? { name: o.serviceAccount, namespace: o.namespace } : undefined;
  const rbac: KubeObject[] = [];
  if (sa) {
    rbac.push(
      roleBinding(
        authReaderBindingName(o.namespace),
        'kube-system',
        { kind: 'Role', name: 'extension-apiserver-authentication-reader' },
        sa,
        o.labels,
      ),
    );
    if (o.leastPrivilege) {
      rbac.push(
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'Role',
          metadata: { name: 'skiff-view-api', namespace: o.namespace, labels: { ...o.labels } },
          rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['create'] }],
        },
        roleBinding('skiff-view-api', o.namespace, { kind: 'Role', name: 'skiff-view-api' }, sa, o.labels),
      );
    }
  }
  return [...rbac, ...viewApiObjects({ namespace: o.namespace, labels: o.labels, selector: o.selector })];
}
