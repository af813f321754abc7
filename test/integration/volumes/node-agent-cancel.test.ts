/**
 * `spec.cancel` on a PodVolumeBackup in the middle of an upload (reference §1.10; contract §3):
 * the node agent stops the uploader, the PVB ends Canceled with a message saying why and no
 * snapshot, and the next backup of the volume completes.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { describe, test } from 'node:test';
import type { PodVolumeBackup } from '../../../src/api/index.ts';
import { ensureRepository } from '../../../src/volumes/repository/index.ts';
import { adminCluster, createNamespace, waitFor, WaitImpossible } from '../../helpers/cluster.ts';
import { writeRandomFile } from '../../helpers/file-tree.ts';
import { uniqueName } from '../../helpers/names.ts';
import { useServerWithNodeAgents } from '../../helpers/node-agents.ts';
import { createPodVolumeBackup, PVB, waitForPodVolumeBackup } from '../../helpers/pod-volume-objects.ts';
import { commandLine, descendants } from '../../helpers/process-tree.ts';
import { loadTestEnv } from '../../helpers/testenv.ts';
import { createVolumePod } from '../../helpers/volume-pods.ts';

const LARGE = 768 * 1024 * 1024;

/** The uploader processes (kopia, restic) running under a node agent. */
function uploadersUnder(pid: number | undefined): string[] {
  if (pid === undefined) return [];
  return descendants(pid)
    .map((p) => basename(commandLine(p)[0] ?? ''))
    .filter((name) => name === 'kopia' || name === 'restic');
}

describe('spec.cancel on a PodVolumeBackup mid-upload', () => {
  const cluster = adminCluster();
  const suite = useServerWithNodeAgents(cluster);

  for (const type of ['kopia', 'restic'] as const) {
    test(`${type}: the upload stops, the PVB is Canceled with a message and no snapshot; the next backup completes`, async (t) => {
      const env = loadTestEnv();
      const ns = uniqueName(`cancel-${type}`);
      await createNamespace(cluster, ns);
      const pod = await createVolumePod(cluster, ns, 'app', { claims: ['data'] });
      const large = join(await pod.volumeDir('data'), 'large.bin');
      t.after(() => rm(large, { force: true })); // the machine's disk is shared
      await writeRandomFile(large, LARGE);
      await ensureRepository(cluster, suite.server.namespace, { volumeNamespace: ns, location: 'default', type });
      const repoIdentifier =
        type === 'restic' ? `s3:${env.s3.endpoint}/${env.s3.bucket}/${suite.server.prefix}/restic/${ns}` : '';
      const spec = { pod, volume: 'data', uploaderType: type, repoIdentifier };
      const namespace = suite.server.namespace;

      const first = await createPodVolumeBackup(cluster, namespace, spec);
      await waitFor(
        `${first} uploading`,
        async () => {
          const pvb = (await cluster.get(PVB, first, namespace)) as PodVolumeBackup;
          if (pvb.status?.phase === 'Completed') throw new WaitImpossible('finished before it could be canceled');
          const done = pvb.status?.progress?.bytesDone ?? 0;
          return pvb.status?.phase === 'InProgress' && done > 0 && done < LARGE;
        },
        120_000,
      );
      assert.deepEqual(uploadersUnder(suite.agents.pid(pod.node)), [type], 'the uploader runs under the agent');
      await cluster.patch(PVB, { name: first, namespace }, 'merge', { spec: { cancel: true } });

      const canceled = await waitForPodVolumeBackup(cluster, namespace, first, 60_000);
      assert.equal(canceled.status?.phase, 'Canceled', suite.agents.logs(pod.node));
      assert.match(canceled.status?.message ?? '', /canceled: spec\.cancel was set while the backup was in progress/);
      assert.ok(!canceled.status?.snapshotID, 'a canceled backup records no snapshot');
      assert.ok(canceled.status?.completionTimestamp);
      assert.deepEqual(uploadersUnder(suite.agents.pid(pod.node)), [], 'the uploader was stopped');

      const second = await createPodVolumeBackup(cluster, namespace, spec);
      const done = await waitForPodVolumeBackup(cluster, namespace, second, 300_000);
      assert.equal(done.status?.phase, 'Completed', `${done.status?.message}\n${suite.agents.logs(pod.node)}`);
      assert.ok(done.status?.snapshotID);
    });
  }
});
