/**
 * The node agent runs PodVolumeBackups created by hand for a running pod with a node-local
 * claim and an emptyDir: each completes with a snapshot ID, its path, progress and incremental
 * bytes, into the repository of the pod's namespace in the location's bucket.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { type PodVolumeBackup } from '../../../src/api/index.ts';
import { ensureRepository } from '../../../src/volumes/repository/index.ts';
import { adminCluster, createNamespace } from '../../helpers/cluster.ts';
import { createPodVolumeBackup, PVB, waitForPodVolumeBackup } from '../../helpers/pod-volume-objects.ts';
import { makeRichTree } from '../../helpers/file-tree.ts';
import { uniqueName } from '../../helpers/names.ts';
import { useServerWithNodeAgents } from '../../helpers/node-agents.ts';
import { testS3Client } from '../../helpers/s3.ts';

import { loadTestEnv } from '../../helpers/testenv.ts';
import { createVolumePod } from '../../helpers/volume-pods.ts';

function assertCompleted(pvb: PodVolumeBackup, hostRoot: string, logs: string): void {
  const status = pvb.status ?? {};
  assert.equal(status.phase, 'Completed', `${pvb.metadata.name}: ${status.message}\n${logs}`);
  assert.ok(status.snapshotID, 'a snapshot ID');
  assert.ok(status.path?.startsWith(hostRoot), `path ${status.path}`);
  assert.ok((status.progress?.totalBytes ?? 0) > 0, 'progress total');
  assert.equal(status.progress?.bytesDone, status.progress?.totalBytes);
  assert.ok(status.incrementalBytes !== undefined, 'incremental bytes');
  assert.ok(status.acceptedTimestamp && status.startTimestamp && status.completionTimestamp);
}

describe('node agent: PodVolumeBackup', () => {
  const cluster = adminCluster();
  const suite = useServerWithNodeAgents(cluster);

  for (const type of ['kopia', 'restic'] as const) {
    test(`${type}: a node-local claim and an emptyDir of a running pod are backed up`, async () => {
      const ns = uniqueName(`pvb-${type}`);
      await createNamespace(cluster, ns);
      const pod = await createVolumePod(cluster, ns, 'app', { claims: ['data'], emptyDirs: ['cache'] });
      await makeRichTree(await pod.volumeDir('data'), { largeBytes: 16 * 1024 * 1024 });
      await writeFile(join(await pod.volumeDir('cache'), 'cached.txt'), 'cache entry\n');

      const repo = await ensureRepository(cluster, suite.server.namespace, {
        volumeNamespace: ns,
        location: 'default',
        type,
      });
      assert.equal(repo.status?.phase, 'Ready');
      assert.equal(repo.metadata.name, `${ns}-default-${type}`);
      assert.equal(repo.metadata.labels?.['velero.io/repository-type'], type);

      const env = loadTestEnv();
      const repoIdentifier =
        type === 'restic' ? `s3:${env.s3.endpoint}/${env.s3.bucket}/${suite.server.prefix}/restic/${ns}` : '';
      const names = await Promise.all(
        ['data', 'cache'].map((v) =>
          createPodVolumeBackup(cluster, suite.server.namespace, {
            pod,
            volume: v,
            uploaderType: type,
            repoIdentifier,
          }),
        ),
      );
      for (const name of names) {
        const pvb = await waitForPodVolumeBackup(cluster, suite.server.namespace, name);
        assertCompleted(pvb, suite.agents.hostRoot(pod.node), suite.agents.logs(pod.node));
      }
      const data = (await cluster.get(PVB, names[0] ?? '', suite.server.namespace)) as PodVolumeBackup;
      assert.ok((data.status?.progress?.totalBytes ?? 0) >= 16 * 1024 * 1024);
      assert.ok((data.status?.incrementalBytes ?? 0) >= 8 * 1024 * 1024, `sent ${data.status?.incrementalBytes}`);

      // The repository is where Velero keeps it (§2.5).
      const listed = await testS3Client().send(
        new ListObjectsV2Command({ Bucket: env.s3.bucket, Prefix: `${suite.server.prefix}/${type}/${ns}/` }),
      );
      assert.ok((listed.KeyCount ?? 0) > 0, `objects under ${suite.server.prefix}/${type}/${ns}/`);
    });
  }

  test('a PodVolumeBackup of a volume the pod lacks fails, naming it', async () => {
    const ns = uniqueName('pvb-bad');
    await createNamespace(cluster, ns);
    const pod = await createVolumePod(cluster, ns, 'app', { emptyDirs: ['cache'] });
    const name = await createPodVolumeBackup(cluster, suite.server.namespace, {
      pod,
      volume: 'nope',
      uploaderType: 'kopia',
    });
    const pvb = await waitForPodVolumeBackup(cluster, suite.server.namespace, name);
    assert.equal(pvb.status?.phase, 'Failed');
    assert.match(pvb.status?.message ?? '', /has no volume "nope"/);
  });
});
