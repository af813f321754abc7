/**
 * Resource modifiers end to end (reference §4.8): a Restore whose `spec.resourceModifier`
 * ConfigMap changes a ConfigMap's value (JSON patch) and labels Deployments (strategic merge
 * patch) through a running server; `skiff restore create --dry-run` shows the change and
 * creates nothing; a malformed rule or a missing ConfigMap is FailedValidation naming it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { KubeObject } from '../../../src/kube/index.ts';
import { readAll } from '../../../src/storage/object-store.ts';
import { adminCluster, apps, core, createNamespace } from '../../helpers/cluster.ts';
import { uniqueName } from '../../helpers/names.ts';
import { restoreAndWait } from '../../helpers/restore-server.ts';
import { backupAndWait, defaultStore, startTestServer, type TestServer } from '../../helpers/skiff-server.ts';
import { skiff } from '../cli/run-skiff.ts';

const cluster = adminCluster();

const RULES = `version: v1
resourceModifierRules:
- conditions:
    groupResource: configmaps
    resourceNameRegex: "^settings$"
  patches:
  - operation: replace
    path: /data/mode
    value: prod
- conditions:
    groupResource: deployments.apps
  strategicPatches:
  - patchData: |
      metadata:
        labels:
          tier: frontend
      spec:
        template:
          spec:
            containers:
            - name: web
              image: registry.example/nginx:2
`;

const MALFORMED = `version: v1
resourceModifierRules:
- conditions:
    groupResource: configmaps
  patches:
  - operation: replace
    path: /data/mode
    value: prod
- conditions:
    groupResource: deployments.apps
  patches:
  - operation: append
    path: /metadata/labels/tier
    value: frontend
`;

function configMap(name: string, namespace: string, data: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data };
}

describe('resource modifiers', { concurrency: false }, () => {
  let server: TestServer;
  const appNs = uniqueName('rm-app');
  const backupName = uniqueName('rm-bk');
  const mapped: string[] = [];

  before(async () => {
    server = await startTestServer(cluster);
    await createNamespace(cluster, appNs);
    await cluster.create(core('configmaps'), configMap('settings', appNs, { mode: 'dev', region: 'eu' }));
    await cluster.create(core('configmaps'), configMap('untouched', appNs, { mode: 'dev' }));
    await cluster.create(apps('deployments'), {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: appNs, labels: { app: 'web' } },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            containers: [
              { name: 'web', image: 'registry.example/nginx:1' },
              { name: 'sidecar', image: 'registry.example/proxy:1' },
            ],
          },
        },
      },
    });
    const backup = await backupAndWait(cluster, server.namespace, backupName, { includedNamespaces: [appNs] });
    assert.equal(backup.status?.phase, 'Completed', JSON.stringify(backup.status));
    await cluster.create(core('configmaps'), configMap('mods', server.namespace, { 'rules.yaml': RULES }));
    await cluster.create(core('configmaps'), configMap('bad-mods', server.namespace, { 'rules.yaml': MALFORMED }));
  });

  after(async () => {
    await server.stop();
    for (const ns of [appNs, ...mapped]) await cluster.delete(core('namespaces'), ns).catch(() => undefined);
  });

  async function restoreNames(): Promise<string[]> {
    const list = await cluster.client.request<{ items: KubeObject[] }>({
      method: 'GET',
      path: `/apis/velero.io/v1/namespaces/${server.namespace}/restores`,
    });
    return list.items.map((r) => r.metadata.name ?? '');
  }

  test('the dry run shows the modified fields and the rules, and creates nothing', async () => {
    const target = `${appNs}-dry`;
    const r = await skiff([
      ...['-n', server.namespace, 'restore', 'create', 'rm-dry', '--from-backup', backupName],
      ...['--namespace-mappings', `${appNs}:${target}`, '--resource-modifier-configmap', 'mods', '--dry-run'],
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const source = `ConfigMap ${server.namespace}/mods`;
    assert.ok(
      r.stdout.includes(`rewrite /data/mode: "dev" -> "prod" (resourceModifierRules[0] of ${source})`),
      r.stdout,
    );
    assert.ok(
      r.stdout.includes(
        `rewrite /metadata/labels/tier: "(none)" -> "frontend" (resourceModifierRules[1] of ${source})`,
      ),
      r.stdout,
    );
    assert.ok(
      r.stdout.includes(
        `rewrite /spec/template/spec/containers/0/image: "registry.example/nginx:1" -> "registry.example/nginx:2"`,
      ),
      r.stdout,
    );
    assert.equal(await cluster.find(core('namespaces'), target), undefined);
    assert.deepEqual(await restoreNames(), []);
  });

  test('the restored objects carry the changes; the restore log names the rule and object', async () => {
    const target = `${appNs}-copy`;
    mapped.push(target);
    const restore = await restoreAndWait(cluster, server.namespace, 'rm-apply', {
      backupName,
      namespaceMapping: { [appNs]: target },
      resourceModifier: { kind: 'configmap', name: 'mods' },
    });
    assert.equal(restore.status?.phase, 'Completed', JSON.stringify(restore.status));
    assert.deepEqual((await cluster.get(core('configmaps'), 'settings', target)).data, { mode: 'prod', region: 'eu' });
    assert.deepEqual((await cluster.get(core('configmaps'), 'untouched', target)).data, { mode: 'dev' });
    const web = await cluster.get(apps('deployments'), 'web', target);
    assert.equal(web.metadata.labels?.tier, 'frontend');
    assert.equal(web.metadata.labels?.app, 'web');
    assert.equal(web.metadata.labels?.['velero.io/restore-name'], 'rm-apply');
    const containers = (web.spec as { template: { spec: { containers: { name: string; image: string }[] } } }).template
      .spec.containers;
    // Strategic merge: the web container is patched by name, the sidecar stays.
    assert.deepEqual(
      containers.map((c) => [c.name, c.image]),
      [
        ['web', 'registry.example/nginx:2'],
        ['sidecar', 'registry.example/proxy:1'],
      ],
    );
    const store = await defaultStore(server);
    const log = (await readAll(await store.getRestoreLog('rm-apply'))).toString('utf8');
    assert.match(
      log,
      new RegExp(
        `resource modifier resourceModifierRules\\[0\\] of ConfigMap \\S+/mods modified ConfigMap ${appNs}/settings`,
      ),
    );
    assert.match(
      log,
      new RegExp(
        `resource modifier resourceModifierRules\\[1\\] of ConfigMap \\S+/mods modified Deployment ${appNs}/web`,
      ),
    );
  });

  test('a malformed rule is FailedValidation naming the rule; the dry run prints the same error', async () => {
    const restore = await restoreAndWait(cluster, server.namespace, 'rm-bad', {
      backupName,
      namespaceMapping: { [appNs]: `${appNs}-bad` },
      resourceModifier: { kind: 'configmap', name: 'bad-mods' },
    });
    assert.equal(restore.status?.phase, 'FailedValidation', JSON.stringify(restore.status));
    const expected = `resource modifiers in ConfigMap ${server.namespace}/bad-mods: resourceModifierRules[1].patches[0].operation: "append" (use one of add, remove, replace, move, copy, test)`;
    assert.deepEqual(restore.status?.validationErrors, [expected]);
    assert.equal(await cluster.find(core('namespaces'), `${appNs}-bad`), undefined);

    const dry = await skiff([
      ...['-n', server.namespace, 'restore', 'create', 'rm-bad-dry', '--from-backup', backupName],
      ...['--resource-modifier-configmap', 'bad-mods', '--dry-run'],
    ]);
    assert.equal(dry.code, 1, dry.stdout + dry.stderr);
    assert.ok(dry.stdout.includes(expected), dry.stdout + dry.stderr);
  });

  test('a ConfigMap that does not exist is FailedValidation naming it', async () => {
    const restore = await restoreAndWait(cluster, server.namespace, 'rm-missing', {
      backupName,
      resourceModifier: { kind: 'configmap', name: 'no-such-mods' },
    });
    assert.equal(restore.status?.phase, 'FailedValidation', JSON.stringify(restore.status));
    assert.deepEqual(restore.status?.validationErrors, [
      `resourceModifier: ConfigMap ${server.namespace}/no-such-mods not found`,
    ]);
  });
});
