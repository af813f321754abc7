/**
 * Killing a node agent in the middle of an upload (issue 14 acceptance): after its restart that
 * PodVolumeBackup is Failed with a clear reason, the next backup of the volume succeeds, and the
 * repository checks clean (kopia snapshot verify / restic check).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { PodVolumeBackup } from '../../../src/api/index.ts';
import { ensureRepository, openRepository, repositoryWorkRoot } from '../../../src/volumes/repository/index.ts';
import { adminCluster, createNamespace, waitFor, WaitImpossible } from '../../helpers/cluster.ts';
import { writeRandomFile } from '../../helpers/file-tree.ts';
import { uniqueName } from '../../helpers/names.ts';
import { useServerWithNodeAgents, useTestUploaderBinaries } from '../../helpers/node-agents.ts';
import { createPodVolumeBackup, PVB, waitForPodVolumeBackup } from '../../helpers/pod-volume-objects.ts';

import { loadTestEnv } from '../../helpers/testenv.ts';
import { createVolumePod } from '../../helpers/volume-pods.ts';

const LARGE = 768 * 1024 * 1024;

describe('node agent killed mid-upload', () => {
  const cluster = adminCluster();
  const suite = useServerWithNodeAgents(cluster);

  for (const type of ['kopia', 'restic'] as const) {
    test(`${type}: the interrupted backup fails with the reason, the next succeeds, the repository checks clean`, async () => {
      const env = loadTestEnv();
      const ns = uniqueName(`kill-${type}`);
      await createNamespace(cluster, ns);
      const pod = await createVolumePod(cluster, ns, 'app', { claims: ['data'] });
      await writeRandomFile(join(await pod.volumeDir('data'), 'large.bin'), LARGE);
      await ensureRepository(cluster, suite.server.namespace, { volumeNamespace: ns, location: 'default', type });
      const repoIdentifier =
        type === 'restic' ? `s3:${env.s3.endpoint}/${env.s3.bucket}/${suite.server.prefix}/restic/${ns}` : '';
      const spec = { pod, volume: 'data', uploaderType: type, repoIdentifier };

      const first = await createPodVolumeBackup(cluster, suite.server.namespace, spec);
      await waitFor(
        `${first} uploading`,
        async () => {
          const pvb = (await cluster.get(PVB, first, suite.server.namespace)) as PodVolumeBackup;
          if (pvb.status?.phase === 'Completed') throw new WaitImpossible('finished before it could be interrupted');
          const done = pvb.status?.progress?.bytesDone ?? 0;
          return pvb.status?.phase === 'InProgress' && done > 0 && done < LARGE;
        },
        120_000,
      );
      await suite.agents.kill(pod.node);
      await suite.agents.restart(pod.node);
      const failed = await waitForPodVolumeBackup(cluster, suite.server.namespace, first, 30_000);
      assert.equal(failed.status?.phase, 'Failed');
      assert.match(
        failed.status?.message ?? '',
        new RegExp(`node agent on ${pod.node} restarted while the backup was in progress`),
      );

      const second = await createPodVolumeBackup(cluster, suite.server.namespace, spec);
      const done = await waitForPodVolumeBackup(cluster, suite.server.namespace, second, 300_000);
      assert.equal(done.status?.phase, 'Completed', `${done.status?.message}\n${suite.agents.logs(pod.node)}`);
      assert.ok(done.status?.snapshotID);

      const repo = await openRepository(
        {
          cluster,
          namespace: suite.server.namespace,
          workRoot: repositoryWorkRoot(`${suite.server.namespace}-check`),
          binaries: useTestUploaderBinaries(),
        },
        { volumeNamespace: ns, location: 'default', type },
      );
      await repo.check(); // rejects with the tool's report when the repository is damaged
    });
  }
});
