import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject } from '../../../../src/kube/object.ts';
import type { CreateOperation } from '../../../../src/restore/plan/types.ts';
import { indexPodVolumeBackups, volumesToRestore } from '../../../../src/restore/volumes/pod-volumes.ts';
import {
  judgePodVolumeRestores,
  podVolumeRestoreObject,
  podVolumeTimeoutMs,
  restoreUploaderSettings,
} from '../../../../src/restore/volumes/pod-volume-restores.ts';
import { restoreWaitImage } from '../../../../src/restore/volumes/restore-wait.ts';
import { item, obj, opFor, planFor } from '../../../helpers/restore-fixtures.ts';

function pvb(pod: string, volume: string, snapshotID: string, extra: Record<string, unknown> = {}): unknown {
  return {
    apiVersion: 'velero.io/v1',
    kind: 'PodVolumeBackup',
    metadata: {
      name: `b1-${pod}-${volume}`,
      labels: { 'velero.io/backup-name': 'b1', 'velero.io/pvc-uid': `uid-${volume}` },
      annotations: volume === 'data' ? { 'velero.io/pvc-name': 'data' } : {},
    },
    spec: {
      node: 'n1',
      pod: { kind: 'Pod', namespace: 'app', name: pod, uid: 'old-uid' },
      volume,
      backupStorageLocation: 'default',
      repoIdentifier: '',
      uploaderType: 'kopia',
    },
    status: { phase: 'Completed', snapshotID, progress: { totalBytes: 1024, bytesDone: 1024 } },
    ...extra,
  };
}

const pod = obj('v1', 'Pod', 'db-0', 'app', {
  spec: {
    nodeName: 'n1',
    containers: [{ name: 'db', image: 'postgres', volumeMounts: [{ name: 'data', mountPath: '/var/lib/db' }] }],
    initContainers: [
      { name: 'restore-wait', image: 'old' },
      { name: 'setup', image: 'busybox' },
    ],
    volumes: [
      { name: 'data', persistentVolumeClaim: { claimName: 'data' } },
      { name: 'scratch', emptyDir: {} },
      { name: 'kube-api', projected: { sources: [] } },
    ],
  },
});
const pvc = obj('v1', 'PersistentVolumeClaim', 'data', 'app', {
  spec: { volumeName: 'pvc-1', storageClassName: 'node-local' },
  status: { phase: 'Bound' },
});
const pv = obj('v1', 'PersistentVolume', 'pvc-1', undefined, {
  spec: { persistentVolumeReclaimPolicy: 'Retain', claimRef: { namespace: 'app', name: 'data' } },
});
const items = [item('pods', pod), item('persistentvolumeclaims', pvc), item('persistentvolumes', pv)];
const pvbs = [pvb('db-0', 'data', 'snap-data'), pvb('db-0', 'scratch', 'snap-scratch'), pvb('db-0', 'kube-api', 's3')];
const input = { podVolumeBackups: pvbs, restoreUID: 'restore-uid-1', backupStorageLocation: 'primary' };

function initContainers(op: { kind: string }): Record<string, unknown>[] {
  const created = op as CreateOperation;
  return ((created.object.spec as { initContainers?: Record<string, unknown>[] }).initContainers ?? []).map((c) => c);
}

describe('pod volume restore: planning (reference §6.5)', () => {
  test('a pod with volume backups gets restore-wait first, mounting each restored volume', async () => {
    const plan = await planFor({ items, input });
    const inits = initContainers(opFor(plan, 'Pod', 'db-0'));
    assert.deepEqual(
      inits.map((c) => c.name),
      ['restore-wait', 'setup'],
    );
    const wait = inits[0] ?? {};
    assert.deepEqual(wait.command, ['/usr/local/bin/skiff', 'restore-helper']);
    assert.deepEqual(wait.args, ['restore-uid-1']);
    assert.equal(wait.image, 'skiff/skiff:0.1.0');
    assert.deepEqual(wait.volumeMounts, [
      { name: 'data', mountPath: '/restores/data' },
      { name: 'scratch', mountPath: '/restores/scratch' },
    ]);
    assert.deepEqual(wait.env, [
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    ]);
    assert.deepEqual(wait.resources, {
      requests: { cpu: '100m', memory: '128Mi' },
      limits: { cpu: '100m', memory: '128Mi' },
    });
    assert.deepEqual(wait.securityContext, {
      runAsUser: 1000,
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
  });

  test('the PV of a file-system-backed claim is provisioned again, and the claim loses volumeName', async () => {
    const plan = await planFor({ items, input });
    const pvOp = opFor(plan, 'PersistentVolume', 'pvc-1');
    assert.equal(pvOp.kind, 'skip');
    const claim = opFor(plan, 'PersistentVolumeClaim', 'data') as CreateOperation;
    assert.equal((claim.object.spec as { volumeName?: string }).volumeName, undefined);
  });

  test('without volume backups the pod only loses an old restore-wait', async () => {
    const plan = await planFor({ items });
    assert.deepEqual(
      initContainers(opFor(plan, 'Pod', 'db-0')).map((c) => c.name),
      ['setup'],
    );
  });

  test('a restore leaving out PVs adds no restore-wait and says the data is not restored', async () => {
    const plan = await planFor({ items, input, spec: { excludedResources: ['persistentvolumes'] } });
    assert.deepEqual(
      initContainers(opFor(plan, 'Pod', 'db-0')).map((c) => c.name),
      ['setup'],
    );
    assert.match(plan.warnings.join('\n'), /leaves out persistentvolumes: their volume data is not restored/);
  });

  test('the plugin ConfigMap overrides image, command, resources and security context', async () => {
    const config = obj('v1', 'ConfigMap', 'fs-restore-config', 'velero', {
      metadata: { labels: { 'velero.io/plugin-config': '', 'velero.io/pod-volume-restore': 'RestoreItemAction' } },
      data: {
        image: 'registry.example.com/skiff',
        command: '/bin/helper',
        cpuLimit: '0',
        memRequest: '64Mi',
        secCtxRunAsUser: '2000',
        secCtxAllowPrivilegeEscalation: 'false',
      },
    });
    const plan = await planFor({ items, input: { ...input, pluginConfigs: [config] } });
    const wait = initContainers(opFor(plan, 'Pod', 'db-0'))[0] ?? {};
    assert.equal(wait.image, 'registry.example.com/skiff:0.1.0');
    assert.deepEqual(wait.command, ['/bin/helper']);
    assert.deepEqual(wait.resources, { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } });
    assert.deepEqual(wait.securityContext, { runAsUser: 2000, allowPrivilegeEscalation: false });
  });

  test("without ConfigMap security settings the first container's securityContext is copied", async () => {
    const withCtx = structuredClone(pod);
    (withCtx.spec as { containers: Record<string, unknown>[] }).containers[0]!.securityContext = { runAsUser: 70 };
    const plan = await planFor({ items: [item('pods', withCtx), ...items.slice(1)], input });
    assert.deepEqual((initContainers(opFor(plan, 'Pod', 'db-0'))[0] ?? {}).securityContext, { runAsUser: 70 });
  });

  test('restore init hooks go after restore-wait, which stays first (reference §4.7)', async () => {
    const hooked = structuredClone(pod);
    hooked.metadata.annotations = {
      'init.hook.restore.velero.io/container-image': 'busybox',
      'init.hook.restore.velero.io/container-name': 'hook',
    };
    const plan = await planFor({ items: [item('pods', hooked), ...items.slice(1)], input });
    assert.deepEqual(
      initContainers(opFor(plan, 'Pod', 'db-0')).map((c) => c.name),
      ['restore-wait', 'hook', 'setup'],
    );
  });

  test('a bad ConfigMap value fails the pod with a message naming the key', async () => {
    const config = obj('v1', 'ConfigMap', 'c', 'velero', {
      metadata: { labels: { 'velero.io/plugin-config': '', 'velero.io/pod-volume-restore': 'RestoreItemAction' } },
      data: { cpuRequest: 'lots', imagee: 'x' },
    });
    const plan = await planFor({ items, input: { ...input, pluginConfigs: [config] } });
    const op = opFor(plan, 'Pod', 'db-0');
    assert.equal(op.kind, 'fail');
    assert.match((op as { error: string }).error, /unknown key\(s\) imagee/);
  });
});

describe('pod volume restore: matching and objects', () => {
  test('volumes match by pod name and source namespace; empty snapshot IDs and projected volumes are skipped', () => {
    const index = indexPodVolumeBackups([...pvbs, pvb('db-0', 'logs', ''), pvb('other', 'data', 'x')]);
    const names = volumesToRestore(pod, 'app', index, { backupStorageLocation: 'primary' }).map((v) => v.volume);
    assert.deepEqual(names, ['data', 'scratch']);
    assert.deepEqual(volumesToRestore(pod, 'elsewhere', index, { backupStorageLocation: 'p' }), []);
  });

  test('legacy snapshot.velero.io/<volume> annotations are used when no PodVolumeBackup names the pod', () => {
    const annotated = structuredClone(pod);
    annotated.metadata.annotations = { 'snapshot.velero.io/scratch': 'legacy-snap' };
    const found = volumesToRestore(annotated, 'app', {}, { backupStorageLocation: 'primary' });
    assert.deepEqual(found, [
      {
        volume: 'scratch',
        snapshotID: 'legacy-snap',
        uploaderType: 'restic',
        repoIdentifier: '',
        backupStorageLocation: 'primary',
      },
    ]);
  });

  test('the PodVolumeRestore carries the new pod uid, labels, owner and uploader settings (contract §4)', () => {
    const live: KubeObject = {
      ...structuredClone(pod),
      metadata: { ...pod.metadata, namespace: 'app2', uid: 'new-uid' },
    };
    const [data] = volumesToRestore(pod, 'app', indexPodVolumeBackups(pvbs), { backupStorageLocation: '' });
    assert.ok(data);
    const pvr = podVolumeRestoreObject({
      restore: { name: 'r1', uid: 'ruid', namespace: 'velero' },
      pod: live,
      sourceNamespace: 'app',
      volume: data,
      backupStorageLocation: 'primary',
      repoIdentifier: '',
      uploaderSettings: restoreUploaderSettings({
        uploaderConfig: { writeSparseFiles: true, parallelFilesDownload: 4 },
      }),
      pvcUID: 'new-pvc-uid',
    });
    assert.deepEqual(pvr.metadata, {
      generateName: 'r1-',
      namespace: 'velero',
      ownerReferences: [{ apiVersion: 'velero.io/v1', kind: 'Restore', name: 'r1', uid: 'ruid', controller: true }],
      labels: {
        'velero.io/restore-name': 'r1',
        'velero.io/restore-uid': 'ruid',
        'velero.io/pod-uid': 'new-uid',
        'velero.io/pvc-uid': 'new-pvc-uid',
      },
    });
    assert.deepEqual(pvr.spec, {
      pod: { kind: 'Pod', namespace: 'app2', name: 'db-0', uid: 'new-uid' },
      volume: 'data',
      backupStorageLocation: 'primary',
      repoIdentifier: '',
      uploaderType: 'kopia',
      snapshotID: 'snap-data',
      sourceNamespace: 'app',
      uploaderSettings: { WriteSparseFiles: 'true', ParallelFilesDownload: '4' },
      snapshotSize: 1024,
    });
  });

  test('a Restore that is not stored in the cluster (a tenant restore) owns no PodVolumeRestore', () => {
    const [data] = volumesToRestore(pod, 'app', indexPodVolumeBackups(pvbs), { backupStorageLocation: '' });
    assert.ok(data);
    const pvr = podVolumeRestoreObject({
      restore: { name: 'tenant-t1', uid: 'tuid', namespace: 'velero', stored: false },
      pod,
      sourceNamespace: 'app',
      volume: data,
      backupStorageLocation: 'tenant-loc',
      repoIdentifier: '',
      uploaderSettings: {},
    });
    assert.equal(pvr.metadata.ownerReferences, undefined);
    assert.equal(pvr.metadata.labels?.['velero.io/restore-uid'], 'tuid');
  });

  test("a kopia PVB's directory-times snapshot (Skiff's annotation) goes onto its PodVolumeRestore; without it nothing is added", () => {
    const annotated = structuredClone(pvb('db-0', 'data', 'snap-data')) as KubeObject;
    annotated.metadata.annotations = { ...annotated.metadata.annotations, 'skiff.io/dir-times-snapshot': 'snap-times' };
    const make = (list: unknown[], dataOnly: boolean): KubeObject => {
      const [data] = volumesToRestore(pod, 'app', indexPodVolumeBackups(list), { backupStorageLocation: '' });
      assert.ok(data);
      return podVolumeRestoreObject({
        restore: { name: 'r1', uid: 'ruid', namespace: 'velero' },
        pod,
        sourceNamespace: 'app',
        volume: data,
        backupStorageLocation: 'primary',
        repoIdentifier: '',
        uploaderSettings: {},
        dataOnly,
      });
    };
    assert.deepEqual(make([annotated], false).metadata.annotations, { 'skiff.io/dir-times-snapshot': 'snap-times' });
    assert.deepEqual(make([annotated], true).metadata.annotations, {
      'skiff.io/data-only': 'true',
      'skiff.io/dir-times-snapshot': 'snap-times',
    });
    assert.equal(make(pvbs, false).metadata.annotations, undefined, "a Velero backup's PVB has no record");
  });

  test('outcome: failures and, after the deadline, unfinished restores name pod, volume and message', () => {
    const pvr = (volume: string, phase: string | undefined, message?: string): KubeObject => ({
      apiVersion: 'velero.io/v1',
      kind: 'PodVolumeRestore',
      metadata: { name: volume },
      spec: { pod: { namespace: 'app', name: 'db-0' }, volume },
      ...(phase ? { status: { phase, ...(message ? { message } : {}) } } : {}),
    });
    const list = [
      pvr('a', 'Completed'),
      pvr('b', 'Failed', 'snapshot not found'),
      pvr('c', 'InProgress'),
      pvr('d', undefined),
    ];
    assert.deepEqual(judgePodVolumeRestores(list, false), {
      completed: 1,
      pending: 2,
      problems: [{ pod: 'app/db-0', volume: 'b', message: 'failed: snapshot not found' }],
    });
    assert.deepEqual(
      judgePodVolumeRestores(list, true).problems.map((p) => `${p.volume}: ${p.message}`),
      ['b: failed: snapshot not found', 'c: timed out in phase InProgress', 'd: timed out in phase New'],
    );
  });

  test('the wait honours velero.io/pod-volume-timeout and says when it cannot', () => {
    assert.deepEqual(podVolumeTimeoutMs({ 'velero.io/pod-volume-timeout': '90s' }, 5), { ms: 90_000 });
    assert.deepEqual(podVolumeTimeoutMs(undefined, 5), { ms: 5 });
    const bad = podVolumeTimeoutMs({ 'velero.io/pod-volume-timeout': 'soon' }, 5);
    assert.equal(bad.ms, 5);
    assert.match(bad.warning ?? '', /velero\.io\/pod-volume-timeout/);
  });

  test('image: no registry part falls back to the default, no tag gets the server tag', () => {
    assert.equal(restoreWaitImage(undefined), 'skiff/skiff:0.1.0');
    assert.equal(restoreWaitImage('helper'), 'skiff/skiff:0.1.0');
    assert.equal(restoreWaitImage('reg.io/team/helper'), 'reg.io/team/helper:0.1.0');
    assert.equal(restoreWaitImage('reg.io:5000/team/helper:v2'), 'reg.io:5000/team/helper:v2');
  });
});
