import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { readBackupArchive } from '../../../src/archive/index.ts';
import { BackupStore } from '../../../src/storage/backup-store.ts';
import { readAll } from '../../../src/storage/object-store.ts';
import { handedOverTarball, handOverOldTarball, missingContents } from '../../../src/tenant/exec/adoption-snapshots.ts';
import { TamperedBackupError } from '../../../src/tenant/exec/seal.ts';
import {
  resealReplacedTarball,
  sealBackup,
  storedTarballSha256,
  verifyBackupSeal,
} from '../../../src/tenant/exec/seal-store.ts';
import { aBackupArchive } from '../../helpers/archive-builder.ts';
import { MemoryObjectStore } from '../../helpers/memory-object-store.ts';

const names = { from: 'tenant-old', to: 'tenant-new' };
const SNAP = 'snapshot.storage.k8s.io';
const mtime = new Date('2026-12-01T00:00:00Z');

function snapshotArchive() {
  const labels = { 'velero.io/backup-name': 'tenant-old', 'velero.io/backup-uid': 'u1' };
  return aBackupArchive()
    .item({ resource: 'configmaps', namespace: 'team-a', name: 'settings', kind: 'ConfigMap' })
    .item({
      group: SNAP,
      resource: 'volumesnapshots',
      namespace: 'team-a',
      name: 'velero-data-abcde',
      object: {
        apiVersion: `${SNAP}/v1`,
        kind: 'VolumeSnapshot',
        metadata: { name: 'velero-data-abcde', namespace: 'team-a', labels },
        status: { boundVolumeSnapshotContentName: 'snapcontent-1' },
      },
    })
    .item({
      group: SNAP,
      resource: 'volumesnapshotcontents',
      name: 'snapcontent-1',
      object: {
        apiVersion: `${SNAP}/v1`,
        kind: 'VolumeSnapshotContent',
        metadata: { name: 'snapcontent-1', labels },
        spec: { driver: 'hostpath.csi.skiff.dev' },
        status: { snapshotHandle: 'h-1' },
      },
    });
}

async function entries(body: Buffer): Promise<Map<string, Record<string, unknown> | string>> {
  const out = new Map<string, Record<string, unknown> | string>();
  const { Readable } = await import('node:stream');
  for await (const r of readBackupArchive(Readable.from([body]))) {
    if (r.kind === 'item') out.set(r.path, r.object);
    else if (r.kind === 'metadata') out.set(r.path, r.data.toString());
  }
  return out;
}

const labelsOf = (o: unknown) => (o as { metadata: { labels?: Record<string, string> } }).metadata.labels;

describe('hand-over of CSI snapshots in the tarballs', () => {
  test('the copy’s snapshot objects name the new backup; everything else is as it was, at the same paths', async () => {
    const original = await entries(await snapshotArchive().gzip());
    const copy = handedOverTarball(await snapshotArchive().stream(), names, mtime);
    const rewritten = await entries(await readAll(copy.body));
    assert.deepEqual([...rewritten.keys()], [...original.keys()]);
    for (const [path, value] of rewritten) {
      if (path.includes(SNAP)) assert.deepEqual(labelsOf(value), { 'velero.io/backup-name': 'tenant-new' }, path);
      else assert.deepEqual(value, original.get(path), path);
    }
    assert.deepEqual([...copy.contents()], ['snapcontent-1']);
    assert.deepEqual(missingContents({ contents: ['snapcontent-1', 'snapcontent-2'], copy: {} }, copy.contents()), [
      'snapcontent-2',
    ]);
  });

  test('an entry outside Velero’s layout stops the copy instead of being dropped', async () => {
    const odd = await snapshotArchive().file('extras/notes.txt', 'hello').stream();
    await assert.rejects(readAll(handedOverTarball(odd, names, mtime).body), /extras\/notes\.txt cannot be carried/);
  });

  test('the old backup gives them up and is sealed again for its namespace; a changed tarball is still refused', async () => {
    const store = new BackupStore(new MemoryObjectStore(), 'tenants/uid-old/');
    const key = Buffer.alloc(32, 3);
    await store.putBackupMetadata('tenant-old', { metadata: { name: 'tenant-old' } });
    await store.putBackupContents('tenant-old', await snapshotArchive().gzip());
    const { contentDigest: sealed } = await sealBackup(store, 'tenant-old', key, 'uid-old');

    // A tarball swapped after the seal check is refused in the read that rewrites it; nothing is stored.
    const swapped = await aBackupArchive().gzip();
    await store.putBackupContents('tenant-old', swapped);
    await assert.rejects(
      handOverOldTarball(store, names, mtime, { sealed, record: () => Promise.reject(new Error('not recorded')) }),
      /tarball was changed after the backup/,
    );
    assert.deepEqual(await readAll(await store.getBackupContents('tenant-old')), swapped);
    await store.putBackupContents('tenant-old', await snapshotArchive().gzip());

    const recorded: string[] = [];
    const sha = await handOverOldTarball(store, names, mtime, {
      sealed,
      record: (s) => {
        recorded.push(s);
        return Promise.resolve();
      },
    });
    assert.ok(sha);
    assert.deepEqual(recorded, [sha], 'the digest is recorded before the tarball is stored');
    assert.equal(await storedTarballSha256(store, 'tenant-old'), sha);
    await assert.rejects(verifyBackupSeal(store, 'tenant-old', key, 'uid-old'), TamperedBackupError);
    await resealReplacedTarball(store, 'tenant-old', key, 'uid-old', { tarballSha256: sha });
    await verifyBackupSeal(store, 'tenant-old', key, 'uid-old');
    for (const [path, value] of await entries(await readAll(await store.getBackupContents('tenant-old'))))
      if (path.includes(SNAP)) assert.equal(labelsOf(value)?.['velero.io/backup-name'], 'tenant-new', path);
    // Again (an adoption run a second time): nothing left to hand over, nothing stored.
    assert.equal(
      await handOverOldTarball(store, names, mtime, {
        sealed: sha,
        record: () => Promise.reject(new Error('not recorded')),
      }),
      undefined,
    );

    // A tarball other than the recorded one is not sealed again.
    await store.putBackupContents('tenant-old', await aBackupArchive().gzip());
    await assert.rejects(
      resealReplacedTarball(store, 'tenant-old', key, 'uid-old', { tarballSha256: sha }),
      /tarball was changed/,
    );
  });

  test('an emptied legacy contents file is sealed again with the tarball; any other content there is refused', async () => {
    const store = new BackupStore(new MemoryObjectStore(), 'tenants/uid-old/');
    const key = Buffer.alloc(32, 3);
    await store.putBackupMetadata('tenant-old', { metadata: { name: 'tenant-old' } });
    await store.putBackupContents('tenant-old', await snapshotArchive().gzip());
    await store.putBackupFile('tenant-old', 'csiVolumeSnapshotContents', [{ metadata: { name: 'snapcontent-1' } }]);
    await sealBackup(store, 'tenant-old', key, 'uid-old');

    await store.putBackupFile('tenant-old', 'csiVolumeSnapshotContents', []);
    await resealReplacedTarball(store, 'tenant-old', key, 'uid-old', { emptied: ['csiVolumeSnapshotContents'] });
    await verifyBackupSeal(store, 'tenant-old', key, 'uid-old');

    await store.putBackupFile('tenant-old', 'csiVolumeSnapshotContents', [{ metadata: { name: 'other' } }]);
    await assert.rejects(
      resealReplacedTarball(store, 'tenant-old', key, 'uid-old', { emptied: ['csiVolumeSnapshotContents'] }),
      /csiVolumeSnapshotContents record was changed/,
    );
    // The tarball was not handed over: a changed one is refused, not sealed again.
    await store.putBackupFile('tenant-old', 'csiVolumeSnapshotContents', []);
    await store.putBackupContents('tenant-old', await aBackupArchive().gzip());
    await assert.rejects(
      resealReplacedTarball(store, 'tenant-old', key, 'uid-old', { emptied: ['csiVolumeSnapshotContents'] }),
      /tarball was changed/,
    );
  });

  test('an emptied native snapshots file is sealed again; a changed volume info next to it is still refused', async () => {
    const store = new BackupStore(new MemoryObjectStore(), 'tenants/uid-old/');
    const key = Buffer.alloc(32, 4);
    await store.putBackupMetadata('tenant-old', { metadata: { name: 'tenant-old' } });
    await store.putBackupContents('tenant-old', await aBackupArchive().gzip());
    await store.putBackupFile('tenant-old', 'volumeSnapshots', [{ spec: { backupName: 'tenant-old' } }]);
    await store.putBackupFile('tenant-old', 'volumeInfo', []);
    await sealBackup(store, 'tenant-old', key, 'uid-old');

    await store.putBackupFile('tenant-old', 'volumeSnapshots', []);
    await store.putBackupFile('tenant-old', 'volumeInfo', [{ pvcName: 'planted' }]);
    await assert.rejects(
      resealReplacedTarball(store, 'tenant-old', key, 'uid-old', { emptied: ['volumeSnapshots'] }),
      /volumeInfo record was changed/,
    );
    await store.putBackupFile('tenant-old', 'volumeInfo', []);
    await resealReplacedTarball(store, 'tenant-old', key, 'uid-old', { emptied: ['volumeSnapshots'] });
    await verifyBackupSeal(store, 'tenant-old', key, 'uid-old');
  });

  test("the copy's tarball holds its DataUploads in the new location; one of another location is named", async () => {
    const upload = (name: string, location: string) => ({
      group: 'velero.io',
      resource: 'datauploads',
      namespace: 'skiff',
      name,
      object: {
        apiVersion: 'velero.io/v2alpha1',
        kind: 'DataUpload',
        metadata: { name, namespace: 'skiff', labels: { 'velero.io/backup-name': 'tenant-old' } },
        spec: { sourcePVC: 'data', sourceNamespace: 'team-a', backupStorageLocation: location },
      },
    });
    const archive = await aBackupArchive()
      .item(upload('tenant-old-a', 'tenant-uid-old'))
      .item(upload('tenant-old-b', 'elsewhere'))
      .gzip();
    const moved = { oldLocation: 'tenant-uid-old', newLocation: 'tenant-uid-new' };
    const copy = handedOverTarball(Readable.from([archive]), names, mtime, moved);
    const got = new Map<string, { labels?: unknown; location?: unknown }>();
    for await (const rec of readBackupArchive(Readable.from([await readAll(copy.body)])))
      if (rec.kind === 'item') {
        const o = rec.object as {
          metadata: { name: string; labels?: unknown };
          spec: { backupStorageLocation?: unknown };
        };
        got.set(o.metadata.name, { labels: o.metadata.labels, location: o.spec.backupStorageLocation });
      }
    assert.deepEqual(got.get('tenant-old-a'), {
      labels: { 'velero.io/backup-name': 'tenant-new' },
      location: 'tenant-uid-new',
    });
    assert.equal(got.get('tenant-old-b')?.location, 'elsewhere');
    assert.deepEqual(copy.problems(), [
      "DataUpload tenant-old-b, whose data is in location elsewhere, not the old backup's tenant-uid-old",
    ]);
  });
});
