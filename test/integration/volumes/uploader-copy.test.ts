/**
 * Snapshots copied from one repository into another existing one (adoption into a namespace
 * that already has file-system backups, issue 17), with kopia and restic on the test
 * environment's MinIO: the copy restores the same bytes under its new ID, the target's own
 * snapshot still restores, kopia's copies of the source's other snapshots are deleted again,
 * a second copy finds the first, and each side's snapshots are forgotten without touching the other.
 */
import assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { copyBetween } from '../../../src/volumes/repository/copy-snapshots.ts';
import { repositoryPrefix } from '../../../src/volumes/repository/identity.ts';
import {
  createUploader,
  KopiaUploader,
  ResticUploader,
  type BackupResult,
  type Uploader,
} from '../../../src/volumes/uploader/index.ts';
import { digestTree, makeRichTree, treeSum } from '../../helpers/file-tree.ts';
import { uniqueName } from '../../helpers/names.ts';
import { loadTestEnv } from '../../helpers/testenv.ts';

const env = loadTestEnv();
const binaries = { kopia: join(env.bin, 'kopia'), restic: '/usr/bin/restic' };
const scratch = await mkdtemp(join(tmpdir(), 'skiff-uploader-copy-'));
after(() => rm(scratch, { recursive: true, force: true }));

function repository(type: 'kopia' | 'restic', work: string, name: string): Uploader {
  const target = {
    kind: 's3' as const,
    bucket: env.s3.bucket,
    prefix: repositoryPrefix(uniqueName(`copy-${name}`), type, 'team-a'),
    endpoint: env.s3.endpoint,
    region: env.s3.region,
    forcePathStyle: true,
    insecureSkipTLSVerify: false,
    credentials: { accessKeyId: env.s3.accessKeyId, secretAccessKey: env.s3.secretAccessKey },
  };
  return createUploader({ type, target, password: 'static-passw0rd', workDir: join(work, name) }, binaries);
}

async function listIDs(u: Uploader): Promise<string[]> {
  if (u instanceof KopiaUploader) return (await u.listSnapshots()).map((s) => s.id).sort();
  if (u instanceof ResticUploader) return (await u.listSnapshots()).map((s) => s.id).sort();
  throw new Error('not an uploader with a listing');
}

async function restoreDigest(
  u: Uploader,
  result: Pick<BackupResult, 'snapshotID' | 'dirTimesSnapshotID'>,
  dir: string,
) {
  await mkdir(dir);
  await u.restore(result.snapshotID, dir, {
    ...(result.dirTimesSnapshotID ? { dirTimesSnapshotID: result.dirTimesSnapshotID } : {}),
  });
  return digestTree(dir);
}

/** The repository IDs of a backup: its data snapshot and, unless inline, its directory-times one. */
function idsOf(r: BackupResult): string[] {
  return [
    r.snapshotID,
    ...(r.dirTimesSnapshotID && !r.dirTimesSnapshotID.startsWith('inline:') ? [r.dirTimesSnapshotID] : []),
  ];
}

for (const type of ['kopia', 'restic'] as const) {
  describe(`${type}: snapshots copied into an existing repository`, () => {
    test('the copy restores the same bytes; the target’s own snapshot and the source are untouched', async () => {
      const work = await mkdtemp(join(scratch, `${type}-`));
      const old = repository(type, work, 'old');
      const recreated = repository(type, work, 'new');
      await old.initOrConnect();
      await recreated.initOrConnect();
      const data = join(work, 'data');
      const opts = { tags: { backup: 'b', ns: 'team-a' }, source: '/team-a/data' };

      await makeRichTree(data, { largeBytes: 2 * 1024 * 1024 });
      const earlier = await old.backup(data, opts);
      await appendFile(join(data, 'docs/file-1.txt'), 'the adopted backup\n');
      const adopted = await old.backup(data, opts);
      const adoptedTree = await digestTree(data);
      await rm(data, { recursive: true });
      await makeRichTree(data, { largeBytes: 1024 * 1024 });
      await appendFile(join(data, 'own.txt'), 'the recreated namespace’s own backup\n');
      const own = await recreated.backup(data, opts);
      const ownTree = await digestTree(data);

      const wanted = idsOf(adopted);
      const first = await copyBetween(old, recreated, wanted);
      assert.deepEqual(first.missing, []);
      const copies = wanted.map((id) => first.copies.get(id) ?? '');
      assert.ok(
        copies.every((id) => id !== '' && !wanted.includes(id)),
        `new IDs: ${copies.join(', ')}`,
      );
      // Only the adopted backup's snapshots came along (kopia copies the whole source, the rest is deleted).
      assert.deepEqual(await listIDs(recreated), [...idsOf(own), ...copies].sort());

      // Tried again (an adoption run again), the same copies are found, none added.
      const second = await copyBetween(old, recreated, wanted);
      assert.deepEqual([...second.copies], [...first.copies]);
      assert.deepEqual(await listIDs(recreated), [...idsOf(own), ...copies].sort());

      const copied = {
        snapshotID: first.copies.get(adopted.snapshotID) ?? '',
        ...(adopted.dirTimesSnapshotID
          ? { dirTimesSnapshotID: first.copies.get(adopted.dirTimesSnapshotID) ?? adopted.dirTimesSnapshotID }
          : {}),
      };
      const got = await restoreDigest(recreated, copied, join(work, 'copy'));
      assert.deepEqual(got, adoptedTree);
      assert.equal(treeSum(got), treeSum(adoptedTree), 'SHA-256 of the copy');
      assert.deepEqual(await restoreDigest(recreated, own, join(work, 'own')), ownTree);

      // The old backup deleted: its repository forgets its snapshots; the copy still restores.
      for (const id of [...idsOf(earlier), ...wanted]) await old.forget(id);
      await old.maintenance();
      assert.deepEqual(await restoreDigest(recreated, copied, join(work, 'copy-again')), adoptedTree);
      // The adopted backup deleted: only its copies go; the namespace's own backup still restores.
      for (const id of copies) await recreated.forget(id);
      await recreated.maintenance();
      assert.deepEqual(await listIDs(recreated), idsOf(own).sort());
      assert.deepEqual(await restoreDigest(recreated, own, join(work, 'own-again')), ownTree);
      await recreated.check();
    });
  });
}
