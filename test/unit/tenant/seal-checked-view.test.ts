/**
 * A tenant restore acts on the bytes its seal check read: a companion file replaced, added or
 * removed in the bucket after the check is not what the restore sees. On the filesystem store
 * (a real store provider; no server needed for this).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BackupStore, collect } from '../../../src/storage/index.ts';
import { PinnedObjectStore } from '../../../src/storage/pinned-object-store.ts';
import { FilesystemObjectStore } from '../../../src/storage/providers/filesystem/index.ts';
import { sealBackup, verifySealExceptTarball } from '../../../src/tenant/exec/seal-store.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

const key = randomBytes(32);

/** A filesystem store with its bucket folder made. */
function fsStore(prefix: string): FilesystemObjectStore {
  const root = tempDir(prefix);
  mkdirSync(join(root, 'bucket'));
  return new FilesystemObjectStore(root, 'bucket');
}
const uid = '0b6c2a8e-1f4d-4c1b-9a57-3d2e8f0c1a11';
const record = (snapshotID: string): unknown[] => [
  { metadata: { name: 'pvb-1' }, spec: { volume: 'data' }, status: { snapshotID } },
];

async function sealedBackup(): Promise<BackupStore> {
  const store = new BackupStore(fsStore('skiff-seal-view-'), 'prefix');
  await store.putBackupMetadata('b1', { metadata: { name: 'b1' }, spec: {} });
  await store.putBackupContents('b1', Buffer.from('not really a tarball'));
  await store.putBackupFile('b1', 'podVolumeBackups', record('aaaa'));
  await sealBackup(store, 'b1', key, uid);
  return store;
}

test('after the seal check, a companion file changed in the bucket is still read as it was checked', async () => {
  const store = await sealedBackup();
  const { checked } = await verifySealExceptTarball(store, 'b1', key, uid);
  // Someone with write access to the bucket swaps the volume record and plants another file.
  await store.putBackupFile('b1', 'podVolumeBackups', record('bbbb'));
  await store.putBackupFile('b1', 'volumeSnapshots', [{ spec: { backupName: 'b1' } }]);
  assert.deepEqual(await checked.getBackupFile('b1', 'podVolumeBackups'), record('aaaa'));
  assert.equal(await checked.getBackupFile('b1', 'volumeSnapshots'), undefined, 'absent when checked, absent now');
  assert.equal(await checked.objectStore.objectExists(checked.layout.backupKey('b1', 'volumeSnapshots')), false);
  // The store itself sees the change; a fresh check refuses it.
  assert.deepEqual(await store.getBackupFile('b1', 'podVolumeBackups'), record('bbbb'));
  await assert.rejects(verifySealExceptTarball(store, 'b1', key, uid), /podVolumeBackups record was changed/);
});

test('the seal check reads each sealed file once and lists nothing: the pins say which exist', async () => {
  const store = await sealedBackup();
  const lists: string[] = [];
  const reads: string[] = [];
  const inner = store.objectStore;
  const counting = Object.assign(Object.create(inner) as FilesystemObjectStore, {
    listObjects: (prefix: string) => {
      lists.push(prefix);
      return inner.listObjects(prefix);
    },
    getObject: (key: string) => {
      reads.push(key);
      return inner.getObject(key);
    },
  });
  await verifySealExceptTarball(new BackupStore(counting, 'prefix'), 'b1', key, uid);
  assert.deepEqual(lists, []);
  assert.equal(reads.length, new Set(reads).size, `a file read twice: ${reads.join(', ')}`);
});

test('the checked view lists a pinned folder as it was read, and refuses to write a checked file', async () => {
  const store = await sealedBackup();
  const { checked } = await verifySealExceptTarball(store, 'b1', key, uid);
  const dir = store.layout.backupDir('b1');
  const before = await collect(checked.objectStore.listObjects(dir));
  await store.objectStore.deleteObject(store.layout.backupKey('b1', 'podVolumeBackups'));
  await store.putBackupFile('b1', 'volumeSnapshots', []);
  assert.deepEqual(await collect(checked.objectStore.listObjects(dir)), before);
  // Files outside the seal (the tarball, a restore's own files) are the bucket's as they are now.
  await store.putBackupContents('b1', Buffer.from('changed'));
  assert.equal((await collect(await checked.getBackupContents('b1'))).join(''), 'changed');
  await assert.rejects(checked.putBackupFile('b1', 'podVolumeBackups', []), /is pinned: it is read-only here/);
});

test('pinning reads each key once; a key that cannot be read is an error, not an absence', async () => {
  const inner = fsStore('skiff-pin-');
  await inner.putObject('a/one', 'first');
  const pinned = await PinnedObjectStore.pin(inner, ['a/one', 'a/two']);
  await inner.putObject('a/one', 'second');
  await inner.putObject('a/two', 'planted');
  await inner.putObject('b/three', 'other');
  assert.equal((await collect(await pinned.getObject('a/one'))).join(''), 'first');
  await assert.rejects(pinned.getObject('a/two'), /not found/);
  assert.equal((await collect(await pinned.getObject('b/three'))).join(''), 'other', 'unpinned keys pass through');
  assert.deepEqual(await collect(pinned.listObjects('a/')), ['a/one']);
  assert.deepEqual(await collect(pinned.listObjects('b/')), ['b/three']);
  const failing = Object.assign(Object.create(inner) as FilesystemObjectStore, {
    getObject: () => Promise.reject(new Error('connection reset')),
  });
  await assert.rejects(PinnedObjectStore.pin(failing, ['a/one']), /connection reset/);
});
