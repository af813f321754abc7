/**
 * An operator-style application for issue 13's tests: a namespace whose objects use
 * cluster-scoped ones that a namespace backup leaves out. Everything is named after the
 * namespace, so that nothing else in the shared test cluster matches it.
 *
 * SAFETY (the cluster is shared): the validating webhook ignores failures, times out after
 * 1 s and only sees CREATEs of one resource of this test's own API group in this test's
 * namespace; the APIService never becomes Available (no endpoints under kwok), which blocks
 * namespace deletion and makes every backup warn, so `remove()` deletes it first and must run
 * in an `after` hook.
 */
import type { Cluster, KubeObject, ResourceRef } from '../../src/kube/index.ts';
import { apps, core, createNamespace, waitFor } from './cluster.ts';

export const CRDS: ResourceRef = {
  group: 'apiextensions.k8s.io',
  version: 'v1',
  resource: 'customresourcedefinitions',
};
export const API_SERVICES: ResourceRef = { group: 'apiregistration.k8s.io', version: 'v1', resource: 'apiservices' };
export const VALIDATING_WEBHOOKS: ResourceRef = {
  group: 'admissionregistration.k8s.io',
  version: 'v1',
  resource: 'validatingwebhookconfigurations',
};
export const PRIORITY_CLASSES: ResourceRef = { group: 'scheduling.k8s.io', version: 'v1', resource: 'priorityclasses' };
export const rbac = (resource: string): ResourceRef => ({
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  resource,
});

const KINDS = ['Alpha', 'Bravo', 'Charlie', 'Delta', 'Echo'] as const;
const plural = (kind: string): string => `${kind.toLowerCase()}${kind.endsWith('o') ? 'es' : 's'}`;

export interface AppObject {
  ref: ResourceRef;
  /** `customresourcedefinitions.apiextensions.k8s.io`, as the tarball's folders and the warnings name it. */
  groupResource: string;
  name: string;
  namespace?: string;
}

export interface OperatorApp {
  ns: string;
  /** The application's API group (5 CRDs, objects of the first 2). */
  group: string;
  /** The aggregated API's group-version, served by a Service in the namespace that has no endpoints. */
  metricsGroupVersion: string;
  partOf: string;
  /** Every object of the application, namespaced and cluster-scoped. */
  objects: AppObject[];
  /** The cluster-scoped objects a namespace backup leaves out, with the rule that finds each. */
  leftOut: (AppObject & { rule: string })[];
  /** A ClusterRole with the same part-of label, of another instance: never the application's. */
  otherInstance: AppObject;
  /** Deletes every cluster-scoped object of the application (the APIService first) and the namespace. */
  remove(): Promise<void>;
}

const gr = (ref: ResourceRef): string => (ref.group === '' ? ref.resource : `${ref.resource}.${ref.group}`);

export async function createOperatorApp(cluster: Cluster, ns: string): Promise<OperatorApp> {
  const suffix = ns.slice(-6);
  const group = `g${suffix}.app13.skiff.test`;
  const metricsGroup = `metrics.${group}`;
  const partOf = `app13-${suffix}`;
  const labels = { 'app.kubernetes.io/part-of': partOf, 'app.kubernetes.io/instance': 'main' };
  const aggregateLabel = `${group}/aggregate-to-admin`;
  const objects: AppObject[] = [];
  const created: AppObject[] = [];
  const add = async (ref: ResourceRef, body: KubeObject): Promise<AppObject> => {
    const o: AppObject = {
      ref,
      groupResource: gr(ref),
      name: body.metadata.name ?? '',
      ...(body.metadata.namespace ? { namespace: body.metadata.namespace } : {}),
    };
    await cluster.create(ref, body);
    created.push(o);
    return o;
  };
  const remove = async (): Promise<void> => {
    // The APIService first: while it is unavailable the namespace cannot finish deleting.
    const order = [...created].sort((a, b) => rank(a) - rank(b));
    for (const o of order) await cluster.delete(o.ref, o.name, o.namespace).catch(() => undefined);
  };
  try {
    await createNamespace(cluster, ns, labels);
    const namespace: AppObject = { ref: core('namespaces'), groupResource: 'namespaces', name: ns };
    created.push(namespace);
    objects.push(namespace);
    for (const kind of KINDS) {
      objects.push(
        await add(CRDS, {
          apiVersion: 'apiextensions.k8s.io/v1',
          kind: 'CustomResourceDefinition',
          metadata: { name: `${plural(kind)}.${group}`, labels },
          spec: {
            group,
            scope: 'Namespaced',
            names: { plural: plural(kind), singular: kind.toLowerCase(), kind, listKind: `${kind}List` },
            versions: [
              {
                name: 'v1',
                served: true,
                storage: true,
                schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
              },
            ],
          },
        }),
      );
    }
    await waitFor('the CRDs to be established', async () => {
      for (const kind of KINDS) {
        const crd = await cluster.get(CRDS, `${plural(kind)}.${group}`);
        const conds = (crd.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions;
        if (!conds?.some((c) => c.type === 'Established' && c.status === 'True')) return false;
      }
      return true;
    });
    const pc = await add(PRIORITY_CLASSES, {
      apiVersion: 'scheduling.k8s.io/v1',
      kind: 'PriorityClass',
      metadata: { name: `${ns}-high`, labels },
      value: 100000,
      description: 'issue 13 fixture',
    });
    const sa = await add(core('serviceaccounts'), {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'operator', namespace: ns, labels },
    });
    const service = (name: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: ns, labels },
      spec: { selector: { app: name }, ports: [{ name: 'https', port: 443, targetPort: 8443 }] },
    });
    const metricsSvc = await add(core('services'), service('metrics-api'));
    const webhookSvc = await add(core('services'), service('webhook'));
    const deployment = await add(apps('deployments'), {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'operator', namespace: ns, labels },
      spec: {
        // No pods: the PriorityClass is then used by the template only, which Velero's pod rule does not see.
        replicas: 0,
        selector: { matchLabels: { app: 'operator' } },
        template: {
          metadata: { labels: { app: 'operator', ...labels } },
          spec: {
            serviceAccountName: 'operator',
            priorityClassName: pc.name,
            containers: [{ name: 'operator', image: 'registry.example/operator:1.0' }],
          },
        },
      },
    });
    const settings = await add(core('configmaps'), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings', namespace: ns, labels },
      data: { mode: 'strict' },
    });
    const customs: AppObject[] = [];
    for (const kind of KINDS.slice(0, 2)) {
      customs.push(
        await add(
          { group, version: 'v1', resource: plural(kind) },
          {
            apiVersion: `${group}/v1`,
            kind,
            metadata: { name: 'one', namespace: ns, labels },
            spec: { size: 3, kind: kind.toLowerCase() },
          },
        ),
      );
    }
    const admin = await add(rbac('clusterroles'), {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: `${ns}-admin`, labels },
      aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [aggregateLabel]: 'true' } }] },
      rules: [],
    });
    const edit = await add(rbac('clusterroles'), {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: `${ns}-edit`, labels: { ...labels, [aggregateLabel]: 'true' } },
      rules: [{ apiGroups: [group], resources: ['*'], verbs: ['get', 'list', 'watch', 'create', 'update', 'delete'] }],
    });
    const binding = await add(rbac('clusterrolebindings'), {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: `${ns}-operator`, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: admin.name },
      subjects: [{ kind: 'ServiceAccount', name: sa.name, namespace: ns }],
    });
    const otherInstance = await add(rbac('clusterroles'), {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: {
        name: `${ns}-other-instance`,
        labels: { 'app.kubernetes.io/part-of': partOf, 'app.kubernetes.io/instance': 'other' },
      },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }],
    });
    const webhook = await add(VALIDATING_WEBHOOKS, {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: `${ns}-validate`, labels },
      webhooks: [
        {
          name: `validate.${group}`,
          clientConfig: { service: { namespace: ns, name: webhookSvc.name, path: '/validate', port: 443 } },
          // Only CREATEs of a resource of this test's own group that no test creates, in this namespace.
          rules: [
            {
              apiGroups: [group],
              apiVersions: ['v1'],
              operations: ['CREATE'],
              resources: [plural('Charlie')],
              scope: 'Namespaced',
            },
          ],
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
          failurePolicy: 'Ignore',
          timeoutSeconds: 1,
          sideEffects: 'None',
          admissionReviewVersions: ['v1'],
        },
      ],
    });
    const apiService = await add(API_SERVICES, {
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: { name: `v1beta1.${metricsGroup}`, labels },
      spec: {
        group: metricsGroup,
        version: 'v1beta1',
        service: { namespace: ns, name: metricsSvc.name, port: 443 },
        insecureSkipTLSVerify: true,
        groupPriorityMinimum: 1000,
        versionPriority: 15,
      },
    });
    objects.push(pc, sa, metricsSvc, webhookSvc, deployment, settings, ...customs, admin, edit, binding, webhook);
    objects.push(apiService);
    const crdsLeftOut = objects.filter((o) => o.ref === CRDS).slice(2);
    return {
      ns,
      group,
      metricsGroupVersion: `${metricsGroup}/v1beta1`,
      partOf,
      objects,
      leftOut: [
        ...crdsLeftOut.map((o) => ({ ...o, rule: 'crd-api-group' })),
        { ...apiService, rule: 'apiservice-backend' },
        { ...webhook, rule: 'webhook-backend' },
        { ...edit, rule: 'aggregated-clusterrole' },
        { ...pc, rule: 'priority-class' },
      ],
      otherInstance,
      remove,
    };
  } catch (err) {
    await remove();
    throw err;
  }
}

/** Deletion order: APIService, webhooks, then the rest; the namespace after the objects in it are asked to go. */
function rank(o: AppObject): number {
  if (o.ref === API_SERVICES) return 0;
  if (o.ref === VALIDATING_WEBHOOKS) return 1;
  if (o.ref.resource === 'namespaces') return 3;
  return 2;
}
