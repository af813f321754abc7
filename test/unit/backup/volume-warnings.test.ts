/**
 * The backup's own warnings about pod volumes reach the places a user reads them: the
 * backup's results (through the pod volume executor's reporter) and the dry run's report.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BackupStorageLocation } from '../../../src/api/backup-storage-location.ts';
import type { BackupPlan } from '../../../src/backup/plan/backup-plan.ts';
import { dryRunVolumes } from '../../../src/backup/volumes/dry-run.ts';
import { PodVolumeBackups, type PodVolumeReporter } from '../../../src/backup/volumes/run-pod-volumes.ts';
import { resolveVolumeFields } from '../../../src/backup/volumes/settings.ts';
import type { Cluster } from '../../../src/kube/cluster.ts';
import type { KubeObject } from '../../../src/kube/object.ts';
import { ensureRepository } from '../../../src/volumes/repository/ensure.ts';

function pod(name: string, annotations: Record<string, string>, claim?: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'shop', uid: `uid-${name}`, annotations },
    spec: {
      nodeName: 'node-1',
      containers: [{ name: 'c', volumeMounts: [{ name: 'cache', mountPath: '/cache' }] }],
      volumes: [
        { name: 'cache', emptyDir: {} },
        ...(claim ? [{ name: 'data', persistentVolumeClaim: { claimName: claim } }] : []),
      ],
    },
    status: { phase: 'Running' },
  };
}

const groupedClaim: KubeObject = {
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name: 'db', namespace: 'shop', uid: 'pvc-db', labels: { 'velero.io/volume-group': 'orders' } },
  spec: { volumeName: 'pv-db', storageClassName: 'csi' },
  status: { phase: 'Bound' },
};
const csiVolume: KubeObject = {
  apiVersion: 'v1',
  kind: 'PersistentVolume',
  metadata: { name: 'pv-db' },
  spec: { csi: { driver: 'hostpath.csi.k8s.io', volumeHandle: 'h' } },
};

/** Only what the volume planning reads: claims and volumes by name; discovery finds no snapshot API. */
function fakeCluster(): Cluster {
  const objects = new Map([
    ['persistentvolumeclaims/shop/db', groupedClaim],
    ['persistentvolumes//pv-db', csiVolume],
  ]);
  return {
    find: (rt: { resource: string }, name: string, namespace?: string) =>
      Promise.resolve(objects.get(`${rt.resource}/${namespace ?? ''}/${name}`)),
    discover: () => Promise.resolve({ preferred: [] }),
  } as unknown as Cluster;
}

const plan = { skippedTypes: [] } as unknown as BackupPlan;

describe('pod volume warnings reach the backup and the dry run', () => {
  it('the pod volume executor reports the annotation warnings as backup warnings in the pod namespace', async () => {
    const fields = resolveVolumeFields({}, {}, { defaultVolumesToFsBackup: false, uploaderType: 'kopia' });
    const volumes = new PodVolumeBackups({
      cluster: fakeCluster(),
      namespace: 'velero',
      backup: { name: 'b', uid: 'uid-b' },
      location: { metadata: { name: 'default' } } as BackupStorageLocation,
      fields,
      settings: { defaultVolumesToFsBackup: false, defaultSource: fields.defaultSource, pvcsIncluded: true },
      ensureRepository,
    });
    const warned: [string, string][] = [];
    const reporter: PodVolumeReporter = {
      warn: (ns, m) => warned.push([ns, m]),
      error: (_ns, m) => assert.fail(m),
      info: () => undefined,
    };
    volumes.report(reporter);
    await volumes.startPodVolumeBackups(pod('web', { 'backup.velero.io/backup-volumes-excludes': 'cache' }));
    assert.equal(warned.length, 1, JSON.stringify(warned));
    assert.equal(warned[0]?.[0], 'shop');
    assert.match(
      warned[0]?.[1] ?? '',
      /annotation backup\.velero\.io\/backup-volumes-excludes of pod shop\/web has no effect: the backup is opt-in \(defaultVolumesToFsBackup false, set by server --default-volumes-to-fs-backup\)/,
    );
  });

  it('the dry run lists the annotation warnings and, once per claim, the volume group one', async () => {
    const out = await dryRunVolumes(
      fakeCluster(),
      { namespace: 'velero' },
      { metadata: { name: 'b' }, spec: {} },
      plan,
      [pod('a', { 'backup.velero.io/backup-volumes': 'cahce' }, 'db'), pod('b', {}, 'db')],
    );
    assert.deepEqual(out.validationErrors, []);
    assert.equal(out.warnings.length, 2, out.warnings.join('\n'));
    assert.match(
      out.warnings[0] ?? '',
      /^annotation backup\.velero\.io\/backup-volumes of pod shop\/a lists "cahce", which name no volume of the pod \(its volumes: cache, data\)/,
    );
    assert.match(
      out.warnings[1] ?? '',
      /^claim shop\/db carries label velero\.io\/volume-group=orders: it would be snapshotted on its own, not together with the other claims of group "orders" in one VolumeGroupSnapshot/,
    );
  });

  it('the dry run says a backup setting spec.volumeGroupSnapshotLabelKey would fail validation', async () => {
    const out = await dryRunVolumes(
      fakeCluster(),
      { namespace: 'velero' },
      { metadata: { name: 'b' }, spec: { volumeGroupSnapshotLabelKey: 'app.example/group' } },
      plan,
      [],
    );
    assert.match(out.validationErrors.join('\n'), /spec\.volumeGroupSnapshotLabelKey "app\.example\/group"/);
  });
});
