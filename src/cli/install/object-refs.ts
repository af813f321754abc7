/** The API resource of each kind `skiff install` creates and `skiff uninstall` deletes. */
import { findKind, resourceRef } from '../../api/kinds.ts';
import type { KubeObject } from '../../kube/object.ts';
import type { ResourceRef } from '../../kube/resource.ts';

const rbac = (resource: string): ResourceRef => ({ group: 'rbac.authorization.k8s.io', version: 'v1', resource });

export const INSTALL_REFS = {
  Namespace: { group: '', version: 'v1', resource: 'namespaces' },
  Secret: { group: '', version: 'v1', resource: 'secrets' },
  ServiceAccount: { group: '', version: 'v1', resource: 'serviceaccounts' },
  ClusterRole: rbac('clusterroles'),
  ClusterRoleBinding: rbac('clusterrolebindings'),
  Role: rbac('roles'),
  RoleBinding: rbac('rolebindings'),
  Service: { group: '', version: 'v1', resource: 'services' },
  APIService: { group: 'apiregistration.k8s.io', version: 'v1', resource: 'apiservices' },
  Deployment: { group: 'apps', version: 'v1', resource: 'deployments' },
  DaemonSet: { group: 'apps', version: 'v1', resource: 'daemonsets' },
  CustomResourceDefinition: { group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions' },
} satisfies Record<string, ResourceRef>;

export function refOf(obj: Pick<KubeObject, 'kind'>): ResourceRef {
  const known = (INSTALL_REFS as Record<string, ResourceRef>)[obj.kind];
  if (known) return known;
  const kind = findKind(obj.kind);
  if (!kind) throw new Error(`install does not know the API resource of a ${obj.kind}`);
  return resourceRef(kind);
}

export function describeObject(obj: KubeObject): string {
  return `${obj.kind}/${obj.metadata.name ?? ''}`;
}
