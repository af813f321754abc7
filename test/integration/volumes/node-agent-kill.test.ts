/**
 * Killing a node agent in the middle of an upload (issue 14 acceptance): after its restart that
 * PodVolumeBackup is Failed with a clear reason, the next backup of the volume succeeds, and the
 * repository checks clean (kopia snapshot verify / restic check).
 */
import assert from 'node:assert/strict';
import { open } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { PodVolumeBackup } from '../../../src/api/index.ts';
import { ensureRepository, openRepository, repositoryWorkRoot } from '../../../src/volumes/repository/index.ts';
import { adminCluster, createNamespace, waitFor } from '../../helpers/cluster.ts';
import { uniqueName } from '../../helpers/names.ts';
import { startNodeAgents, useTestUploaderBinaries, type NodeAgents } from '../../helpers/node-agents.ts';
import { createPodVolumeBackup, PVB, waitForPodVolumeBackup } from '../../helpers/pod-volume-objects.ts';
import { startTestServer, type TestServer } from '../../helpers/skiff-server.ts';
import { loadTestEnv } from '../../helpers/testenv.ts';
import { createVolumePod } from '../../helpers/volume-pods.ts';

const LARGE = 768 * 1024 * 1024;

async function writeRandomFile(path: string, bytes: number): Promise<void> {
  const file = await open(path, 'w');
  const chunk = 8 * 1024 * 1024;
  for (let done = 0; done < bytes; done += chunk) await file.write(randomBytes(Math.min(chunk, bytes - done)));
  await file.close();
}

describe('node agent killed mid-upload', () => {
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

  for (const type of ['kopia', 'restic'] as const) {
    test(`${type}: the interrupted backup fails with the reason, the next succeeds, the repository checks clean`, async () => {
      const env = loadTestEnv();
      const ns = uniqueName(`kill-${type}`);
      await createNamespace(cluster, ns);
      const pod = await createVolumePod(cluster, ns, 'app', { claims: ['data'] });
      await writeRandomFile(join(await pod.volumeDir('data'), 'large.bin'), LARGE);
      await ensureRepository(cluster, server.namespace, { volumeNamespace: ns, location: 'default', type });
      const repoIdentifier =
        type === 'restic' ? `s3:${env.s3.endpoint}/${env.s3.bucket}/${server.prefix}/restic/${ns}` : '';
      const spec = { pod, volume: 'data', uploaderType: type, repoIdentifier };

      const first = await createPodVolumeBackup(cluster, server.namespace, spec);
      await waitFor(
        `${first} uploading`,
        async () => {
          const pvb = (await cluster.get(PVB, first, server.namespace)) as PodVolumeBackup;
          if (pvb.status?.phase === 'Completed') throw new Error('finished before it could be interrupted');
          const done = pvb.status?.progress?.bytesDone ?? 0;
          return pvb.status?.phase === 'InProgress' && done > 0 && done < LARGE;
        },
        120_000,
      );
      await agents.kill(pod.node);
      await agents.restart(pod.node);
      const failed = await waitForPodVolumeBackup(cluster, server.namespace, first, 30_000);
      assert.equal(failed.status?.phase, 'Failed');
      assert.match(
        failed.status?.message ?? '',
        new RegExp(`node agent on ${pod.node} restarted while the backup was in progress`),
      );

      const second = await createPodVolumeBackup(cluster, server.namespace, spec);
      const done = await waitForPodVolumeBackup(cluster, server.namespace, second, 300_000);
      assert.equal(done.status?.phase, 'Completed', `${done.status?.message}\n${agents.logs(pod.node)}`);
      assert.ok(done.status?.snapshotID);

      const repo = await openRepository(
        {
          cluster,
          namespace: server.namespace,
          workRoot: repositoryWorkRoot(`${server.namespace}-check`),
          binaries: useTestUploaderBinaries(),
        },
        { volumeNamespace: ns, location: 'default', type },
      );
      await repo.check(); // rejects with the tool's report when the repository is damaged
    });
  }
});
