/**
 * The node agent runs PodVolumeRestores created by hand: a snapshot of a node-local claim is
 * written into a new pod's new claim, identical (SHA-256 over the tree, modes, mtimes,
 * symlinks, empty directories, a sparse and a large file), followed by the done marker
 * `.velero/<restore UID>`; a data-only restore writes no marker.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ensureRepository } from '../../../src/volumes/repository/index.ts';
import { adminCluster, createNamespace } from '../../helpers/cluster.ts';
import { allocatedBytes, digestTree, makeRichTree, SPARSE_FILE, treeSum } from '../../helpers/file-tree.ts';
import { uniqueName } from '../../helpers/names.ts';
import { useServerWithNodeAgents } from '../../helpers/node-agents.ts';
import {
  createPodVolumeBackup,
  createPodVolumeRestore,
  waitForPodVolumeBackup,
  waitForPodVolumeRestore,
} from '../../helpers/pod-volume-objects.ts';

import { loadTestEnv } from '../../helpers/testenv.ts';
import { createVolumePod } from '../../helpers/volume-pods.ts';

describe('node agent: PodVolumeRestore', () => {
  const cluster = adminCluster();
  const suite = useServerWithNodeAgents(cluster);

  for (const type of ['kopia', 'restic'] as const) {
    test(`${type}: a new pod's new claim gets identical bytes, then the done marker`, async () => {
      const env = loadTestEnv();
      const ns = uniqueName(`pvr-${type}`);
      await createNamespace(cluster, ns);
      const source = await createVolumePod(cluster, ns, 'app', { claims: ['data'] });
      const sourceDir = await source.volumeDir('data');
      await makeRichTree(sourceDir, { largeBytes: 48 * 1024 * 1024 });
      await ensureRepository(cluster, suite.server.namespace, { volumeNamespace: ns, location: 'default', type });
      const repoIdentifier =
        type === 'restic' ? `s3:${env.s3.endpoint}/${env.s3.bucket}/${suite.server.prefix}/restic/${ns}` : '';
      const pvbName = await createPodVolumeBackup(cluster, suite.server.namespace, {
        pod: source,
        volume: 'data',
        uploaderType: type,
        repoIdentifier,
      });
      const backup = await waitForPodVolumeBackup(cluster, suite.server.namespace, pvbName);
      assert.equal(backup.status?.phase, 'Completed', backup.status?.message);

      const target = uniqueName(`pvr-${type}-to`);
      await createNamespace(cluster, target);
      const pod = await createVolumePod(cluster, target, 'app', { claims: ['data'] });
      const restoreUID = randomUUID();
      const name = await createPodVolumeRestore(cluster, suite.server.namespace, {
        pod,
        volume: 'data',
        backup,
        sourceNamespace: ns,
        restoreUID,
      });
      const pvr = await waitForPodVolumeRestore(cluster, suite.server.namespace, name);
      assert.equal(pvr.status?.phase, 'Completed', `${pvr.status?.message}\n${suite.agents.logs(pod.node)}`);
      assert.equal(pvr.status?.node, pod.node);
      assert.equal(pvr.status?.progress?.bytesDone, backup.status?.progress?.totalBytes);

      const restoredDir = await pod.volumeDir('data');
      const want = await digestTree(sourceDir);
      const got = await digestTree(restoredDir, { skipVelero: true });
      assert.deepEqual(got, want);
      assert.equal(treeSum(got), treeSum(want), 'SHA-256 over the tree');
      assert.deepEqual(await readdir(join(restoredDir, '.velero')), [restoreUID], 'the done marker');
      assert.ok((await allocatedBytes(join(restoredDir, SPARSE_FILE))) < 16 * 1024 * 1024, 'written sparse');
    });
  }

  test('data-only: restores into the running pod and writes no marker', async () => {
    const ns = uniqueName('pvr-data-only');
    await createNamespace(cluster, ns);
    const pod = await createVolumePod(cluster, ns, 'app', { emptyDirs: ['cache'] });
    const dir = await pod.volumeDir('cache');
    await makeRichTree(dir, { largeBytes: 1024 * 1024, sparseBytes: 1024 * 1024 });
    const want = await digestTree(dir);
    await ensureRepository(cluster, suite.server.namespace, {
      volumeNamespace: ns,
      location: 'default',
      type: 'kopia',
    });
    const pvbName = await createPodVolumeBackup(cluster, suite.server.namespace, {
      pod,
      volume: 'cache',
      uploaderType: 'kopia',
    });
    const backup = await waitForPodVolumeBackup(cluster, suite.server.namespace, pvbName);
    assert.equal(backup.status?.phase, 'Completed', backup.status?.message);
    const { rm } = await import('node:fs/promises');
    for (const entry of await readdir(dir)) await rm(join(dir, entry), { recursive: true, force: true });

    const name = await createPodVolumeRestore(cluster, suite.server.namespace, {
      pod,
      volume: 'cache',
      backup,
      sourceNamespace: ns,
      restoreUID: randomUUID(),
      annotations: { 'skiff.io/data-only': 'true' },
    });
    const pvr = await waitForPodVolumeRestore(cluster, suite.server.namespace, name);
    assert.equal(pvr.status?.phase, 'Completed', pvr.status?.message);
    assert.deepEqual(await digestTree(dir), want, 'the files are back, and no .velero marker');
  });
});
