/**
 * A backup naming most of many namespaces lists each type once, cluster-wide, and keeps exactly
 * the named namespaces' items (planBackup's `listsClusterWide`); a server whose rights are
 * granted per namespace is refused that LIST and lists the namespaces one by one instead.
 * Against the real API server: its pagination, label selectors and 403s.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pMap from 'p-map';
import { defaultBackupActions } from '../../../src/backup/actions/registry.ts';
import { collectBackupItems, type CollectedEvent } from '../../../src/backup/collect/collect-items.ts';
import { clusterItemSource } from '../../../src/backup/collect/item-source.ts';
import { planBackup, type BackupPlan } from '../../../src/backup/plan/backup-plan.ts';
import type { Cluster } from '../../../src/kube/index.ts';
import { adminCluster, core } from '../../helpers/cluster.ts';
import { uniqueName } from '../../helpers/names.ts';
import { serviceAccountUser } from '../../helpers/tenant-users.ts';

const cluster = adminCluster();
const id = uniqueName('many');
const label = { 'skiff-test/many-namespaces': id };
const namespaces = Array.from({ length: 60 }, (_, i) => `${id}-${String(i).padStart(2, '0')}`);
const named = namespaces.slice(0, 55);
const rbac = (resource: string) => ({ group: 'rbac.authorization.k8s.io', version: 'v1', resource });
const roleName = `${id}-list-configmaps`;

/** The backup's plan as if these 60 namespaces were the cluster's: 55 of them named, with ConfigMaps of the label. */
async function plan(): Promise<BackupPlan> {
  const discovery = await cluster.discover();
  return planBackup({
    spec: { includedNamespaces: named, includedResources: ['configmaps'], labelSelector: { matchLabels: label } },
    resourceTypes: discovery.preferred,
    resolve: (n) => discovery.resolve(n),
    namespaces: namespaces.map((name) => ({ name })),
  });
}

async function collected(as: Cluster): Promise<{ items: string[]; problems: CollectedEvent[] }> {
  const items: string[] = [];
  const problems: CollectedEvent[] = [];
  const events = collectBackupItems(await plan(), {
    backupName: id,
    source: clusterItemSource(as, 7),
    actions: defaultBackupActions(),
    typeOf: () => undefined,
  });
  for await (const ev of events) {
    if (ev.kind === 'included') items.push(`${ev.item.metadata.namespace ?? ''}/${ev.item.metadata.name ?? ''}`);
    else if (ev.kind !== 'excluded' || ev.type.resource !== 'namespaces') problems.push(ev);
  }
  return { items: items.sort(), problems };
}

describe('a backup naming most of many namespaces', { concurrency: false }, () => {
  const expected = named.flatMap((ns) => [`${ns}/a`, `${ns}/b`]).sort();

  before(async () => {
    await pMap(
      namespaces,
      async (ns) => {
        await cluster.create(core('namespaces'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
        for (const name of ['a', 'b', 'unlabelled']) {
          const labels = name === 'unlabelled' ? {} : label;
          await cluster.create(core('configmaps'), {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name, namespace: ns, labels },
            data: { at: ns },
          });
        }
      },
      { concurrency: 8 },
    );
  });

  after(async () => {
    await cluster.delete(rbac('clusterroles'), roleName).catch(() => undefined);
    await pMap(namespaces, (ns) => cluster.delete(core('namespaces'), ns).catch(() => undefined), { concurrency: 8 });
  });

  test('lists ConfigMaps once cluster-wide and takes exactly the named namespaces’ selected ones', async () => {
    const p = await plan();
    const step = p.steps.find((s) => s.groupResource === 'configmaps');
    assert.deepEqual(step?.namespaces, [undefined], 'one cluster-wide LIST');
    // Pages of 7 over every namespace of the cluster: the kept items cross page boundaries.
    assert.deepEqual(await collected(cluster), { items: expected, problems: [] });
  });

  test('refused the cluster-wide LIST (rights per namespace only), lists each named namespace and takes the same', async () => {
    await cluster.create(rbac('clusterroles'), {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: roleName },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['list'] }],
    });
    const user = await serviceAccountUser(cluster, named[0] ?? '');
    await pMap(
      named,
      (ns) =>
        cluster.create(rbac('rolebindings'), {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: roleName, namespace: ns },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
          subjects: [{ kind: 'ServiceAccount', name: 'ci', namespace: named[0] }],
        }),
      { concurrency: 8 },
    );
    // RBAC is read from the API server's informer cache: the last binding may take a moment.
    let result = await collected(user.cluster);
    for (let i = 0; i < 50 && result.problems.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      result = await collected(user.cluster);
    }
    assert.deepEqual(result, { items: expected, problems: [] });
  });
});
