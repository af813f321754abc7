// test-lane: cluster-b starts and uses cluster B (its files share it one at a time; everything they make in cluster A is their own)
/**
 * Cross-cluster migration (issue 11, item 9): a backup taken in cluster A (region
 * skiff-region-1) is restored by a second Skiff server in cluster B (region skiff-region-2,
 * other zones), which shares A's bucket, with Velero's change-storage-class ConfigMap and
 * Skiff's topology map. The PV comes back with B's zone and storage class, and B's own
 * scheduler places the pods on B's nodes, which proves the rewritten node affinity of the
 * volume as well as the workloads' selectors.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Kinds, Labels, resourceRef, type Backup } from '../../../src/api/index.ts';
import { Cluster, KubeClient, type KubeObject } from '../../../src/kube/index.ts';
import { adminCluster, apps, core, createNamespace, readyReplicas, waitFor } from '../../helpers/cluster.ts';
import { uniqueName } from '../../helpers/names.ts';
import { restoreAndWait } from '../../helpers/restore-server.ts';
import { backupAndWait, startTestServer, type TestServer } from '../../helpers/skiff-server.ts';
import { testClusterA, testClusterB, type TestCluster } from '../../helpers/testenv.ts';
import { skiffOk } from '../cli/run-skiff.ts';

const ZONE = 'topology.kubernetes.io/zone';
const REGION = 'topology.kubernetes.io/region';
const storage = (resource: string) => ({ group: 'storage.k8s.io', version: 'v1', resource });

const a = adminCluster();
const infoA: TestCluster = testClusterA();
let infoB: TestCluster;
let b: Cluster;
let serverA: TestServer;
let serverB: TestServer;

const ns = uniqueName('migrate');
const classA = uniqueName('a-class');
const classB = uniqueName('b-class');
const pvName = uniqueName('pv-data');
const backupName = uniqueName('bk-migrate');
const [zoneA1 = '', zoneA2 = ''] = infoA.zones;

function storageClass(name: string): KubeObject {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name },
    provisioner: 'kubernetes.io/no-provisioner',
    volumeBindingMode: 'WaitForFirstConsumer',
  };
}

function pluginConfigMap(namespace: string, name: string, label: string, data: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace, labels: { [Labels.PluginConfig]: '', [label]: 'RestoreItemAction' } },
    data,
  };
}

/** Cluster A's application: a Deployment pinned to zone A1 with a volume whose PV is in zone A1, and a StatefulSet spread over the region. */
async function createApplication(): Promise<void> {
  await a.create(storage('storageclasses'), storageClass(classA));
  await a.create(core('persistentvolumes'), {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: pvName, labels: { [ZONE]: zoneA1, [REGION]: infoA.region } },
    spec: {
      capacity: { storage: '1Gi' },
      accessModes: ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Retain',
      storageClassName: classA,
      hostPath: { path: `/tmp/${pvName}`, type: 'DirectoryOrCreate' },
      claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: ns, name: 'data' },
      nodeAffinity: {
        required: { nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE, operator: 'In', values: [zoneA1] }] }] },
      },
    },
  });
  await createNamespace(a, ns);
  await a.create(core('persistentvolumeclaims'), {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'data', namespace: ns },
    spec: {
      accessModes: ['ReadWriteOnce'],
      storageClassName: classA,
      volumeName: pvName,
      resources: { requests: { storage: '1Gi' } },
    },
  });
  await a.create(apps('deployments'), {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: ns },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          nodeSelector: { [ZONE]: zoneA1 },
          containers: [{ name: 'web', image: 'nginx:1.27', volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
          volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }],
        },
      },
    },
  });
  await a.create(apps('statefulsets'), {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'db', namespace: ns },
    spec: {
      replicas: 2,
      serviceName: 'db',
      selector: { matchLabels: { app: 'db' } },
      template: {
        metadata: { labels: { app: 'db' } },
        spec: {
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [{ matchExpressions: [{ key: REGION, operator: 'In', values: [infoA.region] }] }],
              },
              preferredDuringSchedulingIgnoredDuringExecution: [
                { weight: 10, preference: { matchExpressions: [{ key: ZONE, operator: 'In', values: [zoneA2] }] } },
              ],
            },
          },
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: ZONE,
              whenUnsatisfiable: 'DoNotSchedule',
              labelSelector: { matchLabels: { app: 'db' } },
            },
          ],
          containers: [{ name: 'db', image: 'postgres:17' }],
        },
      },
    },
  });
  await waitFor('web and db ready in cluster A', async () => {
    const web = await a.find(apps('deployments'), 'web', ns);
    const db = await a.find(apps('statefulsets'), 'db', ns);
    return readyReplicas(web) === 1 && readyReplicas(db) === 2;
  });
}

async function podsOf(cluster: Cluster, app: string): Promise<KubeObject[]> {
  const path = `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(`app=${app}`)}`;
  return (await cluster.client.request<{ items: KubeObject[] }>({ method: 'GET', path })).items;
}

async function zoneOfNode(cluster: Cluster, node: string): Promise<string | undefined> {
  return (await cluster.get(core('nodes'), node)).metadata.labels?.[ZONE];
}

describe('migration to another cluster in another region', { concurrency: false }, () => {
  before(async () => {
    infoB = testClusterB();
    b = new Cluster(KubeClient.fromKubeconfig({ kubeconfig: infoB.kubeconfig }));
    serverA = await startTestServer(a);
    // Cluster B's server reads the same bucket and prefix as cluster A's.
    // B's sync finds A's backup in the shared bucket, as it would after a disaster (reference §5.4).
    serverB = await startTestServer(b, {
      kubeconfig: infoB.kubeconfig,
      prefix: serverA.prefix,
      backupSyncPeriod: '2s',
    });
    await createApplication();
  });

  after(async () => {
    await serverA?.stop();
    await serverB?.stop();
    for (const c of [a, b]) {
      if (!c) continue;
      await c.delete(core('namespaces'), ns).catch(() => undefined);
      await c.delete(core('persistentvolumes'), pvName).catch(() => undefined);
    }
    await a.delete(storage('storageclasses'), classA).catch(() => undefined);
    await b?.delete(storage('storageclasses'), classB).catch(() => undefined);
  });

  test('backup in A, restore in B with the storage class and zones remapped; B schedules the pods', async () => {
    assert.notEqual(infoB.region, infoA.region);
    const [zoneB1 = '', zoneB2 = ''] = infoB.zones;

    const backup = await backupAndWait(a, serverA.namespace, backupName, { includedNamespaces: [ns] });
    assert.equal(backup.status?.phase, 'Completed');

    const synced = await waitFor(`backup ${backupName} synced into cluster B`, () =>
      b.find(resourceRef(Kinds.Backup), backupName, serverB.namespace),
    );
    assert.equal((synced as Backup).status?.phase, 'Completed');
    await b.create(storage('storageclasses'), storageClass(classB));
    await b.create(
      core('configmaps'),
      pluginConfigMap(serverB.namespace, 'change-storage-class', 'velero.io/change-storage-class', {
        [classA]: classB,
      }),
    );
    await b.create(
      core('configmaps'),
      pluginConfigMap(serverB.namespace, 'change-topology', 'skiff.io/change-topology', {
        [zoneA1]: zoneB1,
        [zoneA2]: zoneB2,
        [infoA.region]: infoB.region,
      }),
    );

    // The dry run names each rewrite, field by field.
    const dry = await skiffOk([
      ...['--kubeconfig', infoB.kubeconfig, '-n', serverB.namespace],
      ...['restore', 'create', '--from-backup', backupName, '--dry-run'],
    ]);
    const rewrite = (path: string, from: string, to: string, action: string) =>
      new RegExp(
        `rewrite ${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: "${from}" -> "${to}" \\(${action.replace(/[./]/g, '\\$&')}\\)`,
      );
    const topo = 'skiff.io/change-topology';
    assert.match(dry.stdout, rewrite('/spec/storageClassName', classA, classB, 'velero.io/change-storage-class'));
    assert.match(
      dry.stdout,
      rewrite('/spec/nodeAffinity/required/nodeSelectorTerms/0/matchExpressions/0/values/0', zoneA1, zoneB1, topo),
    );
    assert.match(
      dry.stdout,
      rewrite('/metadata/labels/topology.kubernetes.io~1region', infoA.region, infoB.region, topo),
    );
    assert.match(
      dry.stdout,
      rewrite('/spec/template/spec/nodeSelector/topology.kubernetes.io~1zone', zoneA1, zoneB1, topo),
    );
    assert.match(dry.stdout, rewrite('/spec/nodeSelector/topology.kubernetes.io~1zone', zoneA1, zoneB1, topo));
    assert.equal(await b.find(core('namespaces'), ns), undefined, 'the dry run created nothing');

    const restore = await restoreAndWait(b, serverB.namespace, uniqueName('r-migrate'), { backupName });
    assert.equal(restore.status?.phase, 'Completed', JSON.stringify(restore.status));

    const pv = await b.get(core('persistentvolumes'), pvName);
    const pvSpec = pv.spec as {
      storageClassName: string;
      nodeAffinity: { required: { nodeSelectorTerms: { matchExpressions: { values: string[] }[] }[] } };
    };
    assert.equal(pvSpec.storageClassName, classB);
    assert.deepEqual(pvSpec.nodeAffinity.required.nodeSelectorTerms[0]?.matchExpressions[0]?.values, [zoneB1]);
    assert.deepEqual(pv.metadata.labels?.[ZONE], zoneB1);
    const pvc = await waitFor('the claim bound in B', async () => {
      const c = await b.get(core('persistentvolumeclaims'), 'data', ns);
      return (c.status as { phase?: string } | undefined)?.phase === 'Bound' ? c : undefined;
    });
    assert.equal((pvc.spec as { storageClassName: string }).storageClassName, classB);

    await waitFor('web and db ready in cluster B', async () => {
      const web = await b.find(apps('deployments'), 'web', ns);
      const db = await b.find(apps('statefulsets'), 'db', ns);
      return readyReplicas(web) === 1 && readyReplicas(db) === 2;
    });
    const web = await podsOf(b, 'web');
    assert.equal(web.length, 1);
    for (const pod of web) {
      const node = (pod.spec as { nodeName: string }).nodeName;
      assert.ok(infoB.nodes.includes(node), `web pod on ${node}, one of B's nodes`);
      assert.equal(await zoneOfNode(b, node), zoneB1);
      assert.equal((pod.status as { phase: string }).phase, 'Running');
    }
    const db = await podsOf(b, 'db');
    assert.equal(db.length, 2);
    const dbZones = new Set<string | undefined>();
    for (const pod of db) {
      const node = (pod.spec as { nodeName: string }).nodeName;
      assert.ok(infoB.nodes.includes(node), `db pod on ${node}, one of B's nodes`);
      dbZones.add(await zoneOfNode(b, node));
    }
    // The spread constraint holds in B's zones: one replica in each.
    assert.deepEqual([...dbZones].sort(), [zoneB1, zoneB2].sort());
  });
});
