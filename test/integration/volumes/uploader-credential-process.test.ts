/**
 * kopia and restic on a location whose `credentialProcess` hands out temporary MinIO STS
 * credentials with a reported lifetime of 30 seconds, which a proxy in front of MinIO
 * enforces. A running kopia or restic cannot be given new credentials, so each repository
 * opening (the node agent opens one per PodVolumeBackup/Restore) resolves them again: a backup
 * after the first credentials expired gets fresh ones, session token included, and succeeds.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { repositoryTarget } from '../../../src/volumes/repository/target.ts';
import { createUploader, type Uploader } from '../../../src/volumes/uploader/index.ts';
import { waitFor } from '../../helpers/cluster.ts';
import { GatedS3Proxy } from '../../helpers/gated-s3-proxy.ts';
import { uniqueName } from '../../helpers/names.ts';
import { stsCredentialProcess } from '../../helpers/sts-credentials.ts';
import { loadTestEnv } from '../../helpers/testenv.ts';

const env = loadTestEnv();
const binaries = { kopia: join(env.bin, 'kopia'), restic: '/usr/bin/restic' };
const scratch = await mkdtemp(join(tmpdir(), 'skiff-uploader-creds-'));
after(() => rm(scratch, { recursive: true, force: true }));

// kopia and restic side by side: each has its own credential process, proxy, prefix and folders, and
// most of each test is the wait for its first credentials to expire, which they then share.
describe('credential processes', { concurrency: 2 }, () => {
  for (const type of ['kopia', 'restic'] as const) {
    describe(`${type} with a credential process`, () => {
      test('a run after the first credentials expired is given fresh ones and succeeds', async (t) => {
        // Long enough for kopia to create the repository and back up on a loaded machine: a run
        // whose credentials expire under it fails (or retries) inside the tool.
        const sts = stsCredentialProcess({ reportedLifetimeSeconds: 30 });
        const proxy = await GatedS3Proxy.start(env.s3.endpoint, sts.refuseExpired);
        t.after(() => proxy.close());
        const bsl = {
          metadata: { name: 'sts', namespace: 'skiff' },
          spec: {
            provider: 'aws',
            objectStorage: { bucket: env.s3.bucket, prefix: uniqueName('creds') },
            config: {
              region: env.s3.region,
              s3Url: proxy.url,
              s3ForcePathStyle: 'true',
              credentialProcess: sts.command,
            },
          },
        };
        const work = await mkdtemp(join(scratch, `${type}-`));
        const source = join(work, 'source');
        await mkdir(source);
        await writeFile(join(source, 'a.txt'), 'first');
        const open = async (): Promise<Uploader> => {
          const target = await repositoryTarget(bsl, type, 'app-ns', { defaultNamespace: 'skiff' });
          assert.ok(
            target.kind === 's3' && target.credentials?.sessionToken,
            'temporary credentials with a session token',
          );
          return createUploader({ type, target, password: 'static-passw0rd', workDir: join(work, 'client') }, binaries);
        };

        const first = await open();
        await first.initOrConnect();
        await first.backup(source, { tags: { backup: 'b1' } });
        const issued = sts.issued();
        const expired = Math.max(...issued.map((c) => Date.parse(c.expiration)));
        await waitFor('the first credentials to expire', () => Promise.resolve(Date.now() > expired + 100));

        await writeFile(join(source, 'b.txt'), 'second');
        const second = await open();
        assert.ok(sts.issued().length > issued.length, 'the command ran again');
        const result = await second.backup(source, { tags: { backup: 'b2' } });
        const restored = join(work, 'restored');
        await mkdir(restored);
        await second.restore(result.snapshotID, restored, {
          ...(result.dirTimesSnapshotID ? { dirTimesSnapshotID: result.dirTimesSnapshotID } : {}),
        });
        assert.equal(await readFile(join(restored, 'b.txt'), 'utf8'), 'second');
      });
    });
  }
});
