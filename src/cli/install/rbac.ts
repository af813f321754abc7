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
import { buildAllCrds } from '../../api/all-crds.ts';
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
 * the CRDs of its custom resources, its StorageClasses), and those an application uses that
 * issue 13's detector finds and `--include-app-cluster-resources` takes (webhook configurations,
 * APIServices, priority, ingress and runtime classes). Custom resources are not here:
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
  {
    group: 'admissionregistration.k8s.io',
    resources: ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations'],
  },
  { group: 'apiregistration.k8s.io', resources: ['apiservices'] },
  { group: 'apps', resources: ['controllerrevisions', 'daemonsets', 'deployments', 'replicasets', 'statefulsets'] },
  { group: 'autoscaling', resources: ['horizontalpodautoscalers'] },
  { group: 'batch', resources: ['cronjobs', 'jobs'] },
  { group: 'coordination.k8s.io', resources: ['leases'] },
  { group: 'discovery.k8s.io', resources: ['endpointslices'] },
  { group: 'events.k8s.io', resources: ['events'] },
  { group: 'networking.k8s.io', resources: ['ingressclasses', 'ingresses', 'networkpolicies'] },
  { group: 'node.k8s.io', resources: ['runtimeclasses'] },
  { group: 'policy', resources: ['poddisruptionbudgets'] },
  { group: 'rbac.authorization.k8s.io', resources: ['clusterrolebindings', 'clusterroles', 'rolebindings', 'roles'] },
  { group: 'resource.k8s.io', resources: ['resourceclaims', 'resourceclaimtemplates'] },
  { group: 'scheduling.k8s.io', resources: ['priorityclasses'] },
  { group: 'storage.k8s.io', resources: ['csistoragecapacities', 'storageclasses'] },
];

/**
 * The cluster-wide rules of the least-privilege role. No `delete` on anything outside
 * the server's namespace but the CSI snapshots Skiff itself makes: a restore only creates and
 * patches, a backup only reads (and runs hooks).
 */
export function leastPrivilegeClusterRules(): PolicyRule[] {
  const crdNames = buildAllCrds().map((c) => c.metadata.name ?? '');
  return [
    ...BACKUP_RESTORE_RESOURCES.map((r) => ({
      apiGroups: [r.group],
      resources: r.resources,
      verbs: BACKUP_RESTORE_VERBS,
    })),
    // A backup lists every kind in each namespace it covers, velero.io kinds included.
    { apiGroups: ['velero.io'], resources: ['*'], verbs: ['get', 'list', 'watch'] },
    // Self-service (issue 17): the server reads the tenant kinds everywhere and writes only their status.
    { apiGroups: ['tenant.skiff.dev'], resources: ['*'], verbs: ['get', 'list', 'watch'] },
    {
      apiGroups: ['tenant.skiff.dev'],
      resources: [
        'tenantbackups/status',
        'tenantrestores/status',
        'tenantschedules/status',
        'tenantstoragelocations/status',
      ],
      verbs: ['update', 'patch'],
    },
    // Read only: a restored claim keeps its selected node only when that node exists.
    { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list'] },
    // Hooks run commands in the pods they name (an exec is a create, or a get over websocket).
    { apiGroups: [''], resources: ['pods/exec'], verbs: ['get', 'create'] },
    // CSI snapshots: a backup creates a VolumeSnapshot per claim in the claim's namespace and removes
    // it (and its retained content) once the tarball is stored; deleting a backup deletes its snapshots.
    {
      apiGroups: ['snapshot.storage.k8s.io'],
      resources: ['volumesnapshots', 'volumesnapshotcontents'],
      verbs: ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'],
    },
    {
      apiGroups: ['snapshot.storage.k8s.io'],
      resources: ['volumesnapshotclasses'],
      verbs: ['get', 'list', 'watch', 'create', 'patch', 'update'],
    },
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
    ...tenantExecutionRules(),
  ];
}

/**
 * Namespace self-service (issue 17): the requester's access is checked again before each run
 * (SubjectAccessReviews), and a TenantBackup carries the server's finalizer. Reading the tenant
 * kinds and writing their status is in the rules above.
 */
export function tenantExecutionRules(): PolicyRule[] {
  return [
    { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
    // Its finalizer keeps a TenantBackup until its bucket objects are gone.
    { apiGroups: ['tenant.skiff.dev'], resources: ['tenantbackups'], verbs: ['patch'] },
  ];
}

/**
 * A tenant's restore writes as its requester. Impersonating any user or group includes
 * system:masters, which is cluster-admin in all but name, so least-privilege leaves these out:
 * an admin who wants tenant restores under least-privilege grants them knowingly (README,
 * "Self-service"). The cluster-admin mode has them already.
 */
export function tenantImpersonationRules(): PolicyRule[] {
  return [
    { apiGroups: [''], resources: ['users', 'groups', 'serviceaccounts'], verbs: ['impersonate'] },
    { apiGroups: ['authentication.k8s.io'], resources: ['uids'], verbs: ['impersonate'] },
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
    // A data-mover restore: the DataUploadResult ConfigMaps (reference §7.5) and the node agent's
    // mover pod and claim live here and are removed afterwards.
    {
      apiGroups: [''],
      resources: ['configmaps', 'persistentvolumeclaims', 'pods'],
      verbs: ['get', 'list', 'watch', 'create', 'delete'],
    },
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
