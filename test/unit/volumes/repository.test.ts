import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BackupRepository } from '../../../src/api/index.ts';
import {
  maintenanceFrequencyFor,
  msUntilMaintenance,
  recordMaintenance,
  repositoryLabels,
  repositoryName,
  repositoryPrefix,
  resticIdentifier,
  snapshotsToForget,
} from '../../../src/volumes/repository/index.ts';
import { repositoryConfigNote, repositoryTypeField } from '../../../src/volumes/repository/controller.ts';

const repo = (status: BackupRepository['status'] = {}): BackupRepository => ({
  apiVersion: 'velero.io/v1',
  kind: 'BackupRepository',
  metadata: { name: 'app-default-kopia', creationTimestamp: '2026-01-01T00:00:00Z' },
  spec: { volumeNamespace: 'app', backupStorageLocation: 'default', repositoryType: 'kopia' },
  status,
});

test("names, labels and prefixes are Velero's (§1.6, §2.5)", () => {
  const key = { volumeNamespace: 'app', location: 'default', type: 'kopia' as const };
  assert.equal(repositoryName(key), 'app-default-kopia');
  assert.deepEqual(repositoryLabels(key), {
    'velero.io/volume-namespace': 'app',
    'velero.io/storage-location': 'default',
    'velero.io/repository-type': 'kopia',
  });
  assert.equal(repositoryPrefix('/backups/', 'kopia', 'app'), 'backups/kopia/app');
  assert.equal(repositoryPrefix(undefined, 'restic', 'app'), 'restic/app');
});

test('restic identifiers: s3Url, AWS by region, resticRepoPrefix, filesystem', () => {
  const bsl = (config: Record<string, string>, prefix?: string, provider = 'aws') => ({
    spec: { provider, objectStorage: { bucket: 'bkt', ...(prefix ? { prefix } : {}) }, config },
  });
  assert.equal(
    resticIdentifier(bsl({ s3Url: 'http://minio:9000/' }, 'p'), 'app'),
    's3:http://minio:9000/bkt/p/restic/app',
  );
  assert.equal(resticIdentifier(bsl({ region: 'eu-west-1' }), 'app'), 's3:s3-eu-west-1.amazonaws.com/bkt/restic/app');
  assert.equal(resticIdentifier(bsl({ resticRepoPrefix: 's3:custom/x/' }), 'app'), 's3:custom/x/app');
  assert.equal(resticIdentifier(bsl({ path: '/data' }, 'p', 'filesystem'), 'app'), '/data/bkt/p/restic/app');
});

test("a repository carried over with Velero's repositoryConfig says on its status that the keys are not acted on", () => {
  const spec = { volumeNamespace: 'shop', backupStorageLocation: 'default' };
  assert.equal(repositoryConfigNote({ spec }), undefined);
  assert.equal(repositoryConfigNote({ spec: { ...spec, repositoryConfig: null } }), undefined);
  assert.equal(
    repositoryConfigNote({
      spec: { ...spec, repositoryConfig: { fullMaintenanceInterval: 'fastGC', cacheLimitMB: '2048' } },
    }),
    "spec.repositoryConfig (cacheLimitMB, fullMaintenanceInterval) is not acted on: Skiff runs the repository with the uploader's default cache and maintenance settings",
  );
});

test('"" is a legacy restic repository; kopia is kopia', () => {
  assert.equal(repositoryTypeField(''), 'restic');
  assert.equal(repositoryTypeField(undefined), 'restic');
  assert.equal(repositoryTypeField('kopia'), 'kopia');
});

test('maintenance frequency: the server flag wins, else 1h for kopia and a week for restic', () => {
  assert.equal(maintenanceFrequencyFor('kopia', undefined), '1h0m0s');
  assert.equal(maintenanceFrequencyFor('restic', undefined), '168h0m0s');
  assert.equal(maintenanceFrequencyFor('kopia', '24h'), '24h');
});

test('maintenance is due one period after creation, then one period after the last success', () => {
  const created = repo();
  assert.equal(msUntilMaintenance(created, '1h', new Date('2026-01-01T00:30:00Z')), 30 * 60_000);
  assert.ok(msUntilMaintenance(created, '1h', new Date('2026-01-01T01:00:01Z')) <= 0);
  const maintained = repo({ lastMaintenanceTime: '2026-01-01T05:00:00Z' });
  assert.equal(msUntilMaintenance(maintained, '2h', new Date('2026-01-01T06:00:00Z')), 60 * 60_000);
  assert.throws(() => msUntilMaintenance(created, 'soon', new Date()), /maintenanceFrequency/);
});

test('the history keeps the last 3 runs, newest last; only a success moves lastMaintenanceTime', () => {
  const run = (n: number, result: 'Succeeded' | 'Failed') => ({
    result,
    startTimestamp: `2026-01-01T0${n}:00:00Z`,
    completeTimestamp: `2026-01-01T0${n}:00:05Z`,
  });
  let status: BackupRepository['status'] = {};
  for (let n = 1; n <= 4; n++) status = { ...status, ...recordMaintenance(repo(status), run(n, 'Succeeded')) };
  assert.deepEqual(
    status.recentMaintenance?.map((r) => r.startTimestamp),
    ['2026-01-01T02:00:00Z', '2026-01-01T03:00:00Z', '2026-01-01T04:00:00Z'],
  );
  assert.equal(status.lastMaintenanceTime, '2026-01-01T04:00:05Z');
  const failed = recordMaintenance(repo(status), { ...run(5, 'Failed'), message: 'boom' });
  assert.equal(failed.lastMaintenanceTime, undefined);
  assert.equal((failed.recentMaintenance as { message?: string }[]).at(-1)?.message, 'boom');
});

test('a deleted backup forgets the snapshots of its stored PodVolumeBackups (and their directory-times snapshots), in their repositories', () => {
  const stored = [
    {
      metadata: { name: 'b-1', annotations: { 'skiff.io/dir-times-snapshot': 'k1-times' } },
      spec: { pod: { namespace: 'app' }, backupStorageLocation: 'default', uploaderType: 'kopia' },
      status: { snapshotID: 'k1' },
    },
    {
      metadata: { name: 'b-2' },
      spec: { pod: { namespace: 'db' }, backupStorageLocation: 'other', uploaderType: 'restic' },
      status: { snapshotID: 'r1' },
    },
    { metadata: { name: 'b-3' }, spec: { pod: { namespace: 'app' }, backupStorageLocation: 'default' }, status: {} },
  ];
  assert.deepEqual(snapshotsToForget(stored), [
    { key: { volumeNamespace: 'app', location: 'default', type: 'kopia' }, snapshotID: 'k1', from: 'b-1' },
    { key: { volumeNamespace: 'app', location: 'default', type: 'kopia' }, snapshotID: 'k1-times', from: 'b-1' },
    { key: { volumeNamespace: 'db', location: 'other', type: 'restic' }, snapshotID: 'r1', from: 'b-2' },
  ]);
  assert.deepEqual(snapshotsToForget(undefined), [], 'a backup without the file has none');
});
