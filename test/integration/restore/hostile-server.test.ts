/**
 * A hostile tarball in the bucket, restored through the running server: the restore fails
 * with an error that names the problem, nothing lands outside the restore, and the server
 * goes on serving the next restore.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { Kinds, resourceRef } from '../../../src/api/index.ts';
import type { KubeObject } from '../../../src/kube/index.ts';
import { aBackupArchive } from '../../helpers/archive-builder.ts';
import { adminCluster, core } from '../../helpers/cluster.ts';
import { uniqueName } from '../../helpers/names.ts';
import { restoreAndWait } from '../../helpers/restore-server.ts';
import { defaultStore, startTestServer, type TestServer } from '../../helpers/skiff-server.ts';

const cluster = adminCluster();
let server: TestServer;
const target = uniqueName('target');
const escapee = `/tmp/${uniqueName('skiff-escaped')}`;

/** Puts a tarball and its metadata into the bucket and a Completed Backup object into the cluster, as a sync would. */
async function plantBackup(name: string, tarball: Buffer): Promise<void> {
  const store = await defaultStore(server);
  const backup: KubeObject = {
    apiVersion: 'velero.io/v1',
    kind: 'Backup',
    metadata: { name, namespace: server.namespace },
    spec: { storageLocation: 'default', includedNamespaces: [target] },
    status: { phase: 'Completed', formatVersion: '1.1.0', version: 1 },
  };
  // The object first: were the metadata in the bucket first, the server's backup sync could create it in between.
  await cluster.create(resourceRef(Kinds.Backup), backup);
  await store.putBackupContents(name, tarball);
  await store.putBackupMetadata(name, backup);
}

function configMap(name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: target }, data: { a: '1' } };
}

describe('hostile backups restored through the server', { concurrency: false }, () => {
  before(async () => {
    server = await startTestServer(cluster);
  });
  after(async () => {
    await cluster.delete(core('namespaces'), target);
    await server.stop();
  });

  test('a tarball with a path-traversal entry fails the restore with a clear error and writes nothing outside', async () => {
    const evil = await aBackupArchive()
      .item({ resource: 'configmaps', namespace: target, name: 'fine', object: configMap('fine') })
      .file(
        `resources/configmaps/namespaces/${target}/../../../../../..${escapee}.json`,
        JSON.stringify(configMap('evil')),
      )
      .gzip();
    await plantBackup('evil', evil);
    const r = await restoreAndWait(cluster, server.namespace, uniqueName('r-evil'), { backupName: 'evil' });
    assert.equal(r.status?.phase, 'Failed', JSON.stringify(r.status));
    assert.match(r.status?.failureReason ?? '', /\.\.|unsafe|traversal/i);
    assert.ok(!existsSync(`${escapee}.json`) && !existsSync(escapee), 'nothing escaped the restore');
  });

  test('a gzip bomb fails the restore and the server keeps serving the next one', async () => {
    const big = Buffer.alloc(300 * 1024 * 1024);
    const bomb = await aBackupArchive().file(`resources/configmaps/namespaces/${target}/zeros.json`, big).gzip();
    await plantBackup('bomb', bomb);
    const r = await restoreAndWait(cluster, server.namespace, uniqueName('r-bomb'), { backupName: 'bomb' });
    assert.equal(r.status?.phase, 'Failed', JSON.stringify(r.status));
    assert.match(r.status?.failureReason ?? '', /ratio|too large|limit|bomb/i);

    const good = await aBackupArchive()
      .item({
        resource: 'namespaces',
        name: target,
        object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: target } },
      })
      .item({ resource: 'configmaps', namespace: target, name: 'after-the-bomb', object: configMap('after-the-bomb') })
      .gzip();
    await plantBackup('good', good);
    const ok = await restoreAndWait(cluster, server.namespace, uniqueName('r-good'), { backupName: 'good' });
    assert.equal(ok.status?.phase, 'Completed', JSON.stringify(ok.status));
    assert.deepEqual((await cluster.get(core('configmaps'), 'after-the-bomb', target)).data, { a: '1' });
  });

  test('invalid JSON and an unknown kind are reported for those items while the rest is restored', async () => {
    const mixed = await aBackupArchive()
      .item({ resource: 'configmaps', namespace: target, name: 'valid', object: configMap('valid') })
      .file(`resources/configmaps/namespaces/${target}/broken.json`, '{"apiVersion": "v1", "kind": ')
      .item({
        resource: 'gadgets.nowhere.example',
        group: 'nowhere.example',
        namespace: target,
        name: 'g1',
        object: { apiVersion: 'nowhere.example/v1', kind: 'Gadget', metadata: { name: 'g1', namespace: target } },
      })
      .gzip();
    await plantBackup('mixed', mixed);
    const r = await restoreAndWait(cluster, server.namespace, uniqueName('r-mixed'), { backupName: 'mixed' });
    assert.equal(r.status?.phase, 'PartiallyFailed', JSON.stringify(r.status));
    assert.ok((r.status?.errors ?? 0) + (r.status?.warnings ?? 0) >= 2);
    assert.deepEqual((await cluster.get(core('configmaps'), 'valid', target)).data, { a: '1' });
  });
});
