/**
 * The verbs that need a running server, end to end: `skiff install` a filesystem location,
 * `skiff server` as a child process, then backup create --wait, get, describe --details,
 * logs, download and delete through the CLI.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Kinds, resourceRef } from '../../../src/api/index.ts';
import { adminCluster, core, createNamespace, waitFor } from '../../helpers/cluster.ts';
import { uniqueName } from '../../helpers/names.ts';
import { installAndStartServer, skiff, skiffOk, type startSkiffServer } from './run-skiff.ts';

const cluster = adminCluster();
const serverNs = uniqueName('skiff-srv');
const appNs = uniqueName('cli-data');
const fsRoot = mkdtempSync(join(tmpdir(), 'skiff-cli-fs-'));
const workDir = mkdtempSync(join(tmpdir(), 'skiff-cli-work-'));
let server: ReturnType<typeof startSkiffServer> | undefined;

describe('skiff CLI with a running server', { concurrency: false }, () => {
  before(async () => {
    await createNamespace(cluster, appNs);
    await cluster.create(core('configmaps'), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'web-config', namespace: appNs },
      data: { k: 'v' },
    });
    server = await installAndStartServer(cluster, serverNs, fsRoot);
  });
  after(async () => {
    await server?.stop();
    await cluster.delete(core('namespaces'), appNs);
    await cluster.delete(core('namespaces'), serverNs);
    rmSync(fsRoot, { recursive: true, force: true });
    rmSync(workDir, { recursive: true, force: true });
  });

  test('backup create --wait reports progress and the final phase', async () => {
    const r = await skiffOk(['-n', serverNs, 'backup', 'create', 'b1', '--include-namespaces', appNs, '--wait']);
    assert.match(r.stdout, /Backup request "b1" submitted successfully/);
    assert.match(r.stdout, /Backup b1: \d+\/\d+ items/);
    assert.match(r.stdout, /Backup b1 finished with phase Completed/);
    const get = await skiffOk(['-n', serverNs, 'backup', 'get']);
    assert.match(get.stdout, /^b1 +Completed +0 +0 .* default +<none>$/m);
  });

  test('a backup the server refuses ends FailedValidation and the command exits non-zero', async () => {
    const r = await skiff([
      '-n',
      serverNs,
      'backup',
      'create',
      'b-bad',
      '--include-resources',
      'nosuchkinds',
      '--wait',
    ]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /finished with phase FailedValidation/);
    assert.match(r.stdout, /nosuchkinds/);
  });

  test('describe --details shows the resource list fetched through a DownloadRequest', async () => {
    const r = await skiffOk(['-n', serverNs, 'backup', 'describe', 'b1', '--details']);
    assert.match(r.stdout, /^Phase: +Completed$/m);
    assert.match(r.stdout, /^Resource List:$/m);
    assert.match(r.stdout, new RegExp(`- ${appNs}/web-config$`, 'm'));
    assert.match(r.stdout, /^Errors: <none>$/m);
  });

  test('logs prints the gunzipped backup log', async () => {
    const r = await skiffOk(['-n', serverNs, 'backup', 'logs', 'b1']);
    assert.ok(r.stdout.length > 0);
    // Gunzipped: the text does not start with the gzip magic bytes.
    assert.notEqual(r.stdout.charCodeAt(0), 0x1f);
  });

  test('download writes NAME-data.tar.gz, and refuses to overwrite it without --force', async () => {
    await skiffOk(['-n', serverNs, 'backup', 'download', 'b1'], { cwd: workDir });
    const bytes = readFileSync(join(workDir, 'b1-data.tar.gz'));
    assert.deepEqual([...bytes.subarray(0, 2)], [0x1f, 0x8b]);
    const again = await skiff(['-n', serverNs, 'backup', 'download', 'b1'], { cwd: workDir });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists: use --force/);
    await skiffOk(['-n', serverNs, 'backup', 'download', 'b1', '--force'], { cwd: workDir });
  });

  test('delete needs --confirm without a terminal, then the server removes the backup', async () => {
    const refused = await skiff(['-n', serverNs, 'backup', 'delete', 'b1']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /--confirm/);
    await skiffOk(['-n', serverNs, 'backup', 'delete', 'b1', '--confirm']);
    await waitFor('backup b1 to be deleted', async () => {
      return (await cluster.find(resourceRef(Kinds.Backup), 'b1', serverNs)) === undefined;
    });
  });
});
