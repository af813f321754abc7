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
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { Kinds, resourceRef } from '../../../src/api/index.ts';
import { ensureRepository } from '../../../src/volumes/repository/index.ts';
import { adminCluster, createNamespace } from '../../helpers/cluster.ts';
import { allocatedBytes, digestTree, makeRichTree, SPARSE_FILE, treeSum } from '../../helpers/file-tree.ts';
import { uniqueName } from '../../helpers/names.ts';
import { testS3Client } from '../../helpers/s3.ts';
import { createLocation, s3LocationSpec } from '../../helpers/skiff-server.ts';
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

  test("restic: a location's restic repositories move with its resticRepoPrefix; a PodVolumeRestore naming the old URL is refused", async () => {
    const env = loadTestEnv();
    const serverNs = suite.server.namespace;
    const ns = uniqueName('pvr-moved');
    await createNamespace(cluster, ns);
    const location = uniqueName('moving');
    await createLocation(cluster, serverNs, location, s3LocationSpec(suite.server.prefix));
    const key = { volumeNamespace: ns, location, type: 'restic' as const };
    const first = await ensureRepository(cluster, serverNs, key);
    const oldURL = `s3:${env.s3.endpoint}/${env.s3.bucket}/${suite.server.prefix}/restic/${ns}`;
    assert.equal(first.spec.resticIdentifier, oldURL);

    // The location now keeps restic repositories elsewhere in the bucket.
    const movedPrefix = `s3:${env.s3.endpoint}/${env.s3.bucket}/${suite.server.prefix}/moved`;
    await cluster.patch(resourceRef(Kinds.BackupStorageLocation), { name: location, namespace: serverNs }, 'merge', {
      spec: { config: { resticRepoPrefix: movedPrefix } },
    });
    const moved = await ensureRepository(cluster, serverNs, key);
    assert.equal(moved.metadata.uid, first.metadata.uid, 'the same BackupRepository');
    assert.equal(moved.spec.resticIdentifier, `${movedPrefix}/${ns}`);
    assert.equal(moved.status?.phase, 'Ready');

    const source = await createVolumePod(cluster, ns, 'app', { claims: ['data'] });
    const sourceDir = await source.volumeDir('data');
    await makeRichTree(sourceDir, { largeBytes: 1024 * 1024, sparseBytes: 1024 * 1024 });
    const pvbName = await createPodVolumeBackup(cluster, serverNs, {
      pod: source,
      volume: 'data',
      uploaderType: 'restic',
      repoIdentifier: moved.spec.resticIdentifier ?? '',
      location,
    });
    const backup = await waitForPodVolumeBackup(cluster, serverNs, pvbName);
    assert.equal(backup.status?.phase, 'Completed', `${backup.status?.message}\n${suite.agents.logs(source.node)}`);
    // The data is where the location now says, not under the old repository.
    const listed = await testS3Client().send(
      new ListObjectsV2Command({ Bucket: env.s3.bucket, Prefix: `${suite.server.prefix}/moved/${ns}/snapshots/` }),
    );
    assert.equal(listed.KeyCount, 1, 'one restic snapshot at the new place');

    const target = await createVolumePod(cluster, ns, 'copy', { claims: ['restored'] });
    const restore = (repoIdentifier: string): Promise<string> =>
      createPodVolumeRestore(cluster, serverNs, {
        pod: target,
        volume: 'restored',
        backup,
        sourceNamespace: ns,
        restoreUID: randomUUID(),
        repoIdentifier,
      });
    const stale = await waitForPodVolumeRestore(cluster, serverNs, await restore(oldURL));
    assert.equal(stale.status?.phase, 'Failed');
    assert.match(
      stale.status?.message ?? '',
      /spec\.repoIdentifier ".*\/restic\/pvr-moved-[^"]*" is not the restic repository of location/,
    );
    const pvr = await waitForPodVolumeRestore(cluster, serverNs, await restore(moved.spec.resticIdentifier ?? ''));
    assert.equal(pvr.status?.phase, 'Completed', pvr.status?.message);
    assert.deepEqual(
      await digestTree(await target.volumeDir('restored'), { skipVelero: true }),
      await digestTree(sourceDir),
    );
  });
});
