import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AppFacts,
  appLookups,
  findAppClusterResources,
  GR,
  parseIncludeAppClusterResources,
  type AppClusterResource,
} from '../../../src/backup/plan/app-cluster-resources.ts';
import type { KubeObject } from '../../../src/kube/index.ts';

const NS = 'shop';

function item(name: string, extra: Partial<KubeObject> & { namespace?: string } = {}): KubeObject {
  const { namespace, metadata, ...rest } = extra;
  return {
    apiVersion: 'v1',
    kind: 'Thing',
    ...rest,
    metadata: { name, ...(namespace ? { namespace } : {}), ...(metadata ?? {}) },
  };
}

/** Facts of a backup of namespace `shop`, fed the given included items. */
function factsOf(included: [string, KubeObject][]): AppFacts {
  const facts = new AppFacts((ns) => ns === NS);
  for (const [gr, obj] of included) facts.observe(gr, obj);
  return facts;
}

function find(facts: AppFacts, candidates: [string, KubeObject][]): AppClusterResource[] {
  return findAppClusterResources(
    facts,
    candidates.map(([groupResource, i]) => ({ groupResource, item: i })),
  );
}

const names = (found: AppClusterResource[]): string[] => found.map((f) => `${f.rule}:${f.groupResource}/${f.name}`);

const crd = (name: string, group: string): KubeObject => item(name, { spec: { group } });

describe('application cluster resources (issue 13)', () => {
  test('crd-api-group: the other CRDs of an API group of which some CRDs are included', () => {
    const facts = factsOf([[GR.crds, crd('widgets.acme.io', 'acme.io')]]);
    const found = find(facts, [
      [GR.crds, crd('widgets.acme.io', 'acme.io')],
      [GR.crds, crd('gadgets.acme.io', 'acme.io')],
      [GR.crds, crd('gizmos.other.io', 'other.io')],
    ]);
    assert.deepEqual(names(found), [`crd-api-group:${GR.crds}/gadgets.acme.io`]);
    assert.match(found[0]?.reason ?? '', /API group acme\.io, whose CRD widgets\.acme\.io the backup takes/);
  });

  test('crd-api-group: no CRD of the group included, nothing found', () => {
    const facts = factsOf([]);
    assert.deepEqual(find(facts, [[GR.crds, crd('gadgets.acme.io', 'acme.io')]]), []);
    assert.equal(appLookups(facts, [GR.crds]).length, 0, 'without a CRD or an identity, the CRD list is not even read');
  });

  test('apiservice-backend: an APIService whose spec.service is in an included namespace', () => {
    const facts = factsOf([]);
    const found = find(facts, [
      [GR.apiServices, item('v1.metrics.acme.io', { spec: { service: { namespace: NS, name: 'api' } } })],
      [GR.apiServices, item('v1.other.io', { spec: { service: { namespace: 'elsewhere', name: 'api' } } })],
      [GR.apiServices, item('v1.apps', { spec: {} })],
    ]);
    assert.deepEqual(names(found), [`apiservice-backend:${GR.apiServices}/v1.metrics.acme.io`]);
    assert.match(found[0]?.reason ?? '', /spec\.service shop\/api/);
  });

  test('webhook-backend: validating and mutating configurations calling a Service in an included namespace', () => {
    const facts = factsOf([]);
    const hook = (ns: string): KubeObject =>
      item(`hook-${ns}`, {
        webhooks: [{ name: 'a.acme.io', clientConfig: { service: { namespace: ns, name: 'wh' } } }],
      });
    const urlHook = item('by-url', { webhooks: [{ name: 'u', clientConfig: { url: 'https://x' } }] });
    const found = find(facts, [
      [GR.validatingWebhooks, hook(NS)],
      [GR.mutatingWebhooks, hook(NS)],
      [GR.validatingWebhooks, hook('elsewhere')],
      [GR.validatingWebhooks, urlHook],
    ]);
    assert.deepEqual(names(found), [
      `webhook-backend:${GR.validatingWebhooks}/hook-shop`,
      `webhook-backend:${GR.mutatingWebhooks}/hook-shop`,
    ]);
  });

  test('aggregated-clusterrole: ClusterRoles whose labels match an included ClusterRole’s aggregationRule', () => {
    const aggregating = item('acme-admin', {
      aggregationRule: { clusterRoleSelectors: [{ matchLabels: { 'acme.io/aggregate-to-admin': 'true' } }] },
    });
    const everything = item('odd', { aggregationRule: { clusterRoleSelectors: [{}] } });
    const facts = factsOf([
      [GR.clusterRoles, aggregating],
      [GR.clusterRoles, everything],
    ]);
    const found = find(facts, [
      [GR.clusterRoles, aggregating],
      [GR.clusterRoles, item('acme-edit', { metadata: { labels: { 'acme.io/aggregate-to-admin': 'true' } } })],
      [GR.clusterRoles, item('unrelated', { metadata: { labels: { 'acme.io/aggregate-to-admin': 'false' } } })],
    ]);
    assert.deepEqual(names(found), [`aggregated-clusterrole:${GR.clusterRoles}/acme-edit`]);
    assert.match(found[0]?.reason ?? '', /aggregated into ClusterRole acme-admin/);
  });

  test('priority-class and runtime-class: named by pods and pod templates, built-in system-* classes left alone', () => {
    const facts = factsOf([
      ['deployments.apps', item('web', { namespace: NS, spec: { template: { spec: { priorityClassName: 'high' } } } })],
      [
        'cronjobs.batch',
        item('tick', {
          namespace: NS,
          spec: { jobTemplate: { spec: { template: { spec: { runtimeClassName: 'gvisor' } } } } },
        }),
      ],
      ['pods', item('p', { namespace: NS, spec: { containers: [], priorityClassName: 'system-node-critical' } })],
    ]);
    const found = find(facts, [
      [GR.priorityClasses, item('high')],
      [GR.priorityClasses, item('low')],
      [GR.priorityClasses, item('system-node-critical')],
      [GR.runtimeClasses, item('gvisor')],
    ]);
    assert.deepEqual(names(found), [
      `priority-class:${GR.priorityClasses}/high`,
      `runtime-class:${GR.runtimeClasses}/gvisor`,
    ]);
    assert.match(found[0]?.reason ?? '', /deployments\.apps shop\/web names it in priorityClassName/);
  });

  test('storage-class: named by a PVC, a StatefulSet claim template, or an included PV', () => {
    const facts = factsOf([
      ['persistentvolumeclaims', item('data', { namespace: NS, spec: { storageClassName: 'fast' } })],
      [
        'statefulsets.apps',
        item('db', { namespace: NS, spec: { volumeClaimTemplates: [{ spec: { storageClassName: 'ssd' } }] } }),
      ],
      ['persistentvolumes', item('pv-1', { spec: { storageClassName: 'local' } })],
    ]);
    const found = find(facts, [
      [GR.storageClasses, item('fast')],
      [GR.storageClasses, item('ssd')],
      [GR.storageClasses, item('local')],
      [GR.storageClasses, item('slow')],
    ]);
    assert.deepEqual(
      names(found).sort(),
      ['fast', 'local', 'ssd'].map((n) => `storage-class:${GR.storageClasses}/${n}`),
    );
  });

  test('ingress-class: spec.ingressClassName of an Ingress', () => {
    const facts = factsOf([
      ['ingresses.networking.k8s.io', item('web', { namespace: NS, spec: { ingressClassName: 'nginx' } })],
    ]);
    const found = find(facts, [
      [GR.ingressClasses, item('nginx')],
      [GR.ingressClasses, item('traefik')],
    ]);
    assert.deepEqual(names(found), [`ingress-class:${GR.ingressClasses}/nginx`]);
  });

  test('app-labels: part-of, instance or Helm release of included namespaced objects', () => {
    const facts = factsOf([
      [
        'configmaps',
        item('c', {
          namespace: NS,
          metadata: {
            labels: { 'app.kubernetes.io/part-of': 'acme', 'app.kubernetes.io/instance': 'acme-prod' },
          },
        }),
      ],
      [
        'secrets',
        item('s', {
          namespace: NS,
          metadata: { annotations: { 'meta.helm.sh/release-name': 'shopfront', 'meta.helm.sh/release-namespace': NS } },
        }),
      ],
    ]);
    const labelled = (name: string, labels: Record<string, string>, annotations?: Record<string, string>): KubeObject =>
      item(name, { metadata: { labels, ...(annotations ? { annotations } : {}) } });
    const found = find(facts, [
      ['nodes', labelled('n', { 'app.kubernetes.io/part-of': 'acme' })],
      ['somethings.acme.io', labelled('by-instance', { 'app.kubernetes.io/instance': 'acme-prod' })],
      [
        'somethings.acme.io',
        labelled(
          'by-release',
          { 'app.kubernetes.io/managed-by': 'Helm' },
          {
            'meta.helm.sh/release-name': 'shopfront',
            'meta.helm.sh/release-namespace': NS,
          },
        ),
      ],
      // Same application, another copy of it: not ours.
      [
        'somethings.acme.io',
        labelled('other-instance', { 'app.kubernetes.io/part-of': 'acme', 'app.kubernetes.io/instance': 'acme-dev' }),
      ],
      // Helm's managed-by label alone names no release.
      ['somethings.acme.io', labelled('helm-only', { 'app.kubernetes.io/managed-by': 'Helm' })],
      // Same release name, another namespace: another release.
      [
        'somethings.acme.io',
        labelled(
          'other-release',
          { 'app.kubernetes.io/managed-by': 'Helm' },
          { 'meta.helm.sh/release-name': 'shopfront', 'meta.helm.sh/release-namespace': 'staging' },
        ),
      ],
      ['somethings.acme.io', labelled('other-app', { 'app.kubernetes.io/part-of': 'globex' })],
    ]);
    assert.deepEqual(names(found), [
      'app-labels:nodes/n',
      'app-labels:somethings.acme.io/by-instance',
      'app-labels:somethings.acme.io/by-release',
    ]);
    assert.match(found[0]?.reason ?? '', /label app\.kubernetes\.io\/part-of=acme, as configmaps shop\/c does/);
  });

  test('labels of included cluster-scoped objects are no identity of the application', () => {
    const facts = factsOf([
      ['persistentvolumes', item('pv', { metadata: { labels: { 'app.kubernetes.io/part-of': 'x' } } })],
    ]);
    assert.deepEqual(
      find(facts, [['nodes', item('n', { metadata: { labels: { 'app.kubernetes.io/part-of': 'x' } } })]]),
      [],
    );
  });

  test('objects already in the backup are not reported, and each object is reported once', () => {
    const facts = factsOf([
      ['pods', item('p', { namespace: NS, spec: { containers: [], priorityClassName: 'high' } })],
      [GR.priorityClasses, item('high')],
      ['configmaps', item('c', { namespace: NS, metadata: { labels: { 'app.kubernetes.io/part-of': 'acme' } } })],
    ]);
    const labelledHook = item('hook', {
      metadata: { labels: { 'app.kubernetes.io/part-of': 'acme' } },
      webhooks: [{ name: 'w', clientConfig: { service: { namespace: NS, name: 'wh' } } }],
    });
    const found = find(facts, [
      [GR.priorityClasses, item('high')],
      [GR.validatingWebhooks, labelledHook],
      [GR.validatingWebhooks, labelledHook],
    ]);
    assert.deepEqual(names(found), [`webhook-backend:${GR.validatingWebhooks}/hook`]);
  });

  test('lookups: whole lists for the rule kinds with facts, label-selected lists for the rest', () => {
    const facts = factsOf([
      ['configmaps', item('c', { namespace: NS, metadata: { labels: { 'app.kubernetes.io/part-of': 'acme' } } })],
    ]);
    assert.deepEqual(appLookups(facts, [GR.apiServices, GR.priorityClasses, 'nodes']), [
      { groupResource: GR.apiServices },
      { groupResource: GR.priorityClasses, labelSelector: 'app.kubernetes.io/part-of in (acme)' },
      { groupResource: 'nodes', labelSelector: 'app.kubernetes.io/part-of in (acme)' },
    ]);
  });

  test('many label values are split over several selectors, so that no request grows without bound', () => {
    const facts = factsOf(
      Array.from({ length: 120 }, (_, i): [string, KubeObject] => [
        'configmaps',
        item(`c${i}`, { namespace: NS, metadata: { labels: { 'app.kubernetes.io/instance': `i${i}` } } }),
      ]),
    );
    const selectors = appLookups(facts, ['nodes']).map((l) => l.labelSelector ?? '');
    assert.equal(selectors.length, 3);
    assert.equal(selectors.flatMap((s) => s.slice(s.indexOf('(') + 1, -1).split(',')).length, 120);
  });

  test('the annotation: true, false or absent; anything else is a problem naming it', () => {
    const key = 'skiff.io/include-app-cluster-resources';
    assert.deepEqual(parseIncludeAppClusterResources(undefined), { value: false });
    assert.deepEqual(parseIncludeAppClusterResources({ [key]: 'true' }), { value: true });
    assert.deepEqual(parseIncludeAppClusterResources({ [key]: 'false' }), { value: false });
    const bad = parseIncludeAppClusterResources({ [key]: 'yes' });
    assert.ok('problem' in bad);
    assert.match(bad.problem, /skiff\.io\/include-app-cluster-resources: "yes" is not valid/);
  });
});
