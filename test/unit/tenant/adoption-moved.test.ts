import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  adoptedDataUpload,
  movedSnapshotsByRepository,
  withMovedCopies,
} from '../../../src/tenant/exec/adoption-moved.ts';
import { planAdoptionVolumes, type StoredVolumeData } from '../../../src/tenant/exec/adoption-volumes.ts';

const names = {
  from: 'tenant-old',
  to: 'tenant-new',
  oldLocation: 'tenant-uid-old',
  newLocation: 'tenant-uid-new',
  resticIdentifier: (ns: string) => `s3:http://minio/bucket/tenants/uid-new/restic/${ns}`,
};

const none: StoredVolumeData = {
  podVolumeBackups: undefined,
  volumeSnapshots: undefined,
  volumeInfo: undefined,
  csiVolumeSnapshots: undefined,
  csiVolumeSnapshotContents: undefined,
  itemOperations: undefined,
};

function movedInfo(pvc: string, namespace = 'team-a', location = 'tenant-uid-old') {
  return {
    pvcName: pvc,
    pvcNamespace: namespace,
    backupMethod: 'CSISnapshot',
    snapshotDataMoved: true,
    csiSnapshotInfo: { snapshotHandle: `h-${pvc}`, driver: 'hostpath.csi.skiff.dev', vscName: `vsc-${pvc}` },
    snapshotDataMovementInfo: {
      dataMover: 'velero',
      uploaderType: 'kopia',
      snapshotHandle: `k-${pvc}`,
      operationID: `du-u-old.${pvc}`,
      storageLocation: location,
    },
  };
}

function operation(pvc: string, action = 'velero.io/csi-pvc-backupper') {
  return {
    spec: {
      backupName: 'tenant-old',
      backupUID: 'u-old',
      backupItemAction: action,
      resourceIdentifier: { Group: '', Resource: 'persistentvolumeclaims', Namespace: 'team-a', Name: pvc },
      operationID: `du-u-old.${pvc}`,
      postOperationItems: [{ Group: 'velero.io', Resource: 'datauploads', Namespace: 'skiff', Name: `up-${pvc}` }],
    },
    status: { phase: 'Completed' },
  };
}

function dataUpload(location = 'tenant-uid-old') {
  return {
    apiVersion: 'velero.io/v2alpha1',
    kind: 'DataUpload',
    metadata: {
      name: 'tenant-old-x7k2p',
      namespace: 'skiff',
      labels: { 'velero.io/backup-name': 'tenant-old', 'velero.io/backup-uid': 'u-old', 'velero.io/pvc-uid': 'p1' },
      ownerReferences: [{ apiVersion: 'velero.io/v1', kind: 'Backup', name: 'tenant-old', uid: 'u-old' }],
    },
    spec: { sourcePVC: 'data-db-0', sourceNamespace: 'team-a', backupStorageLocation: location },
    status: { phase: 'Completed', snapshotID: 'k1', dataMoverResult: { 'skiff.io/dir-times-snapshot': 'k2' } },
  };
}

describe('adoption of data-mover uploads and native snapshots (pure)', () => {
  test('moved data: its kopia repositories are copied, volume info and operations name the new backup and location', () => {
    const plan = planAdoptionVolumes(
      {
        ...none,
        volumeInfo: [movedInfo('data-db-0'), movedInfo('data-db-1'), movedInfo('data-x', 'team-a2')],
        itemOperations: [operation('data-db-0'), operation('data-db-1'), operation('data-x')],
      },
      names,
    );
    assert.ok(!('refused' in plan), JSON.stringify(plan));
    // The data mover writes into the namespace's kopia repository, the one file-system backups use.
    assert.deepEqual(plan.repositories, [
      { type: 'kopia', volumeNamespace: 'team-a' },
      { type: 'kopia', volumeNamespace: 'team-a2' },
    ]);
    assert.equal(plan.csi, undefined, 'moved data leaves no CSI snapshot to hand over');
    const info = plan.moved?.volumeInfo as ReturnType<typeof movedInfo>[];
    assert.deepEqual(
      info.map((i) => i.snapshotDataMovementInfo.storageLocation),
      ['tenant-uid-new', 'tenant-uid-new', 'tenant-uid-new'],
    );
    // The kopia snapshot keeps its ID: the repository is copied whole.
    assert.equal(info[0]?.snapshotDataMovementInfo.snapshotHandle, 'k-data-db-0');
    const ops = plan.moved?.itemOperations as ReturnType<typeof operation>[];
    assert.deepEqual(
      ops.map((o) => [o.spec.backupName, o.spec.backupUID, o.spec.operationID]),
      [
        ['tenant-new', '', 'du-u-old.data-db-0'],
        ['tenant-new', '', 'du-u-old.data-db-1'],
        ['tenant-new', '', 'du-u-old.data-x'],
      ],
    );
  });

  test('file-system backups and moved data of one namespace share one repository copy', () => {
    const plan = planAdoptionVolumes(
      {
        ...none,
        podVolumeBackups: [
          {
            metadata: { name: 'tenant-old-a' },
            spec: {
              pod: { namespace: 'team-a', name: 'app' },
              backupStorageLocation: 'tenant-uid-old',
              uploaderType: 'kopia',
            },
            status: { snapshotID: 'k9' },
          },
        ],
        volumeInfo: [movedInfo('data-db-0')],
      },
      names,
    );
    assert.ok(!('refused' in plan), JSON.stringify(plan));
    assert.deepEqual(plan.repositories, [{ type: 'kopia', volumeNamespace: 'team-a' }]);
    assert.equal(plan.moved?.itemOperations, undefined, 'a backup without the file gets none');
  });

  test('a stored DataUpload is rewritten for the copy; one of another location is a problem', () => {
    const got = adoptedDataUpload(dataUpload(), names);
    assert.ok(got && 'object' in got);
    const du = got.object as ReturnType<typeof dataUpload>;
    assert.equal(du.metadata.name, 'tenant-old-x7k2p', 'the operations name it');
    assert.equal(du.spec.backupStorageLocation, 'tenant-uid-new');
    assert.deepEqual(du.metadata.labels, { 'velero.io/backup-name': 'tenant-new', 'velero.io/pvc-uid': 'p1' });
    assert.deepEqual(du.metadata.ownerReferences, [
      { apiVersion: 'velero.io/v1', kind: 'Backup', name: 'tenant-new', uid: '' },
    ]);
    assert.deepEqual(du.status, dataUpload().status);
    // An earlier run's rewrite needs none; another location's data is not in the copied repository.
    assert.equal(adoptedDataUpload(du, names), undefined);
    assert.deepEqual(adoptedDataUpload(dataUpload('default'), names), {
      problem: "DataUpload tenant-old-x7k2p, whose data is in location default, not the old backup's tenant-uid-old",
    });
  });

  test('snapshots copied into the new namespace’s own repository: the copy’s DataUpload names the copies', () => {
    const copies = new Map([
      [
        'team-a',
        new Map([
          ['k1', 'c1'],
          ['k2', 'c2'],
        ]),
      ],
    ]);
    const got = adoptedDataUpload(dataUpload(), names, copies);
    assert.ok(got && 'object' in got);
    const du = got.object as ReturnType<typeof dataUpload>;
    assert.equal(du.spec.backupStorageLocation, 'tenant-uid-new');
    assert.deepEqual(du.status, {
      phase: 'Completed',
      snapshotID: 'c1',
      dataMoverResult: { 'skiff.io/dir-times-snapshot': 'c2' },
    });
    // Another namespace's copies do not apply: this one's repository was copied whole, IDs kept.
    const whole = adoptedDataUpload(dataUpload(), names, new Map([['team-b', new Map([['k1', 'x']])]]));
    assert.ok(whole && 'object' in whole);
    assert.deepEqual(whole.object.status, dataUpload().status);
    // An inline directory-times record is no snapshot: it stays.
    const inline = dataUpload();
    inline.status.dataMoverResult['skiff.io/dir-times-snapshot'] = 'inline:H4sI';
    const kept = adoptedDataUpload(inline, names, copies);
    assert.ok(kept && 'object' in kept);
    assert.deepEqual(kept.object.status, { ...inline.status, snapshotID: 'c1' });
  });

  test('a DataUpload whose snapshot has no copy in the new namespace’s repository is a problem, naming it', () => {
    assert.deepEqual(adoptedDataUpload(dataUpload(), names, new Map([['team-a', new Map([['k1', 'c1']])]])), {
      problem:
        'DataUpload tenant-old-x7k2p, whose snapshot k2 was not copied into the repository of namespace team-a in location tenant-uid-new',
    });
    assert.deepEqual(adoptedDataUpload(dataUpload(), names, new Map([['team-a', new Map()]])), {
      problem:
        'DataUpload tenant-old-x7k2p, whose snapshot k1 was not copied into the repository of namespace team-a in location tenant-uid-new',
    });
  });

  test('the snapshots to copy, by repository: data and directory times of the old location, inline records left out', () => {
    const key = (volumeNamespace: string, location = 'tenant-uid-old') => ({
      type: 'kopia' as const,
      volumeNamespace,
      location,
    });
    const got = movedSnapshotsByRepository(
      [
        { key: key('team-a'), snapshotID: 'k3', from: 'DataUpload b' },
        { key: key('team-a'), snapshotID: 'k1', from: 'DataUpload a' },
        { key: key('team-a'), snapshotID: 'k2', from: 'DataUpload a' },
        { key: key('team-a'), snapshotID: 'inline:H4sI', from: 'DataUpload b' },
        { key: key('team-a'), snapshotID: 'k1', from: 'DataUpload a' },
        { key: key('team-a2'), snapshotID: 'k9', from: 'DataUpload c' },
        { key: key('team-a', 'default'), snapshotID: 'k7', from: 'DataUpload d' },
      ],
      'tenant-uid-old',
    );
    assert.deepEqual(
      [...got],
      [
        ['kopia/team-a', ['k1', 'k2', 'k3']],
        ['kopia/team-a2', ['k9']],
      ],
    );
  });

  test('the volume info names the copies of moved snapshots where its namespace’s were copied', () => {
    const first = movedInfo('data-db-0');
    const info = [first, movedInfo('data-db-1'), movedInfo('data-x', 'team-a2'), { pvcName: 'fs' }];
    const got = withMovedCopies(info, new Map([['team-a', new Map([['k-data-db-0', 'c0']])]]));
    assert.deepEqual(
      got.map(
        (v) =>
          (v as { snapshotDataMovementInfo?: { snapshotHandle?: string } }).snapshotDataMovementInfo?.snapshotHandle,
      ),
      ['c0', 'k-data-db-1', 'k-data-x', undefined],
    );
    assert.equal(first.snapshotDataMovementInfo.snapshotHandle, 'k-data-db-0', 'the input is left alone');
  });

  test('native snapshots are handed over: the copy lists them for the new backup, the old one lists none', () => {
    const snapshot = {
      spec: {
        backupName: 'tenant-old',
        backupUID: 'u-old',
        location: 'aws-default',
        persistentVolumeName: 'pv-1',
        providerVolumeID: 'vol-1',
      },
      status: { providerSnapshotID: 'snap-1', phase: 'Completed' },
    };
    const plan = planAdoptionVolumes({ ...none, volumeSnapshots: [snapshot] }, names);
    assert.ok(!('refused' in plan), JSON.stringify(plan));
    assert.deepEqual(plan.native, {
      copy: [{ ...snapshot, spec: { ...snapshot.spec, backupName: 'tenant-new', backupUID: '' } }],
      old: [],
    });
    // Skiff's own backups write an empty file: nothing to hand over, the old file stays.
    const empty = planAdoptionVolumes({ ...none, volumeSnapshots: [] }, names);
    assert.deepEqual(empty, { repositories: [] });
    const broken = planAdoptionVolumes({ ...none, volumeSnapshots: { not: 'a list' } }, names);
    assert.deepEqual(broken, { refused: ['volume snapshots that are not a list'] });
  });
});
