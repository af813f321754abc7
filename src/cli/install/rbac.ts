/**
 * The server's RBAC, as `skiff install` writes it (and the Helm chart renders the same rules).
 *
 * `cluster-admin` (the default): a ClusterRoleBinding of the ServiceAccount to the built-in
 * `cluster-admin` role, as `velero install` does (reference §8.5 item 3).
 *
 * `least-privilege`: a ClusterRole listing only what a backup and a restore of namespaced
 * workloads need, plus a Role in the server's namespace for the server's own objects.
 * The choices, and what they cost, are in docs/adr/0006-least-privilege-rbac.md.
 */
import { buildCrds } from '../../api/crds.ts';
import type { KubeObject } from '../../kube/object.ts';

export const RBAC_MODES = ['cluster-admin', 'least-privilege'] as const;
export type RbacMode = (typeof RBAC_MODES)[number];

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

/** What a backup reads and a restore writes back: get and list to back up; create, patch and update to restore. */
const BACKUP_RESTORE_VERBS = ['get', 'list', 'create', 'patch', 'update'];

/**
 * The kinds a least-privilege server backs up and restores: every namespaced kind a
 * Kubernetes 1.35 API server serves with `list` (so a namespace backup can list each one
 * it finds in discovery), and the cluster-scoped kinds a namespace backup pulls in
 * (PersistentVolumes of its claims, the ClusterRoles and bindings of its ServiceAccounts,
 * the CRDs of its custom resources, its StorageClasses). Custom resources are not here:
 * their owners grant them (README, "Least-privilege RBAC").
 */
export const BACKUP_RESTORE_RESOURCES: readonly { group: string; resources: string[] }[] = [
  {
    group: '',
    resources: [
      'configmaps',
      'endpoints',
      'events',
      'limitranges',
      'namespaces',
      'persistentvolumeclaims',
      'persistentvolumes',
      'pods',
      'podtemplates',
      'replicationcontrollers',
      'resourcequotas',
      'secrets',
      'serviceaccounts',
      'services',
    ],
  },
  { group: 'apps', resources: ['controllerrevisions', 'daemonsets', 'deployments', 'replicasets', 'statefulsets'] },
  { group: 'autoscaling', resources: ['horizontalpodautoscalers'] },
  { group: 'batch', resources: ['cronjobs', 'jobs'] },
  { group: 'coordination.k8s.io', resources: ['leases'] },
  { group: 'discovery.k8s.io', resources: ['endpointslices'] },
  { group: 'events.k8s.io', resources: ['events'] },
  { group: 'networking.k8s.io', resources: ['ingresses', 'networkpolicies'] },
  { group: 'policy', resources: ['poddisruptionbudgets'] },
  { group: 'rbac.authorization.k8s.io', resources: ['clusterrolebindings', 'clusterroles', 'rolebindings', 'roles'] },
  { group: 'resource.k8s.io', resources: ['resourceclaims', 'resourceclaimtemplates'] },
  { group: 'storage.k8s.io', resources: ['csistoragecapacities', 'storageclasses'] },
];

/** Cluster-scoped kinds the least-privilege server may read, not write: the application detector's (issue 13). */
export const APP_DETECTION_READS: readonly { group: string; resources: string[] }[] = [
  {
    group: 'admissionregistration.k8s.io',
    resources: ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations'],
  },
  { group: 'apiregistration.k8s.io', resources: ['apiservices'] },
  { group: 'networking.k8s.io', resources: ['ingressclasses'] },
  { group: 'node.k8s.io', resources: ['runtimeclasses'] },
  { group: 'scheduling.k8s.io', resources: ['priorityclasses'] },
];

/**
 * The cluster-wide rules of the least-privilege role. No `delete` on anything outside
 * the server's namespace: a restore only creates and patches, a backup only reads.
 */
export function leastPrivilegeClusterRules(): PolicyRule[] {
  const crdNames = buildCrds().map((c) => c.metadata.name ?? '');
  return [
    ...BACKUP_RESTORE_RESOURCES.map((r) => ({
      apiGroups: [r.group],
      resources: r.resources,
      verbs: BACKUP_RESTORE_VERBS,
    })),
    // A backup lists every kind in each namespace it covers, velero.io kinds included.
    { apiGroups: ['velero.io'], resources: ['*'], verbs: ['get', 'list', 'watch'] },
    // Read only: a namespace backup looks for the cluster-scoped objects its application uses
    // (backup/plan/app-cluster-resources.ts) and names those it leaves out. Restoring them needs more.
    ...APP_DETECTION_READS.map((r) => ({ apiGroups: [r.group], resources: r.resources, verbs: ['get', 'list'] })),
    // CRDs: read (the CRD of each backed-up custom resource) and create (restoring them, and the
    // server installing its own at start). Changing an existing CRD only for Skiff's own.
    {
      apiGroups: ['apiextensions.k8s.io'],
      resources: ['customresourcedefinitions'],
      verbs: ['get', 'list', 'watch', 'create'],
    },
    {
      apiGroups: ['apiextensions.k8s.io'],
      resources: ['customresourcedefinitions'],
      verbs: ['update', 'patch'],
      resourceNames: crdNames,
    },
  ];
}

/** The rules of the Role in the server's namespace: its own objects, credentials, leader election and events. */
export function serverNamespaceRules(): PolicyRule[] {
  const all = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];
  return [
    { apiGroups: ['velero.io'], resources: ['*'], verbs: all },
    { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch'] },
    {
      apiGroups: ['coordination.k8s.io'],
      resources: ['leases'],
      verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
    },
    { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
  ];
}

/** Velero's name for the server's cluster-wide binding: `velero`, or `velero-<ns>` outside namespace velero (§8.5). */
export function clusterBindingName(namespace: string): string {
  return namespace === 'velero' ? 'velero' : `velero-${namespace}`;
}

const RBAC_API = 'rbac.authorization.k8s.io/v1';

/** The RBAC objects of `mode` for ServiceAccount `serviceAccount`, in creation order. */
export function rbacObjects(
  namespace: string,
  mode: RbacMode,
  serviceAccount: string,
  labels: Record<string, string>,
): KubeObject[] {
  const name = clusterBindingName(namespace);
  const subjects = [{ kind: 'ServiceAccount', name: serviceAccount, namespace }];
  if (mode === 'cluster-admin') {
    return [
      {
        apiVersion: RBAC_API,
        kind: 'ClusterRoleBinding',
        metadata: { name, labels: { ...labels } },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
        subjects,
      },
    ];
  }
  return [
    {
      apiVersion: RBAC_API,
      kind: 'ClusterRole',
      metadata: { name, labels: { ...labels } },
      rules: leastPrivilegeClusterRules(),
    },
    {
      apiVersion: RBAC_API,
      kind: 'ClusterRoleBinding',
      metadata: { name, labels: { ...labels } },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects,
    },
    {
      apiVersion: RBAC_API,
      kind: 'Role',
      metadata: { name: 'velero-server', namespace, labels: { ...labels } },
      rules: serverNamespaceRules(),
    },
    {
      apiVersion: RBAC_API,
      kind: 'RoleBinding',
      metadata: { name: 'velero-server', namespace, labels: { ...labels } },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'velero-server' },
      subjects,
    },
  ];
}
