/**
 * Deleting a backup forgets the pod-volume snapshots its stored PodVolumeBackups name
 * (reference §5.3 step 4): afterwards the snapshot no longer restores, while a snapshot of
 * another backup in the same repository still does.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Kinds, resourceRef, type PodVolumeBackup } from '../../../src/api/index.ts';
import { deleteBackupRequestFor } from '../../../src/deletion/delete-request.ts';
import { ensureRepository, openRepository, repositoryWorkRoot } from '../../../src/volumes/repository/index.ts';
import { adminCluster, createNamespace, waitFor } from '../../helpers/cluster.ts';
import { uniqueName } from '../../helpers/names.ts';
import { useServerWithNodeAgents, useTestUploaderBinaries } from '../../helpers/node-agents.ts';
import { createPodVolumeBackup, waitForPodVolumeBackup } from '../../helpers/pod-volume-objects.ts';
import { backupAndWait, defaultStore } from '../../helpers/skiff-server.ts';
import { createVolumePod } from '../../helpers/volume-pods.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

describe('backup deletion and pod-volume snapshots', () => {
  const cluster = adminCluster();
  const suite = useServerWithNodeAgents(cluster);

  test('the deleted backup’s snapshot is forgotten; another backup’s stays restorable', async () => {
    const ns = uniqueName('del-pvb');
    await createNamespace(cluster, ns);
    const pod = await createVolumePod(cluster, ns, 'app', { emptyDirs: ['cache'] });
    await writeFile(join(await pod.volumeDir('cache'), 'a.txt'), 'version one\n');
    await ensureRepository(cluster, suite.server.namespace, {
      volumeNamespace: ns,
      location: 'default',
      type: 'kopia',
    });
    const snapshot = async (): Promise<PodVolumeBackup> => {
      const name = await createPodVolumeBackup(cluster, suite.server.namespace, {
        pod,
        volume: 'cache',
        uploaderType: 'kopia',
      });
      const pvb = await waitForPodVolumeBackup(cluster, suite.server.namespace, name);
      assert.equal(pvb.status?.phase, 'Completed', pvb.status?.message);
      return pvb;
    };
    const doomed = await snapshot();
    await writeFile(join(await pod.volumeDir('cache'), 'a.txt'), 'version two\n');
    const kept = await snapshot();

    const store = await defaultStore(suite.server);
    for (const [name, pvb] of [
      ['doomed', doomed],
      ['kept', kept],
    ] as const) {
      const backup = await backupAndWait(cluster, suite.server.namespace, `${name}-${ns}`, {
        includedNamespaces: [ns],
      });
      assert.equal(backup.status?.phase, 'Completed');
      await store.putBackupFile(`${name}-${ns}`, 'podVolumeBackups', [pvb]);
    }
    const doomedBackup = await cluster.get(resourceRef(Kinds.Backup), `doomed-${ns}`, suite.server.namespace);
    await cluster.create(resourceRef(Kinds.DeleteBackupRequest), deleteBackupRequestFor(doomedBackup as never));
    await waitFor(
      'the backup to be deleted',
      async () => (await cluster.find(resourceRef(Kinds.Backup), `doomed-${ns}`, suite.server.namespace)) === undefined,
      120_000,
    );

    const repo = await openRepository(
      {
        cluster,
        namespace: suite.server.namespace,
        workRoot: repositoryWorkRoot(`${suite.server.namespace}-verify`),
        binaries: useTestUploaderBinaries(),
      },
      { volumeNamespace: ns, location: 'default', type: 'kopia' },
    );
    const into = tempDir('skiff-del-');
    await assert.rejects(
      repo.restore(doomed.status?.snapshotID ?? '', join(into, 'doomed')),
      /snapshot|manifest|not found/i,
    );
    await repo.restore(kept.status?.snapshotID ?? '', join(into, 'kept'));
    const { readFile } = await import('node:fs/promises');
    assert.equal(await readFile(join(into, 'kept', 'a.txt'), 'utf8'), 'version two\n');
  });
});
