/**
 * The aggregated API `view.skiff.dev/v1alpha1` (issue 17, deliverable 6): tenants read the log
 * and the details of their TenantBackups and TenantRestores through the API server, which
 * authenticates, authorises and audits the request before it proxies it to `skiff server`.
 * Only subresources are served, and only `get`: the objects themselves stay in tenant.skiff.dev.
 *
 * Discovery documents follow the API server's own (`/apis`, `/apis/<group>`,
 * `/apis/<group>/<version>`), which the aggregator reads to publish the group.
 */
export const VIEW_GROUP = 'view.skiff.dev';
export const VIEW_VERSION = 'v1alpha1';
export const VIEW_GROUP_VERSION = `${VIEW_GROUP}/${VIEW_VERSION}`;
/** The APIService's name: `<version>.<group>`, as the API server requires. */
export const VIEW_APISERVICE_NAME = `${VIEW_VERSION}.${VIEW_GROUP}`;

/** The parent resources (tenant.skiff.dev plurals) and the subresources served for each. */
export const VIEW_RESOURCES = ['tenantbackups', 'tenantrestores'] as const;
export type ViewResource = (typeof VIEW_RESOURCES)[number];
export const VIEW_SUBRESOURCES = ['log', 'details'] as const;
export type ViewSubresource = (typeof VIEW_SUBRESOURCES)[number];

/** `tenantbackups/log`, ...: the names RBAC rules grant (`get` in view.skiff.dev). */
export const VIEW_RBAC_RESOURCES: readonly string[] = VIEW_RESOURCES.flatMap((r) =>
  VIEW_SUBRESOURCES.map((s) => `${r}/${s}`),
);

const KIND_OF: Record<ViewResource, string> = { tenantbackups: 'TenantBackup', tenantrestores: 'TenantRestore' };

export function viewKindOf(resource: ViewResource): string {
  return KIND_OF[resource];
}

/** `/apis`: the one group this server serves. */
export function apiGroupList(): Record<string, unknown> {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: [apiGroup()] };
}

/** `/apis/view.skiff.dev`. */
export function apiGroup(): Record<string, unknown> {
  const version = { groupVersion: VIEW_GROUP_VERSION, version: VIEW_VERSION };
  return { kind: 'APIGroup', apiVersion: 'v1', name: VIEW_GROUP, versions: [version], preferredVersion: version };
}

/** `/apis/view.skiff.dev/v1alpha1`: namespaced subresources with `get` only. */
export function apiResourceList(): Record<string, unknown> {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: VIEW_GROUP_VERSION,
    resources: VIEW_RESOURCES.flatMap((resource) =>
      VIEW_SUBRESOURCES.map((sub) => ({
        name: `${resource}/${sub}`,
        singularName: '',
        namespaced: true,
        kind: sub === 'log' ? 'Log' : `${viewKindOf(resource)}Details`,
        verbs: ['get'],
      })),
    ),
  };
}

/** A request for one subresource: `/apis/view.skiff.dev/v1alpha1/namespaces/NS/RESOURCE/NAME/SUB`. */
export interface ViewRequest {
  namespace: string;
  resource: ViewResource;
  name: string;
  subresource: ViewSubresource;
}

export type ViewRoute =
  | { kind: 'discovery'; body: Record<string, unknown> }
  | { kind: 'object'; request: ViewRequest }
  | { kind: 'not-found' };

const isOneOf = <T extends string>(list: readonly T[], value: string | undefined): value is T =>
  value !== undefined && (list as readonly string[]).includes(value);

/** Which document or subresource a path names (the query is ignored). */
export function routeOf(path: string): ViewRoute {
  const parts = path.split('?')[0]?.replace(/\/+$/, '').split('/').slice(1) ?? [];
  const [apis, group, version, namespaces, namespace, resource, name, subresource, ...rest] = parts.map((p) =>
    decodeURIComponent(p),
  );
  if (apis !== 'apis') return { kind: 'not-found' };
  if (group === undefined) return { kind: 'discovery', body: apiGroupList() };
  if (group !== VIEW_GROUP) return { kind: 'not-found' };
  if (version === undefined) return { kind: 'discovery', body: apiGroup() };
  if (version !== VIEW_VERSION) return { kind: 'not-found' };
  if (namespaces === undefined) return { kind: 'discovery', body: apiResourceList() };
  if (
    namespaces !== 'namespaces' ||
    !namespace ||
    !isOneOf(VIEW_RESOURCES, resource) ||
    !name ||
    !isOneOf(VIEW_SUBRESOURCES, subresource) ||
    rest.length > 0
  ) {
    return { kind: 'not-found' };
  }
  return { kind: 'object', request: { namespace, resource, name, subresource } };
}
