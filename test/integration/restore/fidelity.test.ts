// exclusive-test: deletes CRDs other files' backups may be listing, and creates 2,000 namespaces
/**
 * Fidelity at the edges, through a Skiff server, MinIO and the real API server: integers
 * beyond 2^53 in a custom resource, objects near etcd's 1.5 MiB limit, and a backup of
 * 2,000 namespaces.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pMap from 'p-map';
import { readBackupArchive } from '../../../src/archive/index.ts';
import { isAlreadyExists } from '../../../src/kube/errors.ts';
import type { KubeObject, ResourceRef } from '../../../src/kube/index.ts';
import { adminCluster, core, createNamespace, deleteNamespaceAndWait, waitFor } from '../../helpers/cluster.ts';
import { uniqueName } from '../../helpers/names.ts';
import { restoreAndWait } from '../../helpers/restore-server.ts';
import { backupAndWait, defaultStore, startTestServer, type TestServer } from '../../helpers/skiff-server.ts';

const cluster = adminCluster();
const CRDS: ResourceRef = { group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions' };
const GROUP = 'fidelity.skiff-test.example.com';
const BIG = '9007199254740993';
const MINUS_BIG = '-9007199254740993';
const BIGGER = '9223372036854775807';

let server: TestServer;

/** The raw JSON text the API server answers for a path: digits as stored, not as JavaScript parses them. */
async function rawGet(path: string): Promise<string> {
  const res = await cluster.client.send({ method: 'GET', path });
  return res.text();
}

/** The bytes of one item of a backup tarball in the `default` location. */
async function tarballItem(backupName: string, path: string): Promise<string> {
  const store = await defaultStore(server);
  for await (const rec of readBackupArchive(await store.getBackupContents(backupName))) {
    if (rec.kind === 'item' && rec.path === path) return rec.data.toString('utf8');
  }
  throw new Error(`${path} is not in backup ${backupName}`);
}

/** Creates a namespaced CRD in GROUP, version v1 with this schema, and waits until it is Established. */
async function createCrd(plural: string, kind: string, openAPIV3Schema: Record<string, unknown>): Promise<void> {
  const name = `${plural}.${GROUP}`;
  await cluster.create(CRDS, {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: { plural, singular: plural.slice(0, -1), kind, listKind: `${kind}List` },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema } }],
    },
  });
  await waitFor(`CRD ${name} to be Established`, async () => {
    const crd = await cluster.get(CRDS, name);
    const conditions = (crd.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions;
    return conditions?.some((c) => c.type === 'Established' && c.status === 'True');
  });
}

async function backupCompleted(name: string, spec: Parameters<typeof backupAndWait>[3]): Promise<void> {
  const backup = await backupAndWait(cluster, server.namespace, name, spec, 600_000);
  assert.equal(backup.status?.phase, 'Completed', JSON.stringify(backup.status));
}

async function restoreCompleted(name: string, spec: Parameters<typeof restoreAndWait>[3]): Promise<void> {
  const restore = await restoreAndWait(cluster, server.namespace, name, spec, 600_000);
  assert.equal(restore.status?.phase, 'Completed', JSON.stringify(restore.status));
  assert.equal(restore.status.errors ?? 0, 0);
}

before(async () => {
  server = await startTestServer(cluster);
});
after(async () => {
  await server.stop();
});

describe('integers beyond 2^53 in a custom resource', { concurrency: false }, () => {
  const ns = uniqueName('fid-int');
  const plural = `bignums${ns.slice(-6)}`;
  const crdName = `${plural}.${GROUP}`;
  const crPath = `/apis/${GROUP}/v1/namespaces/${ns}/${plural}/big`;
  const backupName = uniqueName('fid-int');

  before(async () => {
    await createCrd(plural, 'BigNum', {
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          properties: { count: { type: 'integer', format: 'int64' } },
          'x-kubernetes-preserve-unknown-fields': true,
        },
      },
    });
    await createNamespace(cluster, ns);
    // A string body goes out verbatim: JSON.stringify of a JavaScript number would already round it.
    await cluster.client.request({
      method: 'POST',
      path: `/apis/${GROUP}/v1/namespaces/${ns}/${plural}`,
      body: `{"apiVersion":"${GROUP}/v1","kind":"BigNum","metadata":{"name":"big"},"spec":{"count":${BIG},"negative":${MINUS_BIG},"list":[${BIGGER},1]}}`,
    });
    const stored = await rawGet(crPath);
    assert.ok(stored.includes(`"count":${BIG}`), `the API server keeps the digits itself: ${stored}`);
  });
  after(async () => {
    await cluster.delete(core('namespaces'), ns).catch(() => undefined);
    await cluster.delete(CRDS, crdName).catch(() => undefined);
  });

  test('backup keeps the digits in the tarball; a restore after deletion brings them back exactly', async () => {
    await backupCompleted(backupName, { includedNamespaces: [ns] });
    const item = await tarballItem(backupName, `resources/${crdName}/namespaces/${ns}/big.json`);
    assert.ok(item.includes(`"count":${BIG}`), item);
    assert.ok(item.includes(`"negative":${MINUS_BIG}`), item);
    assert.ok(item.includes(`"list":[${BIGGER},1]`), item);

    await deleteNamespaceAndWait(cluster, ns);
    await restoreCompleted(uniqueName('fid-int'), { backupName });
    const restored = await rawGet(crPath);
    assert.ok(restored.includes(`"count":${BIG}`), restored);
    assert.ok(restored.includes(`"negative":${MINUS_BIG}`), restored);
    assert.ok(restored.includes(`"list":[${BIGGER},1]`), restored);
  });

  test('policy update patches a changed value back to the exact digits', async () => {
    await cluster.client.request({
      method: 'PATCH',
      path: crPath,
      contentType: 'application/merge-patch+json',
      body: '{"spec":{"count":9007199254740995}}',
    });
    await restoreCompleted(uniqueName('fid-upd'), {
      backupName,
      includedNamespaces: [ns],
      includedResources: [crdName],
      existingResourcePolicy: 'update',
    });
    const restored = await rawGet(crPath);
    assert.ok(restored.includes(`"count":${BIG}`), restored);
    assert.ok(restored.includes(`"negative":${MINUS_BIG}`), restored);
  });
});

describe('objects near etcd’s 1.5 MiB limit', { concurrency: false }, () => {
  const ns = uniqueName('fid-big');
  const plural = `blobs${ns.slice(-6)}`;
  const crdName = `${plural}.${GROUP}`;
  const backupName = uniqueName('fid-big');
  // Incompressible, so the tarball, the upload and the spool all carry the full size. A
  // ConfigMap's or Secret's data may hold at most 1 MiB; a custom resource only meets etcd's
  // 1.5 MiB request limit.
  const KiB = 1024;
  const text = (bytes: number): string => randomBytes(bytes).toString('base64').slice(0, bytes);
  const cmText = text(1000 * KiB);
  const secretBytes = randomBytes(1000 * KiB);
  const crText = text(1400 * KiB);
  const sha = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

  before(async () => {
    await createCrd(plural, 'Blob', { type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
    await createNamespace(cluster, ns);
    await cluster.create(core('configmaps'), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'large', namespace: ns },
      data: { blob: cmText },
    });
    await cluster.create(core('secrets'), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'large', namespace: ns },
      data: { blob: secretBytes.toString('base64') },
    });
    await cluster.create(
      { group: GROUP, version: 'v1', resource: plural },
      { apiVersion: `${GROUP}/v1`, kind: 'Blob', metadata: { name: 'large', namespace: ns }, spec: { blob: crText } },
    );
  });
  after(async () => {
    await cluster.delete(core('namespaces'), ns).catch(() => undefined);
    await cluster.delete(CRDS, crdName).catch(() => undefined);
  });

  test('a 1 MiB ConfigMap and Secret and a 1.4 MiB custom resource round-trip byte for byte', async () => {
    await backupCompleted(backupName, { includedNamespaces: [ns] });
    await deleteNamespaceAndWait(cluster, ns);
    await restoreCompleted(uniqueName('fid-big'), { backupName });
    const cm = await cluster.get(core('configmaps'), 'large', ns);
    assert.equal(sha((cm.data as Record<string, string>).blob ?? ''), sha(cmText));
    const secret = await cluster.get(core('secrets'), 'large', ns);
    assert.equal(sha(Buffer.from((secret.data as Record<string, string>).blob ?? '', 'base64')), sha(secretBytes));
    const cr = await cluster.get({ group: GROUP, version: 'v1', resource: plural }, 'large', ns);
    assert.equal(sha((cr.spec as Record<string, string>).blob ?? ''), sha(crText));
  });
});

describe('a backup of 2,000 namespaces', { concurrency: false }, () => {
  const COUNT = Number(process.env.SKIFF_FIDELITY_NAMESPACES ?? 2000);
  // Fixed names, kept after the run: deleting 2,000 namespaces costs the namespace controller
  // many minutes on a small machine, during which every later test that deletes a namespace
  // waits behind it. A kept test environment reuses them on the next run.
  const label = { 'skiff-test/fidelity': 'many-namespaces' };
  const selector = 'skiff-test/fidelity=many-namespaces';
  const names = Array.from({ length: COUNT }, (_, i) => `fid-many-${String(i).padStart(4, '0')}`);
  const backupName = uniqueName('fid-ns');
  const many = { concurrency: 32 };

  async function labelled(resource: string): Promise<KubeObject[]> {
    const list = await cluster.client.request<{ items: KubeObject[] }>({
      method: 'GET',
      path: `/api/v1/${resource}?labelSelector=${encodeURIComponent(selector)}`,
    });
    return list.items;
  }

  async function createUnlessPresent(ref: ResourceRef, obj: KubeObject): Promise<void> {
    await cluster.create(ref, obj).catch((err: unknown) => {
      if (!isAlreadyExists(err)) throw err;
    });
  }

  before(async () => {
    await pMap(
      names,
      async (name) => {
        await createUnlessPresent(core('namespaces'), {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name, labels: label },
        });
        await createUnlessPresent(core('configmaps'), {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'one', namespace: name, labels: label },
          data: { namespace: name },
        });
      },
      many,
    );
  });

  test(`${COUNT} namespaces with a ConfigMap each are backed up, and every ConfigMap is restored`, async () => {
    await backupCompleted(backupName, { labelSelector: { matchLabels: label } });
    const store = await defaultStore(server);
    let namespaceItems = 0;
    for await (const rec of readBackupArchive(await store.getBackupContents(backupName))) {
      if (rec.kind === 'item' && rec.parsed.groupResource === 'namespaces' && rec.parsed.version === undefined) {
        namespaceItems++;
      }
    }
    assert.equal(namespaceItems, COUNT, 'every namespace is in the tarball');
    // The loss: every ConfigMap. Deleting the namespaces themselves would cost the namespace
    // controller minutes per thousand; the restore still walks all of them (they exist: skipped).
    await pMap(names, (n) => cluster.delete(core('configmaps'), 'one', n), many);
    assert.equal((await labelled('configmaps')).length, 0);
    await restoreCompleted(uniqueName('fid-ns'), { backupName });
    const restored = await labelled('configmaps');
    assert.equal(restored.length, COUNT);
    for (const cm of restored) assert.equal((cm.data as { namespace: string }).namespace, cm.metadata.namespace);
    assert.deepEqual(new Set(restored.map((c) => c.metadata.namespace)), new Set(names));
  });

  // The controller manager gives each new namespace its `default` ServiceAccount in turn: 2,000 at
  // once queue every later file's new namespace behind them (a CI run timed out after 60 s waiting
  // for one). Leave only once that queue has drained.
  after(async () => {
    const inMany = async (): Promise<number> => {
      const list = await cluster.client.request<{ items: KubeObject[] }>({
        method: 'GET',
        path: `/api/v1/serviceaccounts?fieldSelector=${encodeURIComponent('metadata.name=default')}`,
      });
      return list.items.filter((sa) => sa.metadata.namespace?.startsWith('fid-many-')).length;
    };
    await waitFor(
      'every fid-many namespace to have its default ServiceAccount',
      async () => (await inMany()) >= COUNT,
      600_000,
    );
  });
});
