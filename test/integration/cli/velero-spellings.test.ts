/**
 * Velero's other spellings of its commands, run as a Velero user's script runs them against the
 * real API server: the verb-first aliases (`skiff get backups`), `skiff repo get` and
 * `skiff plugin add`. No Skiff server is needed: these read and write the objects directly.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Kinds, resourceRef } from '../../../src/api/index.ts';
import { adminCluster, core, createNamespace } from '../../helpers/cluster.ts';
import { uniqueName } from '../../helpers/names.ts';
import { skiff, skiffOk } from './run-skiff.ts';

const cluster = adminCluster();
const serverNs = uniqueName('skiff-spell');

describe("Velero's verb-first spellings and repo get", { concurrency: false }, () => {
  before(async () => {
    await skiffOk(['install', '--crds-only']);
    await createNamespace(cluster, serverNs);
    await cluster.create(resourceRef(Kinds.Backup), {
      apiVersion: 'velero.io/v1',
      kind: 'Backup',
      metadata: { name: 'nightly-1', namespace: serverNs, labels: { 'velero.io/schedule-name': 'nightly' } },
      spec: { includedNamespaces: ['shop'], storageLocation: 'default' },
    });
    await cluster.create(resourceRef(Kinds.BackupRepository), {
      apiVersion: 'velero.io/v1',
      kind: 'BackupRepository',
      metadata: { name: 'shop-default-kopia', namespace: serverNs },
      spec: { volumeNamespace: 'shop', backupStorageLocation: 'default', repositoryType: 'kopia' },
    });
    await cluster.patchStatus(
      resourceRef(Kinds.BackupRepository),
      { name: 'shop-default-kopia', namespace: serverNs },
      { phase: 'Ready', lastMaintenanceTime: '2026-12-01T03:00:00Z' },
    );
    await cluster.create(resourceRef(Kinds.BackupRepository), {
      apiVersion: 'velero.io/v1',
      kind: 'BackupRepository',
      metadata: { name: 'crm-default-kopia', namespace: serverNs },
      spec: { volumeNamespace: 'crm', backupStorageLocation: 'default', repositoryType: 'kopia' },
    });
  });
  after(async () => {
    await cluster.delete(core('namespaces'), serverNs);
  });

  test('`get backups` and `describe backups` print what `backup get` and `backup describe` print', async () => {
    const nounFirst = await skiffOk(['-n', serverNs, 'backup', 'get']);
    assert.match(nounFirst.stdout, /^nightly-1 /m);
    for (const spelling of [
      ['get', 'backups'],
      ['get', 'backup'],
    ]) {
      assert.equal((await skiffOk(['-n', serverNs, ...spelling])).stdout, nounFirst.stdout, spelling.join(' '));
    }
    const described = await skiffOk(['-n', serverNs, 'backup', 'describe', 'nightly-1']);
    assert.match(described.stdout, /^Name: +nightly-1$/m);
    assert.equal((await skiffOk(['-n', serverNs, 'describe', 'backups', 'nightly-1'])).stdout, described.stdout);
  });

  test('`create schedule`, `get schedules` and `delete schedule` act on the Schedule', async () => {
    await skiffOk([
      '-n',
      serverNs,
      'create',
      'schedule',
      'weekly',
      '--schedule',
      '@weekly',
      '--include-namespaces',
      'shop',
    ]);
    const schedule = await cluster.get(resourceRef(Kinds.Schedule), 'weekly', serverNs);
    assert.deepEqual((schedule.spec as { template: unknown }).template, { includedNamespaces: ['shop'] });
    assert.match((await skiffOk(['-n', serverNs, 'get', 'schedules'])).stdout, /^weekly +\S+ .*@weekly/m);
    await skiffOk(['-n', serverNs, 'delete', 'schedule', 'weekly', '--confirm']);
    assert.equal(await cluster.find(resourceRef(Kinds.Schedule), 'weekly', serverNs), undefined);
  });

  test('`repo get` lists the BackupRepositories with their phase and last maintenance', async () => {
    const r = await skiffOk(['-n', serverNs, 'repo', 'get']);
    assert.deepEqual(
      r.stdout.split('\n').map((line) => line.trim().split(/ {2,}/)),
      [
        ['NAME', 'STATUS', 'LAST MAINTENANCE'],
        ['crm-default-kopia', 'New', '<never>'],
        ['shop-default-kopia', 'Ready', '2026-12-01 03:00:00 +0000 UTC'],
        [''],
      ],
    );
    assert.equal((await skiffOk(['-n', serverNs, 'get', 'repos'])).stdout, r.stdout);
    const one = JSON.parse(
      (await skiffOk(['-n', serverNs, 'repo', 'get', 'shop-default-kopia', '-o', 'json'])).stdout,
    ) as {
      spec: { volumeNamespace: string };
    };
    assert.equal(one.spec.volumeNamespace, 'shop');
    const missing = await skiff(['-n', serverNs, 'repo', 'get', 'nope']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nope not found in namespace/);
  });

  test('`plugin add` is refused, naming the image; `get plugins` says what is built in', async () => {
    const r = await skiff(['-n', serverNs, 'plugin', 'add', 'velero/velero-plugin-for-aws:v1.13.0']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Skiff runs no plugins.*cannot load velero\/velero-plugin-for-aws:v1\.13\.0/);
    assert.match((await skiffOk(['get', 'plugins'])).stdout, /built in/);
  });
});
