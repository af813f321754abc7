// exclusive-test: creates and deletes an APIService, a webhook and CRDs other files' backups may be listing
/**
 * Issue 13 against the real control plane: a namespace backup of an operator-style
 * application takes what Velero's rules take, names every cluster-scoped object the
 * application uses that those rules leave out, and with the opt-in takes them, so that the
 * application comes back whole after its namespace and cluster-scoped objects are lost.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Kinds, resourceRef, type Backup, type BackupSpec } from '../../../src/api/index.ts';
import { INCLUDE_APP_CLUSTER_RESOURCES_ANNOTATION } from '../../../src/backup/plan/app-cluster-resources.ts';
import type { KubeObject } from '../../../src/kube/index.ts';
import type { ResultsFile } from '../../../src/results/results.ts';
import { archiveEntries, itemPaths } from '../../helpers/archive-entries.ts';
import { adminCluster, core, createNamespace, deleteNamespaceAndWait, waitFor } from '../../helpers/cluster.ts';
import { recordCreations, type Creation } from '../../helpers/creation-order.ts';
import { uniqueName } from '../../helpers/names.ts';
import {
  API_SERVICES,
  createOperatorApp,
  CRDS,
  rbac,
  VALIDATING_WEBHOOKS,
  type AppObject,
  type OperatorApp,
} from '../../helpers/operator-app.ts';
import { restorableView, restoreAndWait } from '../../helpers/restore-server.ts';
import { defaultStore, startTestServer, type TestServer } from '../../helpers/skiff-server.ts';
import { skiff } from '../cli/run-skiff.ts';

const cluster = adminCluster();
const ns = uniqueName('app13');
const unrelatedNs = `${ns}-unrelated`;
let server: TestServer;
let app: OperatorApp;

interface Done {
  backup: Backup;
  items: string[];
  warnings: string[];
}

async function backup(spec: BackupSpec, annotations: Record<string, string> = {}): Promise<Done> {
  const name = uniqueName('b');
  await cluster.create(resourceRef(Kinds.Backup), {
    apiVersion: 'velero.io/v1',
    kind: 'Backup',
    metadata: { name, namespace: server.namespace, annotations },
    spec,
  });
  const done = await waitFor(`backup ${name} to finish`, async () => {
    const b = (await cluster.get(resourceRef(Kinds.Backup), name, server.namespace)) as Backup;
    return ['Completed', 'PartiallyFailed', 'Failed', 'FailedValidation'].includes(b.status?.phase ?? '')
      ? b
      : undefined;
  });
  if (done.status?.phase === 'FailedValidation') return { backup: done, items: [], warnings: [] };
  const store = await defaultStore(server);
  const items = itemPaths(await archiveEntries(await store.getBackupContents(name)));
  const results = (await store.getBackupFile(name, 'results')) as ResultsFile;
  const w = results.warnings;
  const warnings = [...(w.velero ?? []), ...(w.cluster ?? []), ...Object.values(w.namespaces ?? {}).flat()];
  return { backup: done, items, warnings };
}

const path = (o: AppObject): string =>
  `resources/${o.groupResource}/${o.namespace ? `namespaces/${o.namespace}` : 'cluster'}/${o.name}.json`;
const clusterItems = (items: string[]): string[] => items.filter((p) => /^resources\/[^/]+\/cluster\//.test(p)).sort();
const groupWarning = (): RegExp =>
  new RegExp(`^API group ${app.metricsGroupVersion.replaceAll('.', '\\.')} is unavailable \\(its APIService`);

describe('application cluster resources (issue 13)', { concurrency: false }, () => {
  before(async () => {
    // Its APIService never gets a backend under kwok: the restore waits for one this long, then warns.
    server = await startTestServer(cluster, { restoreBackendTimeout: '5s' });
    app = await createOperatorApp(cluster, ns);
    await createNamespace(cluster, unrelatedNs);
    await cluster.create(core('configmaps'), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'plain', namespace: unrelatedNs },
      data: { a: 'b' },
    });
  });

  after(async () => {
    // Always, and the APIService first: an unavailable one blocks namespace deletion and makes other backups warn.
    await app?.remove();
    await cluster.delete(core('namespaces'), unrelatedNs).catch(() => undefined);
    await server?.stop();
  });

  test("the default backup takes exactly what Velero's rules take, and names each left-out object with its reason", async () => {
    const { backup: b, items, warnings } = await backup({ includedNamespaces: [ns] });
    // The unavailable APIService costs a warning, never PartiallyFailed (Velero completes).
    assert.equal(b.status?.phase, 'Completed', JSON.stringify(b.status));
    const byName = (gr: string, name: string): string => `resources/${gr}/cluster/${name}.json`;
    // The CRDs of the two kinds that have objects; the other three are the left-out ones.
    const [alphas, bravos] = app.objects.filter((o) => o.ref === CRDS).map(path);
    assert.deepEqual(
      clusterItems(items),
      [
        byName('clusterrolebindings.rbac.authorization.k8s.io', `${ns}-operator`),
        byName('clusterroles.rbac.authorization.k8s.io', `${ns}-admin`),
        alphas ?? '',
        bravos ?? '',
        byName('namespaces', ns),
      ].sort(),
      'the namespace, the CRDs of the custom resources that exist, the SA binding and its role: nothing more',
    );
    for (const o of app.objects.filter((x) => x.namespace)) assert.ok(items.includes(path(o)), `missing ${path(o)}`);
    for (const o of app.leftOut) {
      const named = warnings.filter((w) => w.startsWith(`${o.groupResource} ${o.name} is left out`));
      assert.equal(named.length, 1, `one warning for ${o.groupResource} ${o.name}: ${warnings.join('\n')}`);
      assert.match(named[0] ?? '', new RegExp(`\\(rule ${o.rule}\\)`));
      assert.match(named[0] ?? '', /take it with --include-app-cluster-resources/);
    }
    assert.ok(!warnings.some((w) => w.includes(app.otherInstance.name)), 'the object of another instance is not named');
    assert.equal(warnings.filter((w) => groupWarning().test(w)).length, 1, warnings.join('\n'));
    assert.equal(warnings.length, app.leftOut.length + 1, warnings.join('\n'));
    assert.equal(b.status?.warnings, warnings.length);
  });

  // The reason names the first object seen that uses it: the Deployment or its ReplicaSet, whichever was listed first.
  test('the dry run lists them as left out with the reason, and --explain names the rule', async () => {
    const dryRun = (...more: string[]): ReturnType<typeof skiff> =>
      skiff(['backup', 'create', 'preview', '-n', server.namespace, '--include-namespaces', ns, '--dry-run', ...more]);
    const json = await dryRun('-o', 'json');
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout) as { appLeftOut: { ref: string; rule: string; reason: string }[] };
    assert.deepEqual(
      report.appLeftOut.map((a) => `${a.ref} ${a.rule}`).sort(),
      app.leftOut.map((o) => `${o.groupResource}/${o.name} ${o.rule}`).sort(),
    );
    const pc = app.leftOut.find((o) => o.rule === 'priority-class');
    const text = await dryRun('--explain', `priorityclasses/${pc?.name ?? ''}`);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /Left out, but the application uses them/);
    assert.match(
      text.stdout,
      new RegExp(
        `priorityclasses\\.scheduling\\.k8s\\.io/${pc?.name ?? ''}: left out by Velero's rules, but the application uses it: (deployments|replicasets)\\.apps ${ns}/operator\\S* names it in priorityClassName \\(rule priority-class\\)`,
      ),
    );
  });

  test('a backup of an unrelated namespace finds none of them', async () => {
    const { backup: b, items, warnings } = await backup({ includedNamespaces: [unrelatedNs] });
    assert.equal(b.status?.phase, 'Completed', JSON.stringify(b.status));
    assert.ok(items.includes(`resources/configmaps/namespaces/${unrelatedNs}/plain.json`));
    assert.deepEqual(
      warnings.filter((w) => !groupWarning().test(w)),
      [],
      'only the unavailable API group is mentioned',
    );
    assert.deepEqual(clusterItems(items), [`resources/namespaces/cluster/${unrelatedNs}.json`]);
  });

  test('a bad value of the annotation is refused, naming it', async () => {
    const { backup: b } = await backup(
      { includedNamespaces: [ns] },
      { [INCLUDE_APP_CLUSTER_RESOURCES_ANNOTATION]: 'yes' },
    );
    assert.equal(b.status?.phase, 'FailedValidation');
    assert.match(
      (b.status?.validationErrors ?? []).join('\n'),
      /annotation skiff\.io\/include-app-cluster-resources: "yes" is not valid/,
    );
  });

  test('with the opt-in, a lost application comes back whole: every object identical', async () => {
    const {
      backup: b,
      items,
      warnings,
    } = await backup({ includedNamespaces: [ns] }, { [INCLUDE_APP_CLUSTER_RESOURCES_ANNOTATION]: 'true' });
    assert.equal(b.status?.phase, 'Completed', JSON.stringify(b.status));
    // The unavailable API group is the one warning left: the rest of the application is in.
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0] ?? '', groupWarning());
    for (const o of app.objects) assert.ok(items.includes(path(o)), `missing ${path(o)}`);
    assert.ok(!items.includes(path(app.otherInstance)), 'the ClusterRole of another instance stays out');

    const before = new Map<AppObject, KubeObject>();
    for (const o of app.objects) before.set(o, await cluster.get(o.ref, o.name, o.namespace));

    // The disaster: the APIService first (it blocks namespace deletion), then everything else.
    await cluster.delete(API_SERVICES, `v1beta1.${app.metricsGroupVersion.split('/')[0] ?? ''}`);
    await cluster.delete(VALIDATING_WEBHOOKS, `${ns}-validate`);
    await deleteNamespaceAndWait(cluster, ns);
    for (const o of app.objects.filter((x) => !x.namespace && x.groupResource !== 'namespaces'))
      await cluster.delete(o.ref, o.name);
    await waitFor('the CRDs to be gone', async () => {
      for (const o of app.objects.filter((x) => x.ref === CRDS)) if (await cluster.find(CRDS, o.name)) return false;
      return true;
    });

    const recorder = await recordCreations(cluster, [
      core('services'),
      { group: 'apps', version: 'v1', resource: 'deployments' },
      CRDS,
      rbac('clusterroles'),
      API_SERVICES,
      VALIDATING_WEBHOOKS,
    ]);
    let order: Creation[];
    try {
      const restore = await restoreAndWait(cluster, server.namespace, uniqueName('r'), {
        backupName: b.metadata.name ?? '',
      });
      assert.equal(restore.status?.phase, 'Completed', JSON.stringify(restore.status));
    } finally {
      order = (await recorder.stop()).filter(
        (c) => c.namespace === ns || c.name.includes(ns) || c.name.includes(app.group),
      );
    }
    // What calls a backend is restored after it, and the webhook last of all (issue 13).
    const names = order.map((c) => `${c.resource}/${c.name}`);
    assert.equal(order.at(-1)?.resource, 'validatingwebhookconfigurations', `restore order: ${names.join(', ')}`);
    // The aggregator makes a local APIService for each CRD group itself: the one restored is the backed one.
    const backed = `v1beta1.${app.metricsGroupVersion.split('/')[0] ?? ''}`;
    const apiService = order.findIndex((c) => c.resource === 'apiservices' && c.name === backed);
    assert.ok(apiService >= 0, `the APIService is restored: ${names.join(', ')}`);
    for (const [i, c] of order.entries()) {
      if (c.resource === 'services' || c.resource === 'deployments') {
        assert.ok(i < apiService, `${c.resource}/${c.name} before the APIService: ${names.join(', ')}`);
      }
    }

    for (const [o, was] of before) {
      // The aggregated ClusterRole's rules are filled in by the controller once its parts are back.
      const live = await waitFor(
        `${o.groupResource} ${o.name} back identical`,
        async () => {
          const now = await cluster.find(o.ref, o.name, o.namespace);
          if (!now) return undefined;
          const same = JSON.stringify(comparable(now)) === JSON.stringify(comparable(was));
          return same ? now : undefined;
        },
        30_000,
      ).catch(async () => cluster.find(o.ref, o.name, o.namespace));
      assert.ok(live, `${o.groupResource} ${o.name} is back`);
      assert.deepEqual(comparable(live), comparable(was), `${o.groupResource} ${o.name}`);
    }
  });
});

/** What a restore reproduces, plus the labels and annotations restore adds left out; keys sorted. */
function comparable(obj: KubeObject): unknown {
  const view = restorableView(obj);
  return JSON.parse(JSON.stringify(view, (_k, v: unknown) => sortKeys(v)));
}

function sortKeys(v: unknown): unknown {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
  return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)));
}
