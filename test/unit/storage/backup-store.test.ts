import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { describe, test } from 'node:test';
import { BackupStore } from '../../../src/storage/backup-store.ts';
import {
  CorruptBackupMetadataError,
  InvalidBackupStoreError,
  ObjectNotFoundError,
} from '../../../src/storage/errors.ts';
import { validateLocation } from '../../../src/storage/location.ts';
import { readAll } from '../../../src/storage/object-store.ts';
import { MemoryObjectStore } from '../../helpers/memory-object-store.ts';

const backupCR = {
  apiVersion: 'velero.io/v1',
  kind: 'Backup',
  metadata: { name: 'b1' },
  status: { phase: 'Completed' },
};
const results = { errors: {}, warnings: { namespaces: { ns1: ['w'] } } };

function setup(prefix = 'team-a/') {
  const mem = new MemoryObjectStore();
  return { mem, store: new BackupStore(mem, prefix) };
}

const gunzipText = (mem: MemoryObjectStore, key: string): string => {
  const data = mem.objects.get(key);
  assert.ok(data, `expected object ${key}`);
  return gunzipSync(data).toString('utf8');
};

describe('BackupStore key layout (reference §2.2, §2.3)', () => {
  test('a backup’s files go to the keys Velero writes, under <prefix>/backups/<name>/', async () => {
    const { mem, store } = setup('/team-a/');
    await store.putBackupLog('b1', 'log line\n');
    await store.putBackupContents('b1', Buffer.from('tarball'));
    const files = {
      results,
      resourceList: { 'v1/Pod': ['ns1/p'] },
      itemOperations: [],
      volumeSnapshots: [],
      podVolumeBackups: [],
      volumeInfo: [],
    };
    for (const [file, value] of Object.entries(files)) await store.putBackupFile('b1', file as never, value);
    await store.putBackupMetadata('b1', backupCR);
    assert.deepEqual(mem.keys(), [
      'team-a/backups/b1/b1-itemoperations.json.gz',
      'team-a/backups/b1/b1-logs.gz',
      'team-a/backups/b1/b1-podvolumebackups.json.gz',
      'team-a/backups/b1/b1-resource-list.json.gz',
      'team-a/backups/b1/b1-results.gz',
      'team-a/backups/b1/b1-volumeinfo.json.gz',
      'team-a/backups/b1/b1-volumesnapshots.json.gz',
      'team-a/backups/b1/b1.tar.gz',
      'team-a/backups/b1/velero-backup.json',
    ]);
  });

  test('velero-backup.json is pretty JSON, not gzipped; companions are gzipped compact JSON with a newline', async () => {
    const { mem, store } = setup('');
    await store.putBackupMetadata('b1', backupCR);
    await store.putBackupFile('b1', 'results', results);
    assert.equal(mem.text('backups/b1/velero-backup.json'), `${JSON.stringify(backupCR, null, 2)}\n`);
    assert.equal(gunzipText(mem, 'backups/b1/b1-results.gz'), `${JSON.stringify(results)}\n`);
    assert.deepEqual(await store.getBackupMetadata('b1'), backupCR);
    assert.deepEqual(await store.getBackupFile('b1', 'results'), results);
  });

  test('logs are gzipped on the way in and gunzipped on the way out', async () => {
    const { mem, store } = setup('');
    await store.putBackupLog('b1', 'first\nsecond\n');
    assert.equal(gunzipText(mem, 'backups/b1/b1-logs.gz'), 'first\nsecond\n');
    assert.equal((await readAll(await store.getBackupLog('b1'))).toString(), 'first\nsecond\n');
  });

  test('legacy CSI files are read from their Velero ≤1.16 keys; an absent companion is undefined', async () => {
    const { store } = setup('');
    await store.putBackupFile('b1', 'csiVolumeSnapshots', [{ kind: 'VolumeSnapshot' }]);
    assert.deepEqual(await store.getBackupFile('b1', 'csiVolumeSnapshots'), [{ kind: 'VolumeSnapshot' }]);
    assert.equal(
      store.layout.backupKey('b1', 'csiVolumeSnapshotContents'),
      'backups/b1/b1-csi-volumesnapshotcontents.json.gz',
    );
    assert.equal(
      store.layout.backupKey('b1', 'csiVolumeSnapshotClasses'),
      'backups/b1/b1-csi-volumesnapshotclasses.json.gz',
    );
    assert.equal(await store.getBackupFile('b1', 'volumeInfo'), undefined);
    await assert.rejects(store.getBackupMetadata('b1'), ObjectNotFoundError);
  });

  test('a velero-backup.json that is not a JSON object is refused with an error naming the backup and key', async () => {
    const { mem, store } = setup('p');
    mem.objects.set('p/backups/b1/velero-backup.json', Buffer.from('{"apiVersion": "velero.io/v1", "kind": "Ba'));
    mem.objects.set('p/backups/b2/velero-backup.json', Buffer.from('[1, 2]'));
    await assert.rejects(store.getBackupMetadata('b1'), (err: unknown) => {
      assert.ok(err instanceof CorruptBackupMetadataError);
      assert.match(err.message, /backup "b1" \(p\/backups\/b1\/velero-backup\.json\) is unreadable: not valid JSON/);
      return true;
    });
    await assert.rejects(store.getBackupMetadata('b2'), /backup "b2" .* is unreadable: not a JSON object/);
  });

  test('restore files carry the restore- prefix, except volume info', async () => {
    const { mem, store } = setup('p');
    await store.putRestoreLog('r1', 'log');
    await store.putRestoreFile('r1', 'results', results);
    await store.putRestoreFile('r1', 'resourceList', { 'v1/Pod': ['ns/p(created)'] });
    await store.putRestoreFile('r1', 'itemOperations', []);
    await store.putRestoreFile('r1', 'volumeInfo', []);
    assert.deepEqual(mem.keys(), [
      'p/restores/r1/r1-volumeinfo.json.gz',
      'p/restores/r1/restore-r1-itemoperations.json.gz',
      'p/restores/r1/restore-r1-logs.gz',
      'p/restores/r1/restore-r1-resource-list.json.gz',
      'p/restores/r1/restore-r1-results.gz',
    ]);
    assert.deepEqual(await store.getRestoreFile('r1', 'results'), results);
    assert.equal((await readAll(await store.getRestoreLog('r1'))).toString(), 'log');
  });

  test('a name with a slash cannot address another object', () => {
    const { store } = setup('');
    assert.throws(() => store.layout.backupKey('../x', 'metadata'));
    assert.throws(() => store.layout.restoreDir('a/b'));
  });
});

describe('BackupStore listing and deletion', () => {
  test('listBackups names the backup directories, whether or not their metadata exists', async () => {
    const { store } = setup('pre');
    for (const name of ['b2', 'b1']) await store.putBackupMetadata(name, backupCR);
    await store.putBackupContents('orphan', 'tar');
    await store.putRestoreLog('r1', 'x');
    assert.deepEqual(await store.listBackups(), ['b1', 'b2', 'orphan']);
    assert.deepEqual(await store.listRestores(), ['r1']);
    assert.equal(await store.backupExists('orphan'), false, 'a backup exists iff velero-backup.json exists');
  });

  test('deleteBackup removes every object under the backup and nothing of a backup with a longer name', async () => {
    const { mem, store } = setup('');
    await store.putBackupMetadata('b1', backupCR);
    await store.putBackupContents('b1', 'tar');
    await store.putBackupLog('b1', 'l');
    await store.putBackupFile('b1', 'results', results);
    await store.putBackupMetadata('b10', backupCR);
    await store.deleteBackup('b1');
    assert.deepEqual(mem.keys(), ['backups/b10/velero-backup.json']);
  });

  test('deleteRestore removes every object under the restore', async () => {
    const { mem, store } = setup('');
    await store.putRestoreLog('r1', 'x');
    await store.putRestoreFile('r1', 'results', results);
    await store.deleteRestore('r1');
    assert.deepEqual(mem.keys(), []);
  });
});

describe('BackupStore download URLs (§1.8)', () => {
  const cases: [string, string][] = [
    ['BackupContents', 'backups/b/b.tar.gz'],
    ['BackupLog', 'backups/b/b-logs.gz'],
    ['BackupResourceList', 'backups/b/b-resource-list.json.gz'],
    ['BackupResults', 'backups/b/b-results.gz'],
    ['BackupVolumeSnapshots', 'backups/b/b-volumesnapshots.json.gz'],
    ['BackupItemOperations', 'backups/b/b-itemoperations.json.gz'],
    ['BackupVolumeInfos', 'backups/b/b-volumeinfo.json.gz'],
    ['CSIBackupVolumeSnapshots', 'backups/b/b-csi-volumesnapshots.json.gz'],
    ['CSIBackupVolumeSnapshotContents', 'backups/b/b-csi-volumesnapshotcontents.json.gz'],
    ['RestoreLog', 'restores/b/restore-b-logs.gz'],
    ['RestoreResults', 'restores/b/restore-b-results.gz'],
    ['RestoreResourceList', 'restores/b/restore-b-resource-list.json.gz'],
    ['RestoreItemOperations', 'restores/b/restore-b-itemoperations.json.gz'],
    ['RestoreVolumeInfo', 'restores/b/b-volumeinfo.json.gz'],
  ];
  for (const [kind, key] of cases) {
    test(`${kind} signs ${key} for 10 minutes`, async () => {
      const { store } = setup('');
      assert.equal(await store.getDownloadUrl(kind, 'b'), `memory://test-bucket/${key}?ttl=600`);
    });
  }

  test('an unknown kind is a validation error listing the known ones', () => {
    const { store } = setup('');
    assert.throws(() => store.getDownloadUrl('BackupEverything', 'b'), /not one of BackupLog, BackupContents/);
  });
});

describe('validateLocation (§2.1 IsValid)', () => {
  test('a store holding only Velero directories is valid', async () => {
    const { mem, store } = setup('p');
    for (const dir of ['backups', 'restores', 'kopia', 'restic', 'metadata', 'plugins'])
      mem.objects.set(`p/${dir}/x`, Buffer.from(''));
    mem.objects.set('other/x', Buffer.from(''));
    assert.deepEqual(await store.invalidTopLevelDirectories(), []);
    await assert.doesNotReject(validateLocation(store));
    // The same store with one foreign directory under the prefix is refused: the check above looked.
    mem.objects.set('p/other/x', Buffer.from(''));
    await assert.rejects(validateLocation(store), InvalidBackupStoreError);
  });

  test('foreign top-level directories make the store invalid, naming at most three', async () => {
    const { mem, store } = setup('');
    for (const dir of ['backups', 'photos', 'music', 'videos', 'zzz']) mem.objects.set(`${dir}/x`, Buffer.from(''));
    await assert.rejects(validateLocation(store), (err: unknown) => {
      assert.ok(err instanceof InvalidBackupStoreError);
      assert.deepEqual(err.invalidDirectories, ['music', 'photos', 'videos', 'zzz']);
      assert.match(err.message, /invalid top-level directories: music, photos, videos: use a dedicated bucket/);
      return true;
    });
  });

  test('the repository prefix of a namespace follows §2.5', () => {
    const { store } = setup('/p/');
    assert.equal(store.repositoryPrefix('kopia', 'ns1'), 'p/kopia/ns1/');
  });
});
