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
// Each test restores into a namespace of its own, so none depends on what another left behind.
const dryNs = `${appNs}-dry`;
const shownNs = `${appNs}-shown`;
const deletedNs = `${appNs}-del`;
const fsRoot = mkdtempSync(join(tmpdir(), 'skiff-rcli-fs-'));
let server: ReturnType<typeof startSkiffServer> | undefined;

async function restoreNames(): Promise<string[]> {
  const list = await cluster.client.request<{ items: KubeObject[] }>({
    method: 'GET',
    path: `/apis/velero.io/v1/namespaces/${serverNs}/restores`,
  });
  return list.items.map((r) => r.metadata.name ?? '');
}

/** `restore create <name> --from-backup b1` into `target` instead of the backed-up namespace. */
function restoreInto(name: string, target: string, ...extra: string[]): string[] {
  return [
    '-n',
    serverNs,
    'restore',
    'create',
    name,
    '--from-backup',
    'b1',
    '--namespace-mappings',
    `${appNs}:${target}`,
    ...extra,
  ];
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
    // The restore `get`, `describe` and `logs` show, made here rather than by another test.
    await skiffOk(restoreInto('r-shown', shownNs, '--wait'));
  });
  after(async () => {
    await server?.stop();
    for (const n of [appNs, dryNs, shownNs, deletedNs]) await cluster.delete(core('namespaces'), n);
    await cluster.delete(core('namespaces'), serverNs);
    rmSync(fsRoot, { recursive: true, force: true });
  });

  test('create --dry-run prints the plan tier by tier with totals and creates no Restore', async () => {
    const before = await restoreNames();
    const args = ['-n', serverNs, 'restore', 'create', '--from-backup', 'b1', '--dry-run'];
    const r = await skiffOk([...args, '--namespace-mappings', `${appNs}:${dryNs}`]);
    assert.match(r.stdout, /^Restore plan for b1-\d{14} from backup b1 \(existing resource policy: none\)$/m);
    assert.match(r.stdout, new RegExp(`^ {2}create {3}Namespace ${dryNs}$`, 'm'));
    assert.match(r.stdout, new RegExp(`^ {2}create {3}ConfigMap ${dryNs}/web-config \\(from ${appNs}\\)$`, 'm'));
    // The namespace, its default ServiceAccount and kube-root-ca.crt (new in the target), web-config.
    assert.match(r.stdout, /^Totals: 4 to create, 0 to update, 0 skipped, 0 in conflict, 0 failing \(4 items\)$/m);
    assert.match(r.stdout, /nothing was created or changed/);
    assert.deepEqual(await restoreNames(), before);
    assert.equal(await cluster.find(core('namespaces'), dryNs), undefined);
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
    const names = await restoreNames();
    assert.ok(!names.includes('r-bad') && !names.includes('r-missing'), names.join(', '));
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
    assert.match(get.stdout, /^r-shown +b1 +Completed +\d{4}-.* +0 +0 +\d{4}-.* +<none>$/m);
    const json = JSON.parse((await skiffOk(['-n', serverNs, 'restore', 'get', 'r-shown', '-o', 'json'])).stdout) as {
      status: { phase: string };
    };
    assert.equal(json.status.phase, 'Completed');
    const describeOut = await skiffOk(['-n', serverNs, 'restore', 'describe', 'r-shown', '--details']);
    assert.match(describeOut.stdout, /^Phase: +Completed$/m);
    assert.match(describeOut.stdout, /^Backup: +b1$/m);
    assert.match(describeOut.stdout, /^Resource List:$/m);
    assert.match(describeOut.stdout, new RegExp(`- ${shownNs}/web-config\\(created\\)$`, 'm'));
    assert.match(describeOut.stdout, /^Errors: <none>$/m);
    const logs = await skiffOk(['-n', serverNs, 'restore', 'logs', 'r-shown']);
    assert.match(logs.stdout, /restored ConfigMap/);
  });

  test('delete needs --confirm without a terminal, then the Restore and its files go', async () => {
    await skiffOk(restoreInto('r-del', deletedNs, '--wait'));
    const refused = await skiff(['-n', serverNs, 'restore', 'delete', 'r-del']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /--confirm/);
    assert.ok((await restoreNames()).includes('r-del'), 'refused: the Restore is still there');
    await skiffOk(['-n', serverNs, 'restore', 'delete', 'r-del', '--confirm']);
    await waitFor('restore r-del to be deleted', async () => !(await restoreNames()).includes('r-del'));
    const logs = await skiff(['-n', serverNs, 'restore', 'logs', 'r-del']);
    assert.notEqual(logs.code, 0, 'its log is gone with it');
  });
});
