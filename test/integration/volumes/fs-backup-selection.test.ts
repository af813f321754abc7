/**
 * The backup side of file-system backup against the real cluster and MinIO: which volumes get
 * a PodVolumeBackup (opt-in, opt-out, the server default, a volume policy), the objects'
 * shape (contract §3), their record in the bucket, FailedValidation for bad policies, and a
 * failed PodVolumeBackup making the backup PartiallyFailed. The node agent's part is played by
 * stand-in-node-agent.ts (it moves no data); the data path is tested with fs-agent's agent.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Kinds, resourceRef, type Backup, type BackupSpec, type PodVolumeBackup } from '../../../src/api/index.ts';
import { veleroListType } from '../../../src/controllers/velero-types.ts';
import type { KubeObject } from '../../../src/kube/index.ts';
import { adminCluster, core, createNamespace, waitFor } from '../../helpers/cluster.ts';
import { uniqueName } from '../../helpers/names.ts';
import { backupAndWait, defaultStore, startTestServer, type TestServer } from '../../helpers/skiff-server.ts';
import { loadTestEnv } from '../../helpers/testenv.ts';
import { standInNodeAgent, type StandInAgent } from './stand-in-node-agent.ts';

const cluster = adminCluster();
const ns = uniqueName('fsb');
const node = loadTestEnv().nodes[0] ?? '';
let server: TestServer;
let agent: StandInAgent;
// The stand-in plays the repository controller too: the real one would set up kopia and restic repositories.
const SERVER = { fsBackupTimeout: '2m', disableControllers: ['backup-repo'] };

function pod(name: string, annotations: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, annotations, labels: { app: 'fsb' } },
    spec: {
      nodeName: node,
      containers: [
        {
          name: 'app',
          image: 'busybox',
          volumeMounts: ['a', 'b', 'c', 'cfg', 'local'].map((v) => ({ name: v, mountPath: `/${v}` })),
        },
      ],
      volumes: [
        { name: 'a', emptyDir: {} },
        { name: 'b', emptyDir: {} },
        { name: 'c', emptyDir: { sizeLimit: '1Gi' } },
        { name: 'cfg', configMap: { name: 'cfg' } },
        { name: 'local', persistentVolumeClaim: { claimName: `${name}-local` } },
      ],
    },
  };
}

/** A PV of type local, bound to the pod's claim: a volume Velero would snapshot. */
async function localClaim(podName: string): Promise<void> {
  const claim = `${podName}-local`;
  const pv = `${ns}-${podName}`;
  await cluster.create(core('persistentvolumes'), {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: pv },
    spec: {
      capacity: { storage: '1Gi' },
      accessModes: ['ReadWriteOnce'],
      storageClassName: 'manual',
      local: { path: `/mnt/${pv}` },
      claimRef: { namespace: ns, name: claim },
      nodeAffinity: {
        required: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] },
          ],
        },
      },
    },
  });
  await cluster.create(core('persistentvolumeclaims'), {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: claim, namespace: ns, labels: { keep: 'yes' } },
    spec: {
      accessModes: ['ReadWriteOnce'],
      storageClassName: 'manual',
      volumeName: pv,
      resources: { requests: { storage: '1Gi' } },
    },
  });
}

async function pvbsOf(backup: Backup): Promise<PodVolumeBackup[]> {
  const out: PodVolumeBackup[] = [];
  for await (const o of cluster.list(veleroListType(Kinds.PodVolumeBackup), {
    namespace: server.namespace,
    labelSelector: `velero.io/backup-uid=${backup.metadata.uid ?? ''}`,
  }))
    out.push(o as PodVolumeBackup);
  return out;
}

const volumesOf = (pvbs: PodVolumeBackup[]): string[] =>
  pvbs.map((p) => `${p.spec.pod.name ?? ''}/${p.spec.volume}`).sort();

async function results(name: string): Promise<{ errors?: unknown; warnings?: unknown }> {
  const store = await defaultStore(server);
  return (await store.getBackupFile(name, 'results')) ?? {};
}

async function backup(spec: BackupSpec = {}): Promise<{ name: string; backup: Backup; pvbs: PodVolumeBackup[] }> {
  const name = uniqueName('b');
  const b = await backupAndWait(cluster, server.namespace, name, { includedNamespaces: [ns], ...spec });
  return { name, backup: b, pvbs: await pvbsOf(b) };
}

describe('file-system backup: volume selection and PodVolumeBackups', { concurrency: false }, () => {
  before(async () => {
    server = await startTestServer(cluster, SERVER);
    agent = standInNodeAgent(
      cluster,
      server.namespace,
      (pvb) => (pvb.spec.volume === 'b' && pvb.spec.pod.name === 'broken' ? 'disk on fire' : undefined),
      (pvb) => pvb.spec.pod.name === 'slow',
    );
    await createNamespace(cluster, ns);
    await cluster.create(core('configmaps'), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cfg', namespace: ns },
    });
    for (const p of ['opt-in', 'opt-out']) await localClaim(p);
    await cluster.create(core('pods'), pod('opt-in', { 'backup.velero.io/backup-volumes': 'a,cfg,local' }));
    await cluster.create(core('pods'), pod('opt-out', { 'backup.velero.io/backup-volumes-excludes': 'b,local' }));
    for (const p of ['opt-in', 'opt-out'])
      await waitFor(`pod ${p} Running`, async () => {
        const o = await cluster.find(core('pods'), p, ns);
        return (o?.status as { phase?: string } | undefined)?.phase === 'Running';
      });
    for (const p of ['opt-in-local', 'opt-out-local'])
      await waitFor(`claim ${p} Bound`, async () => {
        const o = await cluster.find(core('persistentvolumeclaims'), p, ns);
        return (o?.status as { phase?: string } | undefined)?.phase === 'Bound';
      });
  });
  after(async () => {
    await agent.stop();
    await cluster.delete(core('namespaces'), ns);
    for (const p of ['opt-in', 'opt-out', 'broken'])
      await cluster.delete(core('persistentvolumes'), `${ns}-${p}`).catch(() => undefined);
    await server.stop();
  });

  test('opt-in: exactly the annotated volumes FSB can take; PVBs shaped as Velero makes them and recorded in the bucket', async () => {
    const { name, backup: b, pvbs } = await backup();
    assert.equal(b.status?.phase, 'Completed', JSON.stringify(b.status));
    // opt-in lists a, cfg (a configMap: never) and local; opt-out is not opted out by default.
    assert.deepEqual(volumesOf(pvbs), ['opt-in/a', 'opt-in/local']);
    const local = pvbs.find((p) => p.spec.volume === 'local');
    assert.ok(local);
    const pvc = await cluster.get(core('persistentvolumeclaims'), 'opt-in-local', ns);
    const podObj = await cluster.get(core('pods'), 'opt-in', ns);
    assert.equal(local.metadata.generateName, `${name}-`);
    assert.deepEqual(
      local.metadata.ownerReferences?.map((o) => [o.kind, o.name, o.uid, o.controller]),
      [['Backup', name, b.metadata.uid, true]],
    );
    assert.equal(local.metadata.labels?.['velero.io/backup-name'], name);
    assert.equal(local.metadata.labels?.['velero.io/pvc-uid'], pvc.metadata.uid);
    assert.equal(local.metadata.annotations?.['velero.io/pvc-name'], 'opt-in-local');
    assert.deepEqual(
      { ...local.spec, tags: undefined },
      {
        node,
        pod: { kind: 'Pod', namespace: ns, name: 'opt-in', uid: podObj.metadata.uid },
        volume: 'local',
        backupStorageLocation: 'default',
        repoIdentifier: '',
        uploaderType: 'kopia',
        tags: undefined,
      },
    );
    assert.deepEqual(local.spec.tags, {
      backup: name,
      'backup-uid': b.metadata.uid,
      pod: 'opt-in',
      'pod-uid': podObj.metadata.uid,
      ns,
      volume: 'local',
      'pvc-uid': pvc.metadata.uid,
    });
    const repo = await cluster.get(resourceRef(Kinds.BackupRepository), `${ns}-default-kopia`, server.namespace);
    assert.equal((repo.spec as { repositoryType?: string }).repositoryType, 'kopia');
    const stored = (await (await defaultStore(server)).getBackupFile(name, 'podVolumeBackups')) as PodVolumeBackup[];
    assert.deepEqual(stored.map((p) => [p.spec.volume, p.status?.phase, p.status?.snapshotID]).sort(), [
      ['a', 'Completed', 'snap-a'],
      ['local', 'Completed', 'snap-local'],
    ]);
    // The opt-out pod's claim is not selected: Velero would snapshot it, Skiff says it cannot.
    const warnings = JSON.stringify((await results(name)).warnings);
    assert.match(warnings, /volume local of pod [^ ]+\/opt-out \(claim opt-out-local, PV [^)]+\) would be snapshotted/);
    // Its exclude annotation does nothing in an opt-in backup, which the backup says too.
    assert.match(
      warnings,
      /annotation backup\.velero\.io\/backup-volumes-excludes of pod [^ ]+\/opt-out has no effect: the backup is opt-in/,
    );
    assert.equal(b.status?.warnings, 2, warnings);
  });

  test('opt-out via spec.defaultVolumesToFsBackup: every volume FSB can take but the excluded ones', async () => {
    const { backup: b, pvbs } = await backup({ defaultVolumesToFsBackup: true });
    assert.equal(b.status?.phase, 'Completed', JSON.stringify(b.status));
    assert.deepEqual(volumesOf(pvbs), ['opt-in/a', 'opt-in/b', 'opt-in/c', 'opt-in/local', 'opt-out/a', 'opt-out/c']);
  });

  test('the deprecated defaultVolumesToRestic and the server default both mean opt-out', async () => {
    const restic = await backup({ defaultVolumesToRestic: true });
    assert.equal(restic.backup.spec.defaultVolumesToFsBackup, true);
    assert.equal(restic.pvbs.length, 6);
    await server.restart({ ...SERVER, defaultVolumesToFsBackup: true });
    const fromServer = await backup();
    assert.equal(fromServer.backup.spec.defaultVolumesToFsBackup, true, 'the server default is written into the spec');
    assert.equal(fromServer.pvbs.length, 6);
    const optIn = await backup({ defaultVolumesToFsBackup: false });
    assert.deepEqual(volumesOf(optIn.pvbs), ['opt-in/a', 'opt-in/local']);
    await server.restart(SERVER);
  });

  test('a volume policy decides before the annotations; snapshotVolumes false silences the snapshot warning', async () => {
    const policy = `version: v1
volumePolicies:
- conditions:
    volumeTypes: [emptyDir]
    capacity: "512Mi,"
  action:
    type: skip
- conditions:
    pvcLabels: {keep: "yes"}
  action:
    type: fs-backup
`;
    await cluster.create(core('configmaps'), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'policies', namespace: server.namespace },
      data: { 'policy.yaml': policy },
    });
    const {
      name,
      backup: b,
      pvbs,
    } = await backup({
      defaultVolumesToFsBackup: true,
      snapshotVolumes: false,
      resourcePolicy: { kind: 'configmap', name: 'policies' },
    });
    assert.equal(b.status?.phase, 'Completed', JSON.stringify(b.status));
    // c (emptyDir, 1Gi limit) is skipped by policy #1; both claims are taken by policy #2,
    // the opt-out pod's despite its exclude annotation.
    assert.deepEqual(volumesOf(pvbs), ['opt-in/a', 'opt-in/b', 'opt-in/local', 'opt-out/a', 'opt-out/local']);
    // The only warning: the opt-in pod's annotation does nothing in an opt-out backup.
    const warnings = JSON.stringify((await results(name)).warnings);
    assert.match(
      warnings,
      /annotation backup\.velero\.io\/backup-volumes of pod [^ ]+\/opt-in has no effect: the backup is opt-out/,
    );
    assert.equal(b.status?.warnings ?? 0, 1, warnings);
  });

  test('a malformed or missing policy ConfigMap is FailedValidation naming it and the line', async () => {
    await cluster.create(core('configmaps'), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'bad-policies', namespace: server.namespace },
      data: { p: 'version: v1\nvolumePolicies:\n- conditions: {}\n  action:\n    type: snapshots\n' },
    });
    const bad = await backup({ resourcePolicy: { kind: 'configmap', name: 'bad-policies' } });
    assert.equal(bad.backup.status?.phase, 'FailedValidation');
    const errors = (bad.backup.status?.validationErrors ?? []).join('\n');
    assert.match(
      errors,
      new RegExp(`ConfigMap ${server.namespace}/bad-policies: line 5: .*unknown action "snapshots"`),
    );
    const missing = await backup({ resourcePolicy: { kind: 'configmap', name: 'nope' } });
    assert.equal(missing.backup.status?.phase, 'FailedValidation');
    assert.match((missing.backup.status?.validationErrors ?? []).join('\n'), /ConfigMap [^ ]+\/nope .*does not exist/);
  });

  test('a failed PodVolumeBackup makes the backup PartiallyFailed, naming pod, volume and message', async () => {
    await localClaim('broken');
    await cluster.create(core('pods'), pod('broken', { 'backup.velero.io/backup-volumes': 'a,b' }));
    await waitFor('pod broken Running', async () => {
      const o = await cluster.find(core('pods'), 'broken', ns);
      return (o?.status as { phase?: string } | undefined)?.phase === 'Running';
    });
    const { name, backup: b } = await backup({
      labelSelector: { matchLabels: { app: 'fsb' } },
      snapshotVolumes: false,
    });
    assert.equal(b.status?.phase, 'PartiallyFailed', JSON.stringify(b.status));
    const errors = JSON.stringify((await results(name)).errors);
    assert.match(
      errors,
      new RegExp(`pod volume backup ${name}-[a-z0-9]+ of pod ${ns}/broken volume b failed: disk on fire`),
    );
    const stored = (await (await defaultStore(server)).getBackupFile(name, 'podVolumeBackups')) as PodVolumeBackup[];
    assert.ok(stored.some((p) => p.spec.volume === 'b' && p.status?.phase === 'Failed'));
    await cluster.delete(core('pods'), 'broken', ns);
  });

  test('velero.io/pod-volume-timeout: a PVB still running then is canceled and the backup PartiallyFailed, naming it', async () => {
    await cluster.create(core('pods'), {
      ...pod('slow', { 'backup.velero.io/backup-volumes': 'a' }),
      metadata: {
        name: 'slow',
        namespace: ns,
        labels: { app: 'slow' },
        annotations: { 'backup.velero.io/backup-volumes': 'a' },
      },
    });
    await waitFor('pod slow Running', async () => {
      const o = await cluster.find(core('pods'), 'slow', ns);
      return (o?.status as { phase?: string } | undefined)?.phase === 'Running';
    });
    const name = uniqueName('b');
    await cluster.create(resourceRef(Kinds.Backup), {
      apiVersion: 'velero.io/v1',
      kind: 'Backup',
      metadata: { name, namespace: server.namespace, annotations: { 'velero.io/pod-volume-timeout': '3s' } },
      spec: { includedNamespaces: [ns], labelSelector: { matchLabels: { app: 'slow' } }, snapshotVolumes: false },
    });
    const b = await waitFor(`backup ${name} to finish`, async () => {
      const o = (await cluster.get(resourceRef(Kinds.Backup), name, server.namespace)) as Backup;
      return ['Completed', 'PartiallyFailed', 'Failed'].includes(o.status?.phase ?? '') ? o : undefined;
    });
    assert.equal(b.status?.phase, 'PartiallyFailed', JSON.stringify(b.status));
    const [pvb] = await pvbsOf(b);
    assert.equal(pvb?.spec.cancel, true, 'the node agent is asked to cancel');
    assert.match(
      JSON.stringify((await results(name)).errors),
      new RegExp(`pod ${ns}/slow volume a timed out after 3s in phase (New|InProgress)`),
    );
    await cluster.delete(core('pods'), 'slow', ns);
  });

  test('with --uploader-type restic the PVBs and the repository are restic ones, with the restic repository URL', async () => {
    await server.restart({ ...SERVER, uploaderType: 'restic' });
    try {
      const { backup: b, pvbs } = await backup({ uploaderConfig: { parallelFilesUpload: 2 } });
      assert.equal(b.status?.phase, 'Completed', JSON.stringify(b.status));
      assert.ok(pvbs.length > 0);
      for (const p of pvbs) {
        assert.equal(p.spec.uploaderType, 'restic');
        assert.equal(
          p.spec.repoIdentifier,
          `s3:${loadTestEnv().s3.endpoint}/${loadTestEnv().s3.bucket}/${server.prefix}/restic/${ns}`,
        );
        assert.deepEqual(p.spec.uploaderSettings, { ParallelFilesUpload: '2' });
      }
      await cluster.get(resourceRef(Kinds.BackupRepository), `${ns}-default-restic`, server.namespace);
      // parallelFilesUpload is a kopia setting: the backup says so.
      assert.ok((b.status?.warnings ?? 0) >= 1);
    } finally {
      await server.restart(SERVER);
    }
  });
});
