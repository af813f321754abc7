/**
 * Who owns each field comes back with the object (reference §4.4 step 11). Server-side apply
 * (GitOps tools, controllers) decides from `managedFields` which fields an applier may remove;
 * a restore that left every field to itself would make a later apply keep fields its manifest
 * no longer has.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { adminCluster, core, createNamespace } from '../../helpers/cluster.ts';
import { uniqueName } from '../../helpers/names.ts';
import { restoreAndWait } from '../../helpers/restore-server.ts';
import { backupAndWait, startTestServer, type TestServer } from '../../helpers/skiff-server.ts';

const cluster = adminCluster();
const CONFIGMAPS = core('configmaps');
const source = uniqueName('mf-src');
const target = uniqueName('mf-dst');
let server: TestServer;

/** What a GitOps tool applies: it owns a and b, and may later drop b from its manifest. */
function applied(data: Record<string, string>): unknown {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app' }, data };
}

before(async () => {
  server = await startTestServer(cluster);
  await createNamespace(cluster, source);
  const at = { name: 'app', namespace: source };
  await cluster.patch(CONFIGMAPS, at, 'apply', applied({ a: '1', b: '2' }), { fieldManager: 'gitops-tool' });
  // A second owner, through an ordinary update.
  await cluster.patch(CONFIGMAPS, at, 'merge', { data: { c: '3' } }, { fieldManager: 'other-controller' });
});
after(async () => {
  await cluster.delete(core('namespaces'), source).catch(() => undefined);
  await cluster.delete(core('namespaces'), target).catch(() => undefined);
  await server.stop();
});

test('a restored object keeps its managedFields, so a later server-side apply removes what its manifest dropped', async () => {
  const original = await cluster.get(CONFIGMAPS, 'app', source);
  const managers = (original.metadata.managedFields as { manager: string }[]).map((m) => m.manager);
  assert.deepEqual(managers.sort(), ['gitops-tool', 'other-controller']);

  const backupName = uniqueName('mf');
  const backup = await backupAndWait(cluster, server.namespace, backupName, { includedNamespaces: [source] });
  assert.equal(backup.status?.phase, 'Completed', JSON.stringify(backup.status));
  const restore = await restoreAndWait(cluster, server.namespace, uniqueName('mf'), {
    backupName,
    namespaceMapping: { [source]: target },
  });
  assert.equal(restore.status?.phase, 'Completed', JSON.stringify(restore.status));
  assert.equal(restore.status.errors ?? 0, 0);

  const restored = await cluster.get(CONFIGMAPS, 'app', target);
  // Entry for entry, times included: no entry for the restore's own create.
  assert.deepEqual(restored.metadata.managedFields, original.metadata.managedFields);

  // The user-visible consequence: the tool drops b, and b goes, as it would have before the restore.
  const at = { name: 'app', namespace: target };
  await cluster.patch(CONFIGMAPS, at, 'apply', applied({ a: '1' }), { fieldManager: 'gitops-tool' });
  assert.deepEqual((await cluster.get(CONFIGMAPS, 'app', target)).data, { a: '1', c: '3' });
});
