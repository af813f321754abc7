import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CliContext } from '../../../src/cli/context.ts';
import { installObjects } from '../../../src/cli/install/manifests.ts';
import { serverCommand, serverOptions } from '../../../src/cli/server/server.ts';

const BASE = { provider: 'aws', bucket: 'b', secretFileContents: Buffer.from('[default]\n') };

function serverArgsOf(objects: ReturnType<typeof installObjects>['objects']): string[] {
  const d = objects.find((o) => o.kind === 'Deployment');
  const spec = d?.spec as { template: { spec: { containers: { args: string[] }[] } } } | undefined;
  return spec?.template.spec.containers[0]?.args.slice(1) ?? [];
}

test("Velero's install flags for server defaults become the server's own flags, and the server reads them so", () => {
  const { objects, problems, notes } = installObjects('velero', {
    ...BASE,
    defaultVolumesToFsBackup: true,
    scheduleSkipImmediately: 'true',
    garbageCollectionFrequency: '30m',
    defaultRepoMaintainFrequency: '12h',
    podVolumeOperationTimeout: '6h',
    concurrentBackups: '3',
    itemBlockWorkerCount: '2',
    plugins: 'velero/velero-plugin-for-aws:v1.13.0, registry.example.com/velero/velero-plugin-for-csi:v0.7.1',
  });
  assert.deepEqual(problems, []);
  assert.deepEqual(notes, [
    '--plugins velero/velero-plugin-for-aws:v1.13.0: built into Skiff, nothing to install',
    '--plugins registry.example.com/velero/velero-plugin-for-csi:v0.7.1: built into Skiff, nothing to install',
  ]);
  const server = serverCommand();
  server.parseOptions(serverArgsOf(objects));
  const options = serverOptions(new CliContext({}), server.opts());
  assert.equal(options.defaultVolumesToFsBackup, true);
  assert.equal(options.scheduleSkipImmediately, true);
  assert.equal(options.garbageCollectionFrequency, '30m0s');
  assert.equal(options.defaultRepoMaintainFrequency, '12h0m0s');
  assert.equal(options.fsBackupTimeout, '6h0m0s');
  assert.equal(options.concurrentBackups, 3);
  assert.equal(options.itemBlockWorkerCount, 2);
});

test('a bad value, a plugin Skiff has no counterpart of, and a server default with --no-server are refused, each named', () => {
  const { problems } = installObjects('velero', {
    ...BASE,
    defaultVolumesToFsBackup: 'maybe',
    podVolumeOperationTimeout: '6 hours',
    concurrentBackups: '0',
    plugins: 'velero/velero-plugin-for-gcp:v1.12.0',
  });
  assert.deepEqual(problems, [
    '--plugins velero/velero-plugin-for-gcp:v1.12.0: Skiff runs no plugins, and has no built-in counterpart of this one',
    '--default-volumes-to-fs-backup: "maybe" is not a boolean: use --default-volumes-to-fs-backup=true or --default-volumes-to-fs-backup=false',
    '--pod-volume-operation-timeout: invalid duration "6 hours": use a Go duration such as 720h, 1h30m or 90s',
    '--concurrent-backups must be at least 1',
  ]);
  const noServer = installObjects('velero', { ...BASE, server: false, itemBlockWorkerCount: '2' });
  assert.deepEqual(noServer.problems, [
    '--item-block-worker-count configure the server Deployment: drop them or drop --no-server',
  ]);
});
