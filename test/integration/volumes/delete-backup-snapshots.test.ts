/**
 * Deleting a backup forgets the pod-volume snapshots its stored PodVolumeBackups name
 * (reference §5.3 step 4): afterwards the snapshot no longer restores, while a snapshot of
 * another backup in the same repository still does.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Kinds, resourceRef, type PodVolumeBackup } from '../../../src/api/index.ts';
import { deleteBackupRequestFor } from '../../../src/deletion/delete-request.ts';
import { ensureRepository, openRepository, repositoryWorkRoot } from '../../../src/volumes/repository/index.ts';
import { adminCluster, createNamespace, waitFor } from '../../helpers/cluster.ts';
import { uniqueName } from '../../helpers/names.ts';
import { startNodeAgents, useTestUploaderBinaries, type NodeAgents } from '../../helpers/node-agents.ts';
import { createPodVolumeBackup, waitForPodVolumeBackup } from '../../helpers/pod-volume-objects.ts';
import { backupAndWait, defaultStore, startTestServer, type TestServer } from '../../helpers/skiff-server.ts';
import { createVolumePod } from '../../helpers/volume-pods.ts';

describe('backup deletion and pod-volume snapshots', () => {
  const cluster = adminCluster();
  let server: TestServer;
  let agents: NodeAgents;
  before(async () => {
    useTestUploaderBinaries();
    server = await startTestServer(cluster);
    agents = await startNodeAgents({ namespace: server.namespace });
  });
  after(async () => {
    await agents?.stop();
    await server?.stop();
  });

  test('the deleted backup’s snapshot is forgotten; another backup’s stays restorable', async () => {
    const ns = uniqueName('del-pvb');
    await createNamespace(cluster, ns);
    const pod = await createVolumePod(cluster, ns, 'app', { emptyDirs: ['cache'] });
    await writeFile(join(await pod.volumeDir('cache'), 'a.txt'), 'version one\n');
    await ensureRepository(cluster, server.namespace, { volumeNamespace: ns, location: 'default', type: 'kopia' });
    const snapshot = async (): Promise<PodVolumeBackup> => {
      const name = await createPodVolumeBackup(cluster, server.namespace, {
        pod,
        volume: 'cache',
        uploaderType: 'kopia',
      });
      const pvb = await waitForPodVolumeBackup(cluster, server.namespace, name);
      assert.equal(pvb.status?.phase, 'Completed', pvb.status?.message);
      return pvb;
    };
    const doomed = await snapshot();
    await writeFile(join(await pod.volumeDir('cache'), 'a.txt'), 'version two\n');
    const kept = await snapshot();

    const store = await defaultStore(server);
    for (const [name, pvb] of [
      ['doomed', doomed],
      ['kept', kept],
    ] as const) {
      const backup = await backupAndWait(cluster, server.namespace, `${name}-${ns}`, { includedNamespaces: [ns] });
      assert.equal(backup.status?.phase, 'Completed');
      await store.putBackupFile(`${name}-${ns}`, 'podVolumeBackups', [pvb]);
    }
    const doomedBackup = await cluster.get(resourceRef(Kinds.Backup), `doomed-${ns}`, server.namespace);
    await cluster.create(resourceRef(Kinds.DeleteBackupRequest), deleteBackupRequestFor(doomedBackup as never));
    await waitFor(
      'the backup to be deleted',
      async () => (await cluster.find(resourceRef(Kinds.Backup), `doomed-${ns}`, server.namespace)) === undefined,
      120_000,
    );

    const repo = await openRepository(
      {
        cluster,
        namespace: server.namespace,
        workRoot: repositoryWorkRoot(`${server.namespace}-verify`),
        binaries: useTestUploaderBinaries(),
      },
      { volumeNamespace: ns, location: 'default', type: 'kopia' },
    );
    const into = await mkdtemp(join(tmpdir(), 'skiff-del-'));
    await assert.rejects(
      repo.restore(doomed.status?.snapshotID ?? '', join(into, 'doomed')),
      /snapshot|manifest|not found/i,
    );
    await repo.restore(kept.status?.snapshotID ?? '', join(into, 'kept'));
    const { readFile } = await import('node:fs/promises');
    assert.equal(await readFile(join(into, 'kept', 'a.txt'), 'utf8'), 'version two\n');
  });
});
