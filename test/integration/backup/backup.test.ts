/**
 * Backups against the real cluster and MinIO, through the real server: for each filter
 * kind the tarball holds exactly the expected entries, in Velero's paths.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { BackupSpec } from '../../../src/api/index.ts';
import { adminCluster, core, createNamespace } from '../../helpers/cluster.ts';
import { archiveEntries, itemPaths } from '../../helpers/archive-entries.ts';
import { uniqueName } from '../../helpers/names.ts';
import { createRichNamespace, CRD_GROUP } from '../../helpers/rich-namespace.ts';
import { backupAndWait, defaultStore, startTestServer, type TestServer } from '../../helpers/skiff-server.ts';

const cluster = adminCluster();
const ns = uniqueName('app');
const plural = `widgets${ns.slice(-6)}`;
let server: TestServer;
let clusterRoleName = '';

async function backupItems(spec: BackupSpec): Promise<string[]> {
  const name = uniqueName('b');
  const backup = await backupAndWait(cluster, server.namespace, name, spec);
  assert.equal(backup.status?.phase, 'Completed', JSON.stringify(backup.status));
  const store = await defaultStore(server);
  return itemPaths(await archiveEntries(await store.getBackupContents(name)));
}

const nsPath = (gr: string, name: string): string => `resources/${gr}/namespaces/${ns}/${name}.json`;
const clusterPath = (gr: string, name: string): string => `resources/${gr}/cluster/${name}.json`;

describe('backup filters', { concurrency: false }, () => {
  before(async () => {
    server = await startTestServer(cluster);
    ({ clusterRoleName } = await createRichNamespace(cluster, ns, plural));
  });
  after(async () => {
    await cluster.delete(core('namespaces'), ns);
    await server.stop();
  });

  test('a namespace backup holds its objects, their PVs, the CRD and the RBAC Velero adds', async () => {
    const items = await backupItems({ includedNamespaces: [ns] });
    for (const p of [
      nsPath('deployments.apps', 'web'),
      nsPath('statefulsets.apps', 'db'),
      nsPath('services', 'web'),
      nsPath('services', 'db'),
      nsPath('configmaps', 'web-config'),
      nsPath('secrets', 'web-secret'),
      nsPath('persistentvolumeclaims', 'web-data'),
      nsPath('persistentvolumeclaims', 'pgdata-db-0'),
      nsPath('serviceaccounts', 'web-sa'),
      nsPath('roles.rbac.authorization.k8s.io', 'web-role'),
      nsPath('rolebindings.rbac.authorization.k8s.io', 'web-rb'),
      nsPath(`${plural}.${CRD_GROUP}`, 'first'),
      nsPath(`${plural}.${CRD_GROUP}`, 'second'),
      clusterPath('namespaces', ns),
      clusterPath('customresourcedefinitions.apiextensions.k8s.io', `${plural}.${CRD_GROUP}`),
      clusterPath('clusterrolebindings.rbac.authorization.k8s.io', `${ns}-reader`),
      clusterPath('clusterroles.rbac.authorization.k8s.io', clusterRoleName),
    ]) {
      assert.ok(items.includes(p), `missing ${p}`);
    }
    const pvs = items.filter((p) => p.startsWith('resources/persistentvolumes/cluster/'));
    assert.equal(pvs.length, 2, 'both bound PVs come in through their PVCs');
    assert.ok(items.some((p) => p.startsWith(`resources/pods/namespaces/${ns}/web-`)));
    assert.ok(!items.some((p) => p.includes('/namespaces/kube-system/')), 'other namespaces stay out');
    assert.ok(!items.some((p) => p.startsWith('resources/nodes/')), 'unrelated cluster-scoped objects stay out');
    assert.ok(
      !items.some((p) => p.startsWith('resources/execs.kwok.x-k8s.io/')),
      'velero.io/exclude-from-backup objects stay out',
    );
  });

  test('every item is also written under its preferred-version folder, after metadata/version', async () => {
    const name = uniqueName('b');
    await backupAndWait(cluster, server.namespace, name, {
      includedNamespaces: [ns],
      includedResources: ['configmaps'],
    });
    const entries = await archiveEntries(await (await defaultStore(server)).getBackupContents(name));
    assert.equal(entries[0], 'metadata/version');
    assert.ok(entries.includes(`resources/configmaps/v1-preferredversion/namespaces/${ns}/web-config.json`));
    assert.ok(entries.includes(`resources/configmaps/namespaces/${ns}/web-config.json`));
  });

  test('included resources take only those types (and not the namespace object)', async () => {
    const items = await backupItems({ includedNamespaces: [ns], includedResources: ['configmaps', 'secret'] });
    const types = new Set(items.map((p) => p.split('/')[1]));
    assert.deepEqual([...types].sort(), ['configmaps', 'secrets']);
    assert.ok(items.includes(nsPath('configmaps', 'db-config')));
  });

  test('excluded resources are left out', async () => {
    const items = await backupItems({ includedNamespaces: [ns], excludedResources: ['secrets', 'pods'] });
    assert.ok(!items.some((p) => p.startsWith('resources/secrets/')));
    assert.ok(!items.some((p) => p.startsWith('resources/pods/')));
    assert.ok(items.includes(nsPath('configmaps', 'web-config')));
  });

  test('includeClusterResources=false keeps every cluster-scoped object out, PVs and CRDs too', async () => {
    const items = await backupItems({ includedNamespaces: [ns], includeClusterResources: false });
    assert.ok(!items.some((p) => p.includes('/cluster/')), items.filter((p) => p.includes('/cluster/')).join(', '));
    assert.ok(items.includes(nsPath('persistentvolumeclaims', 'web-data')));
  });

  test('includeClusterResources=true with a namespace filter takes every cluster-scoped type', async () => {
    const items = await backupItems({
      includedNamespaces: [ns],
      includeClusterResources: true,
      includedResources: ['configmaps', 'nodes'],
    });
    assert.equal(items.filter((p) => p.startsWith('resources/nodes/cluster/')).length, 3);
  });

  test('a label selector takes only matching items; related items follow their parent', async () => {
    const items = await backupItems({ includedNamespaces: [ns], labelSelector: { matchLabels: { app: 'web' } } });
    assert.ok(items.includes(nsPath('configmaps', 'web-config')));
    assert.ok(!items.includes(nsPath('configmaps', 'db-config')));
    assert.ok(items.includes(nsPath('persistentvolumeclaims', 'web-data')));
    assert.ok(items.includes(nsPath(`${plural}.${CRD_GROUP}`, 'first')));
    assert.ok(!items.includes(nsPath(`${plural}.${CRD_GROUP}`, 'second')));
    assert.ok(items.includes(clusterPath('customresourcedefinitions.apiextensions.k8s.io', `${plural}.${CRD_GROUP}`)));
  });

  test('OR label selectors take items matching any of them', async () => {
    const items = await backupItems({
      includedNamespaces: [ns],
      includedResources: ['configmaps'],
      orLabelSelectors: [{ matchLabels: { app: 'web' } }, { matchLabels: { app: 'db' } }],
    });
    assert.deepEqual(items.sort(), [nsPath('configmaps', 'db-config'), nsPath('configmaps', 'web-config')].sort());
  });

  test('excluded namespaces win over a glob that includes them', async () => {
    // A sibling the glob also matches: the backup must hold it, so an empty backup cannot pass.
    const sibling = `${ns}-glob`;
    await createNamespace(cluster, sibling);
    try {
      await cluster.create(core('configmaps'), {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'kept', namespace: sibling },
        data: { a: 'b' },
      });
      const items = await backupItems({
        includedNamespaces: [`${ns}*`],
        excludedNamespaces: [ns],
        includedResources: ['configmaps'],
      });
      assert.ok(items.includes(`resources/configmaps/namespaces/${sibling}/kept.json`), items.join(', '));
      assert.ok(!items.some((p) => p.includes(`/namespaces/${ns}/`)));
    } finally {
      await cluster.delete(core('namespaces'), sibling);
    }
  });

  test('new-style scoped filters select namespace- and cluster-scoped types separately', async () => {
    const items = await backupItems({
      includedNamespaces: [ns],
      includedNamespaceScopedResources: ['configmaps'],
      includedClusterScopedResources: ['storageclasses.storage.k8s.io'],
    });
    assert.ok(items.includes(nsPath('configmaps', 'web-config')));
    assert.ok(items.includes(clusterPath('storageclasses.storage.k8s.io', 'standard')));
    assert.ok(!items.some((p) => p.startsWith('resources/secrets/')));
  });

  test('ordered resources are written first, in the given order', async () => {
    const name = uniqueName('b');
    await backupAndWait(cluster, server.namespace, name, {
      includedNamespaces: [ns],
      includedResources: ['configmaps'],
      orderedResources: { configmaps: `${ns}/web-config,${ns}/db-config` },
    });
    const items = itemPaths(await archiveEntries(await (await defaultStore(server)).getBackupContents(name))).filter(
      (p) => !p.includes('kube-root-ca'),
    );
    assert.deepEqual(items, [nsPath('configmaps', 'web-config'), nsPath('configmaps', 'db-config')]);
  });
});
