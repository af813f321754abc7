/**
 * Proves the test environment is real: scheduling onto kwok nodes, exec through the API
 * server, namespace deletion, the bucket through the S3 SDK, and RBAC for a restricted user.
 */
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Cluster, execInPod, KubeApiError, KubeClient, type KubeObject } from '../../../src/kube/index.ts';
import {
  adminCluster,
  apps,
  core,
  createNamespace,
  deleteNamespaceAndWait,
  readyReplicas,
  waitFor,
} from '../../helpers/cluster.ts';
import { uniqueName } from '../../helpers/names.ts';
import { loadTestEnv } from '../../helpers/testenv.ts';

const env = loadTestEnv();
const cluster = adminCluster();
const ns = uniqueName('smoke');

function deployment(name: string, replicas: number): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } },
    },
  };
}

describe('test environment', () => {
  before(() => createNamespace(cluster, ns));
  after(() => cluster.delete(core('namespaces'), ns));

  test('three Ready kwok nodes span two zones of one region', async () => {
    const nodes = (await cluster.client.request<{ items: KubeObject[] }>({ method: 'GET', path: '/api/v1/nodes' }))
      .items;
    assert.equal(nodes.length, 3);
    const ready = nodes.filter((n) =>
      ((n.status as { conditions?: { type: string; status: string }[] }).conditions ?? []).some(
        (c) => c.type === 'Ready' && c.status === 'True',
      ),
    );
    assert.equal(ready.length, 3);
    const zones = new Set(nodes.map((n) => n.metadata.labels?.['topology.kubernetes.io/zone']));
    const regions = new Set(nodes.map((n) => n.metadata.labels?.['topology.kubernetes.io/region']));
    assert.equal(zones.size, 2);
    assert.equal(regions.size, 1);
  });

  test("a Deployment's pods are scheduled onto kwok nodes and reach Running", async () => {
    await cluster.create(apps('deployments'), deployment('web', 2));
    await waitFor(
      '2 ready replicas',
      async () => readyReplicas(await cluster.find(apps('deployments'), 'web', ns)) === 2,
    );
    const pods = (
      await cluster.client.request<{ items: KubeObject[] }>({ method: 'GET', path: `/api/v1/namespaces/${ns}/pods` })
    ).items;
    assert.equal(pods.length, 2);
    for (const pod of pods) {
      assert.equal((pod.status as { phase: string }).phase, 'Running');
      assert.match((pod.spec as { nodeName: string }).nodeName, /^kwok-node-/);
    }
  });

  test("exec through the API server runs a local command in the pod's own working directory", async () => {
    const pod = await waitFor('a running pod', async () => {
      const list = await cluster.client.request<{ items: KubeObject[] }>({
        method: 'GET',
        path: `/api/v1/namespaces/${ns}/pods`,
      });
      return list.items.find((p) => (p.status as { phase?: string }).phase === 'Running');
    });
    const name = pod.metadata.name!;
    // The pod agent creates the pod's Exec shortly after scheduling.
    const result = await waitFor('exec in the per-pod directory', async () => {
      const r = await execInPod(cluster.client, {
        namespace: ns,
        pod: name,
        container: 'app',
        command: ['sh', '-c', 'pwd; echo "$POD_NAME"; echo hello > hook.txt'],
      });
      return r.stdout.startsWith(join(env.runDir, 'pods', ns, name)) ? r : undefined;
    });
    assert.equal(result.status.status, 'Success');
    assert.equal(result.stdout.trim().split('\n')[1], name);
    assert.ok(existsSync(join(env.runDir, 'pods', ns, name, 'hook.txt')));
    const failed = await execInPod(cluster.client, {
      namespace: ns,
      pod: name,
      container: 'app',
      command: ['sh', '-c', 'exit 3'],
    });
    assert.equal(failed.status.status, 'Failure');
  });

  test('a PVC of the default StorageClass is provisioned and bound', async () => {
    await cluster.create(core('persistentvolumeclaims'), {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data', namespace: ns },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    });
    const pvc = await waitFor('the PVC to bind', async () => {
      const c = await cluster.find(core('persistentvolumeclaims'), 'data', ns);
      return (c?.status as { phase?: string } | undefined)?.phase === 'Bound' ? c : undefined;
    });
    assert.equal((pvc.spec as { storageClassName: string }).storageClassName, 'standard');
  });

  test('deleting a namespace completes', async () => {
    const gone = uniqueName('gone');
    await createNamespace(cluster, gone);
    await cluster.create(core('configmaps'), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: gone },
      data: { a: 'b' },
    });
    const before = await cluster.get(core('namespaces'), gone);
    assert.equal((before.status as { phase?: string } | undefined)?.phase, 'Active');
    await deleteNamespaceAndWait(cluster, gone);
    assert.equal(await cluster.find(core('namespaces'), gone), undefined, 'the namespace is gone');
    assert.equal(await cluster.find(core('configmaps'), 'c', gone), undefined, 'and its content with it');
    const list = await cluster.client.request<{ items: KubeObject[] }>({ method: 'GET', path: '/api/v1/configmaps' });
    assert.ok(!list.items.some((c) => c.metadata.namespace === gone), 'nothing of it is listed any more');
  });

  test('the restricted user is denied what RBAC does not grant', async () => {
    const restricted = new Cluster(KubeClient.fromKubeconfig({ kubeconfig: env.restrictedKubeconfig }));
    await assert.rejects(
      () => restricted.client.request({ method: 'GET', path: `/api/v1/namespaces/${ns}/secrets` }),
      (err: unknown) => err instanceof KubeApiError && err.status === 403,
    );
  });
});

describe('object storage', () => {
  const s3 = new S3Client({
    endpoint: env.s3.endpoint,
    region: env.s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: env.s3.accessKeyId, secretAccessKey: env.s3.secretAccessKey },
  });
  const prefix = `${uniqueName('smoke')}/`;

  test('put, get, list and delete objects in the bucket', async () => {
    const Bucket = env.s3.bucket;
    await s3.send(new PutObjectCommand({ Bucket, Key: `${prefix}a.txt`, Body: 'alpha' }));
    const got = await s3.send(new GetObjectCommand({ Bucket, Key: `${prefix}a.txt` }));
    assert.equal(await got.Body?.transformToString(), 'alpha');
    const listed = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: prefix }));
    assert.deepEqual(
      listed.Contents?.map((o) => o.Key),
      [`${prefix}a.txt`],
    );
    await s3.send(new DeleteObjectCommand({ Bucket, Key: `${prefix}a.txt` }));
    const empty = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: prefix }));
    assert.equal(empty.KeyCount, 0);
  });

  test('the S3 server is real: creating an existing bucket is refused', async () => {
    await assert.rejects(
      () => s3.send(new CreateBucketCommand({ Bucket: env.s3.bucket })),
      /BucketAlreadyOwnedByYou|BucketAlreadyExists/,
    );
  });
});
