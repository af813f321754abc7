import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  copiesRepositoryObject,
  handOverSnapshotObject,
  planAdoptionVolumes,
  repositoryMarker,
  type StoredVolumeData,
} from '../../../src/tenant/exec/adoption-volumes.ts';

const names = {
  from: 'tenant-old',
  to: 'tenant-new',
  oldLocation: 'tenant-uid-old',
  newLocation: 'tenant-uid-new',
  resticIdentifier: (ns: string) => `s3:http://minio/bucket/tenants/uid-new/restic/${ns}`,
};

function pvb(
  name: string,
  extra: { uploaderType?: string; snapshotID?: string; namespace?: string; location?: string },
) {
  return {
    apiVersion: 'velero.io/v1',
    kind: 'PodVolumeBackup',
    metadata: {
      name,
      namespace: 'skiff',
      labels: { 'velero.io/backup-name': 'tenant-old', 'velero.io/backup-uid': 'u-old', 'velero.io/pvc-uid': 'p1' },
      annotations: { 'velero.io/pvc-name': 'data', 'skiff.io/dir-times-snapshot': 'k-times' },
      ownerReferences: [{ apiVersion: 'velero.io/v1', kind: 'Backup', name: 'tenant-old', uid: 'u-old' }],
    },
    spec: {
      pod: { kind: 'Pod', namespace: extra.namespace ?? 'team-a', name: 'app' },
      volume: 'data',
      backupStorageLocation: extra.location ?? 'tenant-uid-old',
      repoIdentifier: extra.uploaderType === 'restic' ? 's3:http://minio/bucket/tenants/uid-old/restic/team-a' : '',
      uploaderType: extra.uploaderType ?? 'kopia',
      tags: { backup: 'tenant-old', 'backup-uid': 'u-old', ns: 'team-a', volume: 'data' },
    },
    status: { phase: 'Completed', ...(extra.snapshotID ? { snapshotID: extra.snapshotID } : {}) },
  };
}

const none: StoredVolumeData = {
  podVolumeBackups: undefined,
  volumeSnapshots: undefined,
  volumeInfo: undefined,
  csiVolumeSnapshots: undefined,
  csiVolumeSnapshotContents: undefined,
  itemOperations: undefined,
};

function csiInfo(vscName: string, moved = false) {
  return {
    pvcName: 'data',
    pvcNamespace: 'team-a',
    backupMethod: 'CSISnapshot',
    snapshotDataMoved: moved,
    csiSnapshotInfo: { snapshotHandle: `h-${vscName}`, driver: 'hostpath.csi.skiff.dev', vscName },
  };
}

describe('adoption of volume data (pure)', () => {
  test('a backup of resources alone copies nothing and rewrites nothing', () => {
    assert.deepEqual(planAdoptionVolumes(none, names), { repositories: [] });
    assert.deepEqual(planAdoptionVolumes({ ...none, itemOperations: [] }, names), { repositories: [] });
  });

  test('file-system backups: one copy per repository, records renamed for the new backup and location', () => {
    const stored = {
      ...none,
      podVolumeBackups: [
        pvb('tenant-old-abcde', { snapshotID: 'k1' }),
        pvb('tenant-old-fghij', { snapshotID: 'k2' }),
        pvb('tenant-old-klmno', { uploaderType: 'restic', snapshotID: 'r1' }),
        pvb('tenant-old-empty', {}),
      ],
    };
    const plan = planAdoptionVolumes(stored, names);
    assert.ok(!('refused' in plan), JSON.stringify(plan));
    assert.deepEqual(plan.repositories, [
      { type: 'kopia', volumeNamespace: 'team-a' },
      { type: 'restic', volumeNamespace: 'team-a' },
    ]);
    const [first, , restic, empty] = plan.podVolumeBackups as ReturnType<typeof pvb>[];
    assert.ok(first && restic && empty);
    assert.equal(first.metadata.name, 'tenant-new-abcde');
    assert.deepEqual(first.metadata.labels, { 'velero.io/backup-name': 'tenant-new', 'velero.io/pvc-uid': 'p1' });
    assert.deepEqual(first.metadata.ownerReferences, [
      { apiVersion: 'velero.io/v1', kind: 'Backup', name: 'tenant-new', uid: '' },
    ]);
    assert.equal(first.spec.backupStorageLocation, 'tenant-uid-new');
    assert.deepEqual(first.spec.tags, { backup: 'tenant-new', ns: 'team-a', volume: 'data' });
    // The repository is copied whole: snapshot IDs (and the directory-times snapshot) stay.
    assert.equal(first.status.snapshotID, 'k1');
    assert.equal(first.metadata.annotations['skiff.io/dir-times-snapshot'], 'k-times');
    assert.equal(first.spec.repoIdentifier, '');
    assert.equal(restic.spec.repoIdentifier, 's3:http://minio/bucket/tenants/uid-new/restic/team-a');
    // A record without a snapshot needs no repository but still names the new backup.
    assert.equal(empty.metadata.name, 'tenant-new-empty');
    // The input is not changed.
    assert.equal((stored.podVolumeBackups[0] as ReturnType<typeof pvb>).metadata.name, 'tenant-old-abcde');
  });

  test('every volume namespace a backup covers has its own repository', () => {
    const plan = planAdoptionVolumes(
      {
        ...none,
        podVolumeBackups: [pvb('a', { snapshotID: 'k1' }), pvb('b', { snapshotID: 'k2', namespace: 'team-a2' })],
      },
      names,
    );
    assert.ok(!('refused' in plan));
    assert.deepEqual(
      plan.repositories.map((r) => r.volumeNamespace),
      ['team-a', 'team-a2'],
    );
  });

  test('CSI snapshots are handed over: the contents the old backup took, legacy records relabelled', () => {
    const vsc = (name: string, backup = 'tenant-old') => ({
      kind: 'VolumeSnapshotContent',
      metadata: { name, labels: { 'velero.io/backup-name': backup, 'velero.io/backup-uid': 'u-old' } },
    });
    const plan = planAdoptionVolumes(
      { ...none, volumeInfo: [csiInfo('snapcontent-2'), csiInfo('snapcontent-1')] },
      names,
    );
    assert.deepEqual(plan, { repositories: [], csi: { contents: ['snapcontent-1', 'snapcontent-2'], copy: {} } });

    const legacy = planAdoptionVolumes(
      {
        ...none,
        volumeInfo: [csiInfo('snapcontent-1')],
        csiVolumeSnapshots: [
          { kind: 'VolumeSnapshot', metadata: { name: 'vs', labels: { 'velero.io/backup-name': 'tenant-old' } } },
        ],
        csiVolumeSnapshotContents: [vsc('snapcontent-1'), vsc('made-by-the-user', 'another')],
      },
      names,
    );
    assert.ok(!('refused' in legacy) && legacy.csi);
    assert.deepEqual(legacy.csi.copy.csiVolumeSnapshotContents, [
      {
        kind: 'VolumeSnapshotContent',
        metadata: { name: 'snapcontent-1', labels: { 'velero.io/backup-name': 'tenant-new' } },
      },
      vsc('made-by-the-user', 'another'),
    ]);
    assert.deepEqual(legacy.csi.copy.csiVolumeSnapshots, [
      { kind: 'VolumeSnapshot', metadata: { name: 'vs', labels: { 'velero.io/backup-name': 'tenant-new' } } },
    ]);
    // A backup's deletion deletes every content of its legacy file: the old one keeps none.
    assert.deepEqual(legacy.csi.oldCsiVolumeSnapshotContents, []);
  });

  test('a snapshot object of another backup, or another kind, is not relabelled', () => {
    const labelled = (kind: string, backup: string) => ({
      kind,
      metadata: { name: 'x', labels: { 'velero.io/backup-name': backup } },
    });
    assert.equal(handOverSnapshotObject(labelled('VolumeSnapshotContent', 'other'), names), undefined);
    assert.equal(handOverSnapshotObject(labelled('PersistentVolumeClaim', 'tenant-old'), names), undefined);
    assert.deepEqual(
      handOverSnapshotObject(labelled('VolumeSnapshot', 'tenant-old'), names),
      labelled('VolumeSnapshot', 'tenant-new'),
    );
  });

  test('what cannot come along is refused, each named', () => {
    const plan = planAdoptionVolumes(
      {
        ...none,
        podVolumeBackups: [
          pvb('x', { snapshotID: 'k1', location: 'elsewhere' }),
          pvb('y', { snapshotID: 'k2', uploaderType: 'rsync' }),
        ],
        volumeSnapshots: [{ spec: {} }, 'not a snapshot'],
        volumeInfo: [csiInfo('a', true), csiInfo('c')],
        csiVolumeSnapshotContents: { not: 'a list' },
        itemOperations: [{ spec: { backupItemAction: 'example.io/plugin' } }, {}],
      },
      names,
    );
    assert.ok('refused' in plan);
    const text = plan.refused.join('\n');
    assert.equal(plan.refused.length, 6, text);
    assert.match(text, /volume snapshot record 1, which is not a snapshot/);
    assert.match(
      text,
      /the data-mover upload of claim team-a\/data, whose data is not in a repository of .*tenant-uid-old/,
    );
    assert.match(text, /2 item operations \(asynchronous plugin work/);
    assert.match(text, /legacy csiVolumeSnapshotContents file that is not a list/);
    const other = planAdoptionVolumes({ ...none, itemOperations: [{}] }, names);
    assert.ok('refused' in other);
    assert.match(other.refused.join('\n'), /1 item operations/);
    assert.match(text, /PodVolumeBackup x, whose snapshot is not in a repository of .*tenant-uid-old/);
    assert.match(text, /PodVolumeBackup y: uploader type "rsync"/);
  });

  test('markers and objects of a repository copy', () => {
    assert.equal(repositoryMarker('kopia'), 'kopia.repository');
    assert.equal(repositoryMarker('restic'), 'config');
    assert.equal(copiesRepositoryObject('restic', 'locks/abc'), false);
    assert.equal(copiesRepositoryObject('restic', 'data/ab/abcdef'), true);
    assert.equal(copiesRepositoryObject('kopia', 'p0123'), true);
  });
});
