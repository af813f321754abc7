/**
 * The restore verbs end to end: `skiff server` as a child process, a backup made with the
 * CLI, then restore create --dry-run / --wait, get, describe --details, logs and delete.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { KubeObject } from '../../../src/kube/index.ts';
import { adminCluster, core, createNamespace, waitFor } from '../../helpers/cluster.ts';
import { uniqueName } from '../../helpers/names.ts';
import { installAndStartServer, skiff, skiffOk, type startSkiffServer } from './run-skiff.ts';

const cluster = adminCluster();
const serverNs = uniqueName('skiff-rcli');
const appNs = uniqueName('rcli-data');
const fsRoot = mkdtempSync(join(tmpdir(), 'skiff-rcli-fs-'));
let server: ReturnType<typeof startSkiffServer> | undefined;

async function restoreNames(): Promise<string[]> {
  const list = await cluster.client.request<{ items: KubeObject[] }>({
    method: 'GET',
    path: `/apis/velero.io/v1/namespaces/${serverNs}/restores`,
  });
  return list.items.map((r) => r.metadata.name ?? '');
}

describe('skiff restore with a running server', { concurrency: false }, () => {
  before(async () => {
    await createNamespace(cluster, appNs);
    await cluster.create(core('configmaps'), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'web-config', namespace: appNs },
      data: { greeting: 'hello' },
    });
    server = await installAndStartServer(cluster, serverNs, fsRoot);
    await skiffOk(['-n', serverNs, 'backup', 'create', 'b1', '--include-namespaces', appNs, '--wait']);
    await cluster.delete(core('configmaps'), 'web-config', appNs);
  });
  after(async () => {
    await server?.stop();
    await cluster.delete(core('namespaces'), appNs);
    await cluster.delete(core('namespaces'), serverNs);
    rmSync(fsRoot, { recursive: true, force: true });
  });

  test('create --dry-run prints the plan tier by tier with totals and creates no Restore', async () => {
    const r = await skiffOk(['-n', serverNs, 'restore', 'create', '--from-backup', 'b1', '--dry-run']);
    assert.match(r.stdout, /^Restore plan for b1-\d{14} from backup b1 \(existing resource policy: none\)$/m);
    assert.match(r.stdout, new RegExp(`^ {2}create {3}ConfigMap ${appNs}/web-config$`, 'm'));
    assert.match(r.stdout, /^Totals: 1 to create, 0 to update, \d+ skipped, 0 in conflict, 0 failing \(\d+ items\)$/m);
    assert.match(r.stdout, /nothing was created or changed/);
    assert.deepEqual(await restoreNames(), []);
    assert.equal(await cluster.find(core('configmaps'), 'web-config', appNs), undefined);
  });

  test('a bad flag fails before anything is created', async () => {
    const r = await skiff([
      ...['-n', serverNs, 'restore', 'create', 'r-bad', '--from-backup', 'b1'],
      ...['--existing-resource-policy', 'sometimes'],
    ]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /--existing-resource-policy: "sometimes" is not a policy/);
    const missing = await skiff(['-n', serverNs, 'restore', 'create', 'r-missing', '--from-backup', 'nope']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /backup nope not found/);
    assert.deepEqual(await restoreNames(), []);
  });

  test('create --wait shows progress and completes', async () => {
    const r = await skiffOk(['-n', serverNs, 'restore', 'create', 'r1', '--from-backup', 'b1', '--wait']);
    assert.match(r.stdout, /Restore request "r1" submitted successfully/);
    assert.match(r.stdout, /Restore r1: \d+\/\d+ items/);
    assert.match(r.stdout, /Restore r1 finished with phase Completed/);
    const cm = await cluster.get(core('configmaps'), 'web-config', appNs);
    assert.deepEqual(cm.data, { greeting: 'hello' });
  });

  test('get, describe --details and logs show the restore', async () => {
    const get = await skiffOk(['-n', serverNs, 'restore', 'get']);
    assert.match(get.stdout, /^NAME +BACKUP +STATUS +STARTED +COMPLETED +ERRORS +WARNINGS +CREATED +SELECTOR$/m);
    assert.match(get.stdout, /^r1 +b1 +Completed +\d{4}-.* +0 +0 +\d{4}-.* +<none>$/m);
    const json = JSON.parse((await skiffOk(['-n', serverNs, 'restore', 'get', 'r1', '-o', 'json'])).stdout) as {
      status: { phase: string };
    };
    assert.equal(json.status.phase, 'Completed');
    const describeOut = await skiffOk(['-n', serverNs, 'restore', 'describe', 'r1', '--details']);
    assert.match(describeOut.stdout, /^Phase: +Completed$/m);
    assert.match(describeOut.stdout, /^Backup: +b1$/m);
    assert.match(describeOut.stdout, /^Resource List:$/m);
    assert.match(describeOut.stdout, new RegExp(`- ${appNs}/web-config\\(created\\)$`, 'm'));
    assert.match(describeOut.stdout, /^Errors: <none>$/m);
    const logs = await skiffOk(['-n', serverNs, 'restore', 'logs', 'r1']);
    assert.match(logs.stdout, /restored ConfigMap/);
  });

  test('delete needs --confirm without a terminal, then the Restore and its files go', async () => {
    const refused = await skiff(['-n', serverNs, 'restore', 'delete', 'r1']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /--confirm/);
    await skiffOk(['-n', serverNs, 'restore', 'delete', 'r1', '--confirm']);
    await waitFor('restore r1 to be deleted', async () => !(await restoreNames()).includes('r1'));
    assert.deepEqual(await restoreNames(), []);
  });
});
