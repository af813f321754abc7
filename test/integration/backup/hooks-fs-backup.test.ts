/**
 * Issue 15's marker test on a real file-system backup: a Running pod whose pre hook writes a
 * marker file into its opted-in volumes (an emptyDir and a node-local claim) and whose post hook
 * removes it, backed up by the real server and node agents with kopia. The marker is in the
 * volumes' snapshots (so it existed while the node agent read them) and gone from the live
 * volumes afterwards (reference §3.6: pre hooks → volume backups → post hooks).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Kinds, type PodVolumeBackup } from '../../../src/api/index.ts';
import { veleroListType } from '../../../src/controllers/velero-types.ts';
import { openRepository, repositoryWorkRoot } from '../../../src/volumes/repository/index.ts';
import { adminCluster, core, createNamespace } from '../../helpers/cluster.ts';
import { waitExecReady } from '../../helpers/hook-pods.ts';
import { uniqueName } from '../../helpers/names.ts';
import { startNodeAgents, useTestUploaderBinaries, type NodeAgents } from '../../helpers/node-agents.ts';
import { backupAndWait, startTestServer, type TestServer } from '../../helpers/skiff-server.ts';
import { createVolumePod } from '../../helpers/volume-pods.ts';

const cluster = adminCluster();
let server: TestServer;
let agents: NodeAgents;
const namespaces: string[] = [];
const scratch: string[] = [];

const A = (phase: 'pre' | 'post', key: string): string => `${phase}.hook.backup.velero.io/${key}`;

// kwok runs a hook locally with KUBELET_POD_DIR set to the pod's kubelet folder, whose
// volumes/ holds the emptyDir's directory and a link to the node-local claim's PV (testenv).
const VOLUME_DIRS =
  '"$KUBELET_POD_DIR"/volumes/kubernetes.io~empty-dir/cache "$KUBELET_POD_DIR"/volumes/kubernetes.io~local-volume/*';
const PRE = `for d in ${VOLUME_DIRS}; do echo quiesced > "$d/marker" || exit 1; done`;
const POST = `for d in ${VOLUME_DIRS}; do [ -e "$d/marker" ] || exit 1; rm "$d/marker" || exit 1; done`;

describe('backup hooks around a file-system backup', { concurrency: false }, () => {
  before(async () => {
    useTestUploaderBinaries();
    server = await startTestServer(cluster, { uploaderType: 'kopia' });
    agents = await startNodeAgents({ namespace: server.namespace });
  });
  after(async () => {
    await agents?.stop();
    for (const ns of namespaces) await cluster.delete(core('namespaces'), ns).catch(() => undefined);
    await server?.stop();
    for (const dir of scratch) await rm(dir, { recursive: true, force: true });
  });

  test('the pre hook marker is in the volumes as they are read, and the post hook removes it afterwards', async () => {
    const ns = uniqueName('hooks-fsb');
    await createNamespace(cluster, ns);
    namespaces.push(ns);
    const pod = await createVolumePod(cluster, ns, 'db', {
      claims: ['data'],
      emptyDirs: ['cache'],
      annotations: {
        'backup.velero.io/backup-volumes': 'data,cache',
        [A('pre', 'command')]: JSON.stringify(['sh', '-c', PRE]),
        [A('pre', 'on-error')]: 'Fail',
        [A('post', 'command')]: JSON.stringify(['sh', '-c', POST]),
        [A('post', 'on-error')]: 'Fail',
      },
    });
    const dirs = new Map<string, string>();
    for (const volume of ['data', 'cache']) {
      const dir = await pod.volumeDir(volume);
      await writeFile(join(dir, 'content.txt'), `${volume} of ${ns}/db\n`);
      dirs.set(volume, dir);
    }
    await waitExecReady(cluster, ns, 'db');

    const backup = await backupAndWait(cluster, server.namespace, uniqueName('b'), { includedNamespaces: [ns] });
    assert.equal(backup.status?.phase, 'Completed', JSON.stringify(backup.status));
    assert.deepEqual(backup.status?.hookStatus, { hooksAttempted: 2, hooksFailed: 0 });

    const pvbs: PodVolumeBackup[] = [];
    for await (const o of cluster.list(veleroListType(Kinds.PodVolumeBackup), {
      namespace: server.namespace,
      labelSelector: `velero.io/backup-uid=${backup.metadata.uid ?? ''}`,
    }))
      pvbs.push(o as PodVolumeBackup);
    assert.deepEqual(pvbs.map((p) => p.spec.volume).sort(), ['cache', 'data']);

    const workRoot = repositoryWorkRoot(`${server.namespace}-check`);
    scratch.push(workRoot);
    const repo = await openRepository(
      {
        cluster,
        namespace: server.namespace,
        workRoot,
        binaries: useTestUploaderBinaries(),
      },
      { volumeNamespace: ns, location: 'default', type: 'kopia' },
    );
    for (const pvb of pvbs) {
      const volume = pvb.spec.volume;
      assert.equal(pvb.status?.phase, 'Completed', `${volume}: ${pvb.status?.message}\n${agents.logs(pod.node)}`);
      assert.ok(pvb.status?.snapshotID, `${volume}: a snapshot ID`);
      // The snapshot, read back from the repository, holds the marker: it was there while the volume was read.
      const restored = mkdtempSync(join(tmpdir(), 'skiff-hooks-fsb-'));
      scratch.push(restored);
      await repo.restore(pvb.status.snapshotID, restored);
      assert.equal(readFileSync(join(restored, 'content.txt'), 'utf8'), `${volume} of ${ns}/db\n`);
      assert.equal(readFileSync(join(restored, 'marker'), 'utf8'), 'quiesced\n', `${volume}'s snapshot has the marker`);
      // And the post hook removed it from the live volume once the volume had been read.
      const live = dirs.get(volume) ?? '';
      assert.ok(existsSync(join(live, 'content.txt')), `${volume} still has its data`);
      assert.ok(!existsSync(join(live, 'marker')), `the post hook removed ${volume}'s marker`);
    }
  });
});
