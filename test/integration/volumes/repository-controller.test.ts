/**
 * The server's side of repositories: the password Secret at start, BackupRepositories made
 * Ready by ensureRepository (or NotReady with the reason), and periodic maintenance recorded in
 * status.recentMaintenance.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Kinds, resourceRef, type BackupRepository } from '../../../src/api/index.ts';
import { ensureRepository } from '../../../src/volumes/repository/index.ts';
import { adminCluster, core, waitFor } from '../../helpers/cluster.ts';
import { uniqueName } from '../../helpers/names.ts';
import { useTestUploaderBinaries } from '../../helpers/node-agents.ts';
import { startTestServer, type TestServer } from '../../helpers/skiff-server.ts';

const REPOS = resourceRef(Kinds.BackupRepository);

describe('backup repositories', () => {
  const cluster = adminCluster();
  let server: TestServer;
  before(async () => {
    useTestUploaderBinaries();
    server = await startTestServer(cluster, { defaultRepoMaintainFrequency: '2s' });
  });
  after(() => server?.stop());

  test('the server creates the password secret with the static default', async () => {
    const secret = await waitFor('the password secret', () =>
      cluster.find(core('secrets'), 'velero-repo-credentials', server.namespace),
    );
    const data = secret.data as Record<string, string>;
    assert.equal(Buffer.from(data['repository-password'] ?? '', 'base64').toString(), 'static-passw0rd');
  });

  for (const type of ['kopia', 'restic'] as const) {
    test(`${type}: ensureRepository makes it Ready; maintenance runs at the server's frequency and is recorded`, async () => {
      const ns = uniqueName('repo');
      const repo = await ensureRepository(cluster, server.namespace, {
        volumeNamespace: ns,
        location: 'default',
        type,
      });
      assert.equal(repo.status?.phase, 'Ready');
      assert.equal(repo.spec.maintenanceFrequency, '2s');
      if (type === 'restic') assert.match(repo.spec.resticIdentifier ?? '', new RegExp(`/restic/${ns}$`));
      const maintained = await waitFor(
        'two maintenance runs',
        async () => {
          const r = (await cluster.get(REPOS, repo.metadata.name ?? '', server.namespace)) as BackupRepository;
          return (r.status?.recentMaintenance?.length ?? 0) >= 2 ? r : undefined;
        },
        120_000,
      );
      for (const run of maintained.status?.recentMaintenance ?? []) {
        assert.equal(run.result, 'Succeeded', run.message);
        assert.ok(run.startTimestamp && run.completeTimestamp);
      }
      assert.ok(maintained.status?.lastMaintenanceTime);
      // Idempotent: a second ensure returns the same Ready repository.
      const again = await ensureRepository(cluster, server.namespace, {
        volumeNamespace: ns,
        location: 'default',
        type,
      });
      assert.equal(again.metadata.uid, repo.metadata.uid);
    });
  }

  test('a repository in a location that does not exist is NotReady, and ensureRepository says why', async () => {
    const ns = uniqueName('repo-bad');
    await assert.rejects(
      ensureRepository(cluster, server.namespace, { volumeNamespace: ns, location: 'nowhere', type: 'kopia' }),
      /is not ready: .*backup storage location "nowhere" not found/,
    );
  });
});
