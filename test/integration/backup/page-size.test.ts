/**
 * `--client-page-size` against the real API server: a backup whose LISTs come in pages of
 * 7 and one whose LISTs come unpaged (0, Velero's default) both hold every object.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { archiveEntries, itemPaths } from '../../helpers/archive-entries.ts';
import { adminCluster, core, createNamespace } from '../../helpers/cluster.ts';
import { uniqueName } from '../../helpers/names.ts';
import { backupAndWait, defaultStore, startTestServer } from '../../helpers/skiff-server.ts';

const cluster = adminCluster();
const ns = uniqueName('pages');
const names = Array.from({ length: 30 }, (_, i) => `cm-${String(i).padStart(2, '0')}`);

describe('backup LIST page size', { concurrency: false }, () => {
  before(async () => {
    await createNamespace(cluster, ns);
    await Promise.all(
      names.map((name) =>
        cluster.create(core('configmaps'), {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name, namespace: ns },
          data: { name },
        }),
      ),
    );
  });
  after(async () => {
    await cluster.delete(core('namespaces'), ns);
  });

  for (const clientPageSize of [7, 0]) {
    test(`with --client-page-size ${clientPageSize} every ConfigMap is in the backup`, async () => {
      const server = await startTestServer(cluster, { clientPageSize });
      try {
        const name = uniqueName('b');
        const backup = await backupAndWait(cluster, server.namespace, name, { includedNamespaces: [ns] });
        assert.equal(backup.status?.phase, 'Completed', JSON.stringify(backup.status));
        const store = await defaultStore(server);
        const items = itemPaths(await archiveEntries(await store.getBackupContents(name)));
        const configMaps = items.filter((p) => p.startsWith(`resources/configmaps/namespaces/${ns}/`)).sort();
        // kube-root-ca.crt, which the cluster puts in every namespace, comes too.
        assert.deepEqual(
          configMaps,
          [...names, 'kube-root-ca.crt'].map((n) => `resources/configmaps/namespaces/${ns}/${n}.json`).sort(),
        );
      } finally {
        await server.stop();
      }
    });
  }
});
