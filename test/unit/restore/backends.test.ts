/**
 * Webhook configurations and APIServices restore last, each after the Services it calls have a
 * ready endpoint: the order, the decision of what waits for what, and the gate's outcome.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ResourceType } from '../../../src/kube/resource.ts';
import { OperationLog } from '../../../src/results/operation-log.ts';
import { applyRestorePlan } from '../../../src/restore/apply/apply-plan.ts';
import { BackendGate } from '../../../src/restore/apply/backend-gate.ts';
import { backendServices, backendWaitOf, hasReadyEndpoint } from '../../../src/restore/plan/backends.ts';
import { formatRestorePlan } from '../../../src/restore/plan/format-plan.ts';
import { orderResourceGroups, parseRestorePriorities } from '../../../src/restore/plan/priorities.ts';
import { DEFAULT_RESTORE_PRIORITIES } from '../../../src/restore/plan/priorities.ts';
import { FakeRestoreCluster } from '../../helpers/restore-fake-cluster.ts';
import { item, obj, opFor, planFor, testDiscovery } from '../../helpers/restore-fixtures.ts';

const VWC = 'validatingwebhookconfigurations.admissionregistration.k8s.io';
const MWC = 'mutatingwebhookconfigurations.admissionregistration.k8s.io';
const APISVC = 'apiservices.apiregistration.k8s.io';

const t = (group: string, resource: string, kind: string): ResourceType => ({
  group,
  version: 'v1',
  resource,
  kind,
  namespaced: false,
  verbs: ['create', 'get', 'list', 'patch'],
});
const discovery = testDiscovery([
  t('admissionregistration.k8s.io', 'validatingwebhookconfigurations', 'ValidatingWebhookConfiguration'),
  t('admissionregistration.k8s.io', 'mutatingwebhookconfigurations', 'MutatingWebhookConfiguration'),
  t('apiregistration.k8s.io', 'apiservices', 'APIService'),
]);

function webhook(name: string, clientConfig: Record<string, unknown>): Record<string, unknown> {
  return { name, clientConfig, sideEffects: 'None', admissionReviewVersions: ['v1'], failurePolicy: 'Ignore' };
}
const vwc = obj('admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', 'policy', undefined, {
  webhooks: [
    webhook('a.example.com', { service: { namespace: 'app', name: 'hooks', path: '/a' } }),
    webhook('b.example.com', { service: { namespace: 'app', name: 'hooks', path: '/b' } }),
    webhook('c.example.com', { service: { namespace: 'other', name: 'audit' } }),
  ],
});
const mwcUrl = obj('admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration', 'external', undefined, {
  webhooks: [webhook('ext.example.com', { url: 'https://hooks.example.com/mutate' })],
});
const apiService = obj('apiregistration.k8s.io/v1', 'APIService', 'v1.metrics.example.com', undefined, {
  spec: { group: 'metrics.example.com', version: 'v1', service: { namespace: 'app', name: 'metrics', port: 443 } },
});
const svc = obj('v1', 'Service', 'hooks', 'app', { spec: { ports: [{ port: 443 }] } });
const deploy = obj('apps/v1', 'Deployment', 'hooks', 'app', { spec: { replicas: 1 } });
const cm = obj('v1', 'ConfigMap', 'cfg', 'app', { data: { a: 'b' } });
const backup = [
  item(VWC, vwc),
  item(MWC, mwcUrl),
  item(APISVC, apiService),
  item('services', svc),
  item('deployments.apps', deploy),
  item('configmaps', cm),
];

describe('restore order: webhooks and APIServices last', () => {
  test('with the default priorities they follow the rest and the low priorities, one tier each', async () => {
    const plan = await planFor({ items: backup, input: { discovery } });
    assert.deepEqual(
      plan.tiers.map((tier) => `${tier.resources.join('+')}${tier.wait ? ` (${tier.wait})` : ''}`),
      [
        'namespaces (active)',
        'configmaps',
        'services',
        'deployments.apps',
        `${APISVC} (backends)`,
        `${MWC} (backends)`,
        `${VWC} (backends)`,
      ],
    );
  });

  test('they come after the low priorities too', () => {
    const groups = orderResourceGroups(
      ['clusters.cluster.x-k8s.io', VWC, 'configmaps', APISVC],
      DEFAULT_RESTORE_PRIORITIES,
      () => undefined,
    );
    assert.deepEqual(
      groups.map((g) => g.resources.join('+')),
      ['configmaps', 'clusters.cluster.x-k8s.io', APISVC, VWC],
    );
  });

  test('a --restore-resource-priorities list that names one of them decides its place', () => {
    const groups = orderResourceGroups(
      [VWC, MWC, 'configmaps', 'services', APISVC],
      parseRestorePriorities(`${VWC},services,-,${APISVC}`),
      () => undefined,
    );
    assert.deepEqual(
      groups.map((g) => g.resources.join('+')),
      [VWC, 'services', 'configmaps', APISVC, MWC],
    );
  });

  test('the dry run shows them in their tier with the Services each waits for', async () => {
    const text = formatRestorePlan(await planFor({ items: backup, input: { discovery } }));
    assert.match(
      text,
      /Tier 7: validatingwebhookconfigurations\.admissionregistration\.k8s\.io \(each waits for its backend Services to have a ready endpoint\)\n {2}create {3}ValidatingWebhookConfiguration policy\n {13}waits for a ready endpoint of Service app\/hooks, Service other\/audit\n/,
    );
    assert.match(text, /create {3}MutatingWebhookConfiguration external\n\n/);
  });
});

describe('what waits for what', () => {
  test('a webhook configuration waits for each Service its webhooks call, once each; a URL webhook for none', () => {
    assert.deepEqual(backendServices(VWC, vwc), [
      { namespace: 'app', name: 'hooks' },
      { namespace: 'other', name: 'audit' },
    ]);
    assert.deepEqual(backendServices(MWC, mwcUrl), []);
  });

  test('an APIService waits for spec.service; a local one (no service) for nothing', () => {
    assert.deepEqual(backendServices(APISVC, apiService), [{ namespace: 'app', name: 'metrics' }]);
    const local = obj('apiregistration.k8s.io/v1', 'APIService', 'v1.apps', undefined, { spec: { group: 'apps' } });
    assert.deepEqual(backendServices(APISVC, local), []);
  });

  test('other types never wait, even with a field of the same shape', () => {
    assert.deepEqual(backendServices('configmaps', { ...cm, webhooks: vwc.webhooks }), []);
  });

  test('under a namespace mapping the restored object and its wait follow the Service into its new namespace', async () => {
    const plan = await planFor({ items: backup, input: { discovery }, spec: { namespaceMapping: { app: 'app-2' } } });
    const op = opFor(plan, 'ValidatingWebhookConfiguration', 'policy');
    assert.deepEqual(backendWaitOf(op)?.services, [
      { namespace: 'app-2', name: 'hooks' },
      { namespace: 'other', name: 'audit' },
    ]);
    assert.deepEqual(
      op.rewrites?.map((r) => `${r.path} ${r.from}->${r.to}`),
      [
        '/webhooks/0/clientConfig/service/namespace app->app-2',
        '/webhooks/1/clientConfig/service/namespace app->app-2',
      ],
    );
    const api = opFor(plan, 'APIService', 'v1.metrics.example.com');
    assert.deepEqual(backendWaitOf(api)?.services, [{ namespace: 'app-2', name: 'metrics' }]);
  });

  test('an item that writes nothing (identical, in conflict) does not wait', async () => {
    const live = [
      obj('v1', 'Namespace', 'app', undefined, { status: { phase: 'Active' } }),
      {
        ...vwc,
        metadata: { ...vwc.metadata, labels: { 'velero.io/backup-name': 'b1', 'velero.io/restore-name': 'r1' } },
      },
    ];
    const plan = await planFor({ items: backup, input: { discovery }, live });
    const op = opFor(plan, 'ValidatingWebhookConfiguration', 'policy');
    assert.equal(op.kind, 'skip');
    assert.equal(backendWaitOf(op), undefined);
  });
});

describe('a ready endpoint', () => {
  const slice = (ready: boolean | undefined): Parameters<typeof hasReadyEndpoint>[0][number] =>
    obj('discovery.k8s.io/v1', 'EndpointSlice', 's', 'app', {
      endpoints: [{ addresses: ['10.0.0.1'], conditions: ready === undefined ? {} : { ready } }],
    });

  test('an EndpointSlice endpoint that is ready, or whose readiness is unknown', () => {
    assert.equal(hasReadyEndpoint([slice(true)], undefined), true);
    assert.equal(hasReadyEndpoint([slice(undefined)], undefined), true);
    assert.equal(hasReadyEndpoint([slice(false)], undefined), false);
    assert.equal(hasReadyEndpoint([obj('discovery.k8s.io/v1', 'EndpointSlice', 'e', 'app')], undefined), false);
  });

  test('or an Endpoints subset with an address (not only notReadyAddresses)', () => {
    const ep = (subsets: unknown[]): ReturnType<typeof obj> => obj('v1', 'Endpoints', 'hooks', 'app', { subsets });
    assert.equal(hasReadyEndpoint([], ep([{ addresses: [{ ip: '10.0.0.1' }] }])), true);
    assert.equal(hasReadyEndpoint([], ep([{ notReadyAddresses: [{ ip: '10.0.0.1' }] }])), false);
    assert.equal(hasReadyEndpoint([], undefined), false);
  });
});

describe('the backend gate', () => {
  test('one time limit for the whole restore: after it, a dead backend is checked once, not waited for again', async () => {
    const probes: string[] = [];
    const gate = new BackendGate(
      (s) => {
        probes.push(s.name);
        return Promise.resolve(s.name === 'live');
      },
      { timeoutMs: 0, pollMs: 1 },
    );
    assert.deepEqual(await gate.wait([{ namespace: 'app', name: 'dead' }]), [{ namespace: 'app', name: 'dead' }]);
    assert.deepEqual(await gate.wait([{ namespace: 'app', name: 'live' }]), []);
    assert.deepEqual(await gate.wait([{ namespace: 'app', name: 'live' }]), []);
    assert.deepEqual(probes, ['dead', 'live'], 'a ready Service is not probed again');
  });

  test('a backend that becomes ready while the gate waits lets the item through without a warning', async () => {
    let calls = 0;
    const gate = new BackendGate(() => Promise.resolve(++calls >= 3), { timeoutMs: 60_000, pollMs: 1 });
    assert.deepEqual(await gate.wait([{ namespace: 'app', name: 'hooks' }]), []);
    assert.equal(calls, 3);
  });

  test('the restore writes each webhook after its backend is ready, and the rest with a warning naming each', async () => {
    const plan = await planFor({ items: backup, input: { discovery } });
    const cluster = new FakeRestoreCluster();
    const endpoints = (name: string): void => {
      cluster.objects.set(
        FakeRestoreCluster.key({ group: '', version: 'v1', resource: 'endpoints' }, name, 'app'),
        obj('v1', 'Endpoints', name, 'app', { subsets: [{ addresses: [{ ip: '10.0.0.9' }] }] }),
      );
    };
    endpoints('hooks');
    const log = await OperationLog.create({ restore: 'test' });
    try {
      const out = await applyRestorePlan(plan, { cluster, log, backendTimeoutMs: 0, pollIntervalMs: 1 });
      const creates = cluster.calls.filter((c) => c.startsWith('create '));
      assert.deepEqual(creates.slice(-3), [
        'create apiregistration.k8s.io/apiservices//v1.metrics.example.com',
        'create admissionregistration.k8s.io/mutatingwebhookconfigurations//external',
        'create admissionregistration.k8s.io/validatingwebhookconfigurations//policy',
      ]);
      assert.deepEqual(log.results.toJSON().warnings.cluster, [
        'APIService v1.metrics.example.com is restored although its backend Service app/metrics had no ready endpoint after 0 s; until it has one, requests the API server sends it fail',
        'ValidatingWebhookConfiguration policy is restored although its backend Service other/audit had no ready endpoint after 0 s; until it has one, requests the API server sends it fail',
      ]);
      assert.equal(out.counts.created, 7);
      await out.resourceList.dispose();
    } finally {
      await log.dispose();
    }
  });
});
