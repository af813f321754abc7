/**
 * The kopia and restic uploaders against the test environment's MinIO (and a directory
 * repository for kopia): a tree with every kind of entry comes back identical, a second backup
 * of a slightly changed tree sends only the change, and forget, maintenance and check work.
 */
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createUploader, type RepositoryTarget, type Uploader } from '../../../src/volumes/uploader/index.ts';
import { repositoryPrefix } from '../../../src/volumes/repository/identity.ts';
import { allocatedBytes, digestTree, LARGE_FILE, makeRichTree, SPARSE_FILE, treeSum } from '../../helpers/file-tree.ts';
import { uniqueName } from '../../helpers/names.ts';
import { loadTestEnv } from '../../helpers/testenv.ts';

const env = loadTestEnv();
const binaries = { kopia: join(env.bin, 'kopia'), restic: '/usr/bin/restic' };
const scratch = await mkdtemp(join(tmpdir(), 'skiff-uploader-'));
after(() => rm(scratch, { recursive: true, force: true }));

function s3Target(type: 'kopia' | 'restic'): RepositoryTarget {
  return {
    kind: 's3',
    bucket: env.s3.bucket,
    prefix: repositoryPrefix(uniqueName('uploader'), type, 'app-ns'),
    endpoint: env.s3.endpoint,
    region: env.s3.region,
    forcePathStyle: true,
    insecureSkipTLSVerify: false,
    credentials: { accessKeyId: env.s3.accessKeyId, secretAccessKey: env.s3.secretAccessKey },
  };
}

const cases: { name: string; type: 'kopia' | 'restic'; target: () => RepositoryTarget }[] = [
  { name: 'kopia on S3', type: 'kopia', target: () => s3Target('kopia') },
  { name: 'restic on S3', type: 'restic', target: () => s3Target('restic') },
  {
    name: 'kopia in a directory',
    type: 'kopia',
    target: () => ({ kind: 'filesystem', path: join(scratch, uniqueName('repo')) }),
  },
];

for (const c of cases) {
  describe(c.name, () => {
    test('a rich tree is restored identically; the second backup sends only the change; forget, maintenance and check pass', async () => {
      const work = await mkdtemp(join(scratch, 'case-'));
      const make = (): Uploader =>
        createUploader({ type: c.type, target, password: 'static-passw0rd', workDir: join(work, 'client') }, binaries);
      const target = c.target();
      const uploader = make();
      assert.equal(await uploader.initOrConnect(), 'created');
      assert.equal(await make().initOrConnect(), 'connected', 'a second init connects to the existing repository');

      const source = join(work, 'source');
      await makeRichTree(source, { largeBytes: 24 * 1024 * 1024 });
      const progress: number[] = [];
      const first = await uploader.backup(source, {
        tags: { backup: 'b1', volume: 'data', ns: 'app-ns' },
        onProgress: (p) => progress.push(p.bytesDone),
      });
      assert.ok(first.snapshotID.length >= 8, `snapshot ID ${first.snapshotID}`);
      // restic's full ID (as Velero records it), not the short one its summary prints.
      if (c.type === 'restic') assert.match(first.snapshotID, /^[0-9a-f]{64}$/);
      assert.ok(first.totalBytes >= 24 * 1024 * 1024, `total ${first.totalBytes}`);
      assert.ok(first.incrementalBytes >= 20 * 1024 * 1024, `first upload sends the data: ${first.incrementalBytes}`);
      assert.ok(progress.length > 0, 'progress was reported');

      const restored = join(work, 'restored');
      await import('node:fs/promises').then((fs) => fs.mkdir(restored));
      // A fresh client (another node) restores it.
      await createUploader(
        { type: c.type, target, password: 'static-passw0rd', workDir: join(work, 'other-client') },
        binaries,
      ).restore(first.snapshotID, restored, {
        writeSparseFiles: true,
        ...(first.dirTimesSnapshotID ? { dirTimesSnapshotID: first.dirTimesSnapshotID } : {}),
      });
      assert.equal(first.dirTimesSnapshotID !== undefined, c.type === 'kopia', 'kopia records directory times');
      const want = await digestTree(source);
      assert.deepEqual(await digestTree(restored), want);
      assert.equal(treeSum(await digestTree(restored)), treeSum(want));
      assert.ok(
        (await allocatedBytes(join(restored, SPARSE_FILE))) < 16 * 1024 * 1024,
        'the sparse file was written with holes',
      );

      // Incremental: a small change sends about that much.
      await appendFile(join(source, 'docs/file-1.txt'), 'one more line\n');
      await appendFile(join(source, 'new-file.txt'), 'x'.repeat(1000));
      const second = await uploader.backup(source, { tags: { backup: 'b2' } });
      assert.notEqual(second.snapshotID, first.snapshotID);
      assert.ok(second.incrementalBytes < 1024 * 1024, `second upload sent ${second.incrementalBytes} bytes`);
      assert.ok(second.totalBytes >= first.totalBytes);
      console.log(
        `${c.name}: first ${first.incrementalBytes} B, second ${second.incrementalBytes} B of ${second.totalBytes} B`,
      );

      await uploader.forget(first.snapshotID);
      if (first.dirTimesSnapshotID) await uploader.forget(first.dirTimesSnapshotID);
      await uploader.maintenance();
      await uploader.check();
      // The remaining snapshot still restores.
      const again = join(work, 'again');
      await import('node:fs/promises').then((fs) => fs.mkdir(again));
      await uploader.restore(second.snapshotID, again, {
        ...(second.dirTimesSnapshotID ? { dirTimesSnapshotID: second.dirTimesSnapshotID } : {}),
      });
      // Directories keep their own times (older than the files changed inside them), with both tools.
      assert.deepEqual(await digestTree(again), await digestTree(source));
      assert.ok((await digestTree(again)).some((e) => e.path === LARGE_FILE));
    });
  });
}
