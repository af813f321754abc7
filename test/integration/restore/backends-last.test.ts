// exclusive-test: restores webhooks and APIServices, which can refuse or hide other files' objects
/**
 * Webhook configurations and APIServices against the real API server: restored after every
 * other object, each once the Service it calls has a ready endpoint; with a backend that never
 * gets one, restored anyway with a warning naming both.
 *
 * Safety, as the cluster is shared by the tests: every webhook has failurePolicy Ignore, a 1 s
 * timeout, and rules for a resource nothing serves, in this test's namespace only; the
 * APIService has a group of its own and is deleted first (an unavailable APIService blocks the
 * deletion of every namespace), in an `after` that always runs.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Restore, RestoreSpec } from '../../../src/api/index.ts';
import type { KubeObject, ResourceRef } from '../../../src/kube/index.ts';
import {
  formatRestorePlan,
  planRestoreForCluster,
  runRestore,
  type RestoreRunDeps,
} from '../../../src/restore/index.ts';
import { BackupStore } from '../../../src/storage/index.ts';
import { FilesystemObjectStore } from '../../../src/storage/providers/filesystem/index.ts';
import { systemClock } from '../../../src/util/clock.ts';
import { adminCluster, apps, core, createNamespace, deleteNamespaceAndWait, waitFor } from '../../helpers/cluster.ts';
import { uniqueName } from '../../helpers/names.ts';
import { backendReadyLine, restoreLogLines, writtenOrder } from '../../helpers/restore-log.ts';
import { restorableView } from '../../helpers/restore-server.ts';
import { backupTarball } from '../../helpers/restore-source.ts';

const cluster = adminCluster();
const ns = uniqueName('app13r');
const mappedNs = `${ns}-m`;
const group = `${ns}.app13r.skiff.test`;

const VWC: ResourceRef = {
  group: 'admissionregistration.k8s.io',
  version: 'v1',
  resource: 'validatingwebhookconfigurations',
};
const MWC: ResourceRef = {
  group: 'admissionregistration.k8s.io',
  version: 'v1',
  resource: 'mutatingwebhookconfigurations',
};
const APISERVICES: ResourceRef = { group: 'apiregistration.k8s.io', version: 'v1', resource: 'apiservices' };

const names = {
  validating: `${ns}-validating`,
  mutating: `${ns}-mutating`,
  apiService: `v1.${group}`,
  idle: `${ns}-idle`,
  url: `${ns}-url`,
};

/** One webhook that can never be called: its rules name a resource no API serves, in this namespace only. */
function webhook(name: string, clientConfig: Record<string, unknown>): Record<string, unknown> {
  return {
    name: `${name}.${group}`,
    clientConfig,
    rules: [
      { apiGroups: [group], apiVersions: ['v1'], resources: ['nothings'], operations: ['CREATE'], scope: 'Namespaced' },
    ],
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
    failurePolicy: 'Ignore',
    timeoutSeconds: 1,
    sideEffects: 'None',
    admissionReviewVersions: ['v1'],
  };
}

/** A Validating or MutatingWebhookConfiguration holding one such webhook. */
function webhookConfiguration(ref: ResourceRef, name: string, clientConfig: Record<string, unknown>): Fixture {
  const kind = ref === VWC ? 'ValidatingWebhookConfiguration' : 'MutatingWebhookConfiguration';
  return {
    ref,
    object: {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind,
      metadata: { name },
      webhooks: [webhook(name, clientConfig)],
    },
  };
}

const toService = (service: string): Record<string, unknown> => ({
  service: { namespace: ns, name: service, path: '/check', port: 443 },
});

interface Fixture {
  ref: ResourceRef;
  object: KubeObject;
}

const namespaced: Fixture[] = [
  {
    ref: core('configmaps'),
    object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: ns }, data: { a: 'b' } },
  },
  {
    ref: apps('deployments'),
    object: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'hooks', namespace: ns, labels: { app: 'hooks' } },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'hooks' } },
        template: {
          metadata: { labels: { app: 'hooks' } },
          spec: {
            containers: [{ name: 'hooks', image: 'registry.example/hooks:1', ports: [{ containerPort: 8443 }] }],
          },
        },
      },
    },
  },
  {
    ref: core('services'),
    object: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'hooks', namespace: ns },
      spec: { selector: { app: 'hooks' }, ports: [{ port: 443, targetPort: 8443 }] },
    },
  },
  {
    ref: core('services'),
    object: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'idle', namespace: ns },
      spec: { selector: { app: 'nobody' }, ports: [{ port: 443, targetPort: 8443 }] },
    },
  },
];

/** Backup A: a live backend. */
const liveBackends: Fixture[] = [
  webhookConfiguration(VWC, names.validating, toService('hooks')),
  webhookConfiguration(MWC, names.mutating, toService('hooks')),
  {
    ref: APISERVICES,
    object: {
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: { name: names.apiService },
      spec: {
        group,
        version: 'v1',
        service: { namespace: ns, name: 'hooks', port: 443 },
        insecureSkipTLSVerify: true,
        groupPriorityMinimum: 100,
        versionPriority: 10,
      },
    },
  },
];

/** Backup B: a backend that never gets an endpoint, and a webhook called by URL. */
const deadBackends: Fixture[] = [
  webhookConfiguration(VWC, names.idle, toService('idle')),
  webhookConfiguration(MWC, names.url, { url: 'https://127.0.0.1:1/never' }),
];

const clusterScoped = [...liveBackends, ...deadBackends];

/** The objects as the API server returned them: what a backup holds. */
const backedUp = new Map<string, KubeObject>();
const keyOf = (f: Fixture): string => `${f.ref.resource}/${f.object.metadata.name ?? ''}`;
let nsObject: KubeObject;
let root = '';
let deps: RestoreRunDeps;

/** Deletes the cluster-scoped objects, the APIService first; ignores those already gone. */
async function deleteClusterScoped(): Promise<void> {
  for (const f of [...clusterScoped].sort((a, b) => Number(b.ref === APISERVICES) - Number(a.ref === APISERVICES))) {
    await cluster.delete(f.ref, f.object.metadata.name ?? '').catch(() => undefined);
  }
}

async function deleteAll(): Promise<void> {
  await deleteClusterScoped();
  for (const n of [ns, mappedNs]) {
    if (await cluster.find(core('namespaces'), n)) await deleteNamespaceAndWait(cluster, n);
  }
}

/** A backup of the namespace with these cluster-scoped objects, as the server returned each. */
function tarball(cs: Fixture[]): Promise<Buffer> {
  const objects = [
    { ref: core('namespaces'), object: nsObject },
    ...[...namespaced, ...cs].map((f) => ({ ref: f.ref, object: backedUp.get(keyOf(f)) as KubeObject })),
  ];
  return backupTarball({
    objects: objects.map((o) => ({ ...o, namespaced: o.object.metadata.namespace !== undefined })),
  });
}

function aRestore(name: string, backupName: string, spec: Partial<RestoreSpec> = {}): Restore {
  return {
    apiVersion: 'velero.io/v1',
    kind: 'Restore',
    metadata: { name, namespace: 'velero' },
    spec: { backupName, ...spec },
  };
}

describe('webhooks and APIServices are restored last, after their backends', { concurrency: false }, () => {
  before(async () => {
    await createNamespace(cluster, ns);
    for (const f of namespaced) await cluster.create(f.ref, f.object);
    await waitFor('the hooks Deployment to be ready', async () => {
      const d = await cluster.get(apps('deployments'), 'hooks', ns);
      return (d.status as { readyReplicas?: number } | undefined)?.readyReplicas === 1;
    });
    try {
      // Created only to be read back as the server stores them, then deleted at once.
      for (const f of clusterScoped) await cluster.create(f.ref, f.object);
      for (const f of [...namespaced, ...clusterScoped]) {
        backedUp.set(keyOf(f), await cluster.get(f.ref, f.object.metadata.name ?? '', f.object.metadata.namespace));
      }
    } finally {
      await deleteClusterScoped();
    }
    nsObject = await cluster.get(core('namespaces'), ns);
    root = await mkdtemp(join(tmpdir(), 'skiff-backends-last-'));
    await mkdir(join(root, 'bucket'));
    const store = new BackupStore(new FilesystemObjectStore(root, 'bucket'), 'prefix');
    await store.putBackupContents('live', await tarball(liveBackends));
    await store.putBackupContents('dead', await tarball(deadBackends));
    deps = { cluster, store, clock: systemClock, tempDir: root, concurrency: 4, pollIntervalMs: 250 };
    await deleteAll();
  });

  after(async () => {
    await deleteAll();
    await rm(root, { recursive: true, force: true });
  });

  test('the dry run puts them in the last tiers, each with the Service it waits for', async () => {
    const text = formatRestorePlan(await planRestoreForCluster(deps, aRestore('dry', 'live')));
    const tiers = text.split('\n').filter((l) => l.startsWith('Tier '));
    assert.deepEqual(tiers.slice(-3), [
      `Tier ${tiers.length - 2}: apiservices.apiregistration.k8s.io (each waits for its backend Services to have a ready endpoint)`,
      `Tier ${tiers.length - 1}: mutatingwebhookconfigurations.admissionregistration.k8s.io (each waits for its backend Services to have a ready endpoint)`,
      `Tier ${tiers.length}: validatingwebhookconfigurations.admissionregistration.k8s.io (each waits for its backend Services to have a ready endpoint)`,
    ]);
    assert.match(
      text,
      new RegExp(`create {3}APIService ${names.apiService}\\n {13}waits for a ready endpoint of Service ${ns}/hooks`),
    );
  });

  test('restored after every other object, once the backend is ready; everything comes back identical', async () => {
    try {
      const outcome = await runRestore(deps, aRestore('live-1', 'live'));
      assert.equal(outcome.phase, 'Completed', JSON.stringify(outcome));
      assert.equal(outcome.warnings, 0, JSON.stringify(await deps.store.getRestoreFile('live-1', 'results')));

      // The restore log, as `skiff restore logs` shows it: the order in which objects were written.
      const log = await restoreLogLines(deps.store, 'live-1');
      const written = writtenOrder(log);
      const last = [
        `restored APIService ${names.apiService}`,
        `restored MutatingWebhookConfiguration ${names.mutating}`,
        `restored ValidatingWebhookConfiguration ${names.validating}`,
      ];
      assert.equal(written.length, namespaced.length + 1 + last.length, written.join('\n'));
      assert.deepEqual(written.slice(-3), last, 'the three are the last objects written, in this order');
      for (const item of last) {
        const what = item.replace('restored ', '');
        const ready = backendReadyLine(log, what);
        assert.match(log[ready] ?? '', new RegExp(`backend Service ${ns}/hooks has a ready endpoint`));
        assert.ok(
          ready >= 0 && ready < log.findIndex((l) => l.includes(`msg="${item}"`)),
          `${what} waited for its backend`,
        );
      }

      for (const f of [...namespaced, ...liveBackends]) {
        const live = await cluster.get(f.ref, f.object.metadata.name ?? '', f.object.metadata.namespace);
        assert.deepEqual(restorableView(live), restorableView(backedUp.get(keyOf(f)) as KubeObject), keyOf(f));
        assert.equal(live.metadata.labels?.['velero.io/restore-name'], 'live-1');
      }
    } finally {
      await deleteAll();
    }
  });

  test('a backend that never gets an endpoint: restored at the end anyway, with a warning naming both', async () => {
    try {
      const outcome = await runRestore(
        { ...deps, backendTimeoutMs: 3000 },
        aRestore('dead-1', 'dead', { namespaceMapping: { [ns]: mappedNs } }),
      );
      assert.equal(outcome.phase, 'Completed', JSON.stringify(outcome));
      const results = (await deps.store.getRestoreFile('dead-1', 'results')) as {
        warnings: { cluster?: string[] };
      };
      assert.deepEqual(results.warnings.cluster, [
        `ValidatingWebhookConfiguration ${names.idle} is restored although its backend Service ${mappedNs}/idle had no ready endpoint after 3 s; until it has one, requests the API server sends it fail`,
      ]);
      assert.equal(outcome.warnings, 1, 'the webhook called by URL does not wait and is not warned about');

      const idle = await cluster.get(VWC, names.idle);
      const hook = (idle.webhooks as { clientConfig: { service: { namespace: string } } }[])[0];
      assert.equal(
        hook?.clientConfig.service.namespace,
        mappedNs,
        'the webhook calls the Service where it was restored',
      );
      const url = await cluster.get(MWC, names.url);
      assert.deepEqual(
        restorableView(url),
        restorableView(backedUp.get(`mutatingwebhookconfigurations/${names.url}`) as KubeObject),
      );
      assert.deepEqual(writtenOrder(await restoreLogLines(deps.store, 'dead-1')).slice(-2), [
        `restored MutatingWebhookConfiguration ${names.url}`,
        `restored ValidatingWebhookConfiguration ${names.idle}`,
      ]);
    } finally {
      await deleteAll();
    }
  });
});
