// exclusive-test: the APIService v1alpha1.view.skiff.dev is cluster-wide (one server serves it at a time; while it is unavailable, discovery fails for every other file)
/**
 * Issue 17 deliverable 6 and acceptance 3 (logs): tenants read their operations' logs and
 * details through the API server, from the aggregated API view.skiff.dev that `skiff server`
 * serves. Users are the test CA's certificate users; the test server is registered with a
 * real APIService and reached through the aggregator.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { Command } from '@commander-js/extra-typings';
import { addTenantViewCommands, fetchTenantDetails, tenantDetailsLines } from '../../../src/cli/tenant/logs.ts';
import { KubeApiError } from '../../../src/kube/index.ts';
import { TenantTypes } from '../../../src/tenant/exec/resources.ts';
import { TENANT_ROLES } from '../../../src/tenant/rbac.ts';
import { VIEW_RBAC_RESOURCES } from '../../../src/tenant/view/index.ts';
import { adminCluster, core } from '../../helpers/cluster.ts';
import { envTool } from '../../helpers/env-tools.ts';
import { startTestServer, type TestServer } from '../../helpers/skiff-server.ts';
import {
  createTenant,
  installTenantApi,
  requesterOf,
  tenantNamespace,
  tenantObject,
  waitUntilAllowed,
} from '../../helpers/tenant.ts';
import { createTenantPolicy, waitForTenantOutcome } from '../../helpers/tenant-exec.ts';
import { tenantUser } from '../../helpers/tenant-users.ts';
import { askViewApiDirectly, registerViewApi, unregisterViewApi } from '../../helpers/view-api.ts';

const admin = adminCluster();
// Never execFileSync: the test server runs in this process and must answer kubectl meanwhile.
const run = promisify(execFile);
const alice = tenantUser('alice');
const bob = tenantUser('bob');
const viewPath = (ns: string, resource: string, name: string, sub: string) =>
  `/apis/view.skiff.dev/v1alpha1/namespaces/${ns}/${resource}/${name}/${sub}`;

/** GETs a path as `user` through the API server; the body as text. */
async function getText(cluster: typeof admin, path: string, accept = 'text/plain'): Promise<string> {
  return (await cluster.client.requestBytes({ method: 'GET', path, accept })).toString('utf8');
}

/** Every `namespace=` field of a log, and every namespace in it at all that the test knows of. */
function namespaceFields(log: string): Set<string> {
  return new Set([...log.matchAll(/\bnamespace=("?)([a-z0-9-]+)\1/g)].map((m) => m[2] ?? ''));
}

/** Runs `skiff tenant <args>` with the view commands as tenant-cli wires them; returns what it printed. */
async function skiffTenant(args: string[]): Promise<string> {
  const backup = new Command('backup');
  const restore = new Command('restore');
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  addTenantViewCommands(backup, restore, undefined, out);
  const tenant = new Command('tenant')
    .option('-n, --namespace <ns>')
    .option('--kubeconfig <file>')
    .exitOverride()
    .addCommand(backup)
    .addCommand(restore);
  await tenant.parseAsync(args, { from: 'user' });
  return Buffer.concat(chunks).toString('utf8');
}

describe('view.skiff.dev: logs and details through the API server (issue 17 deliverable 6, acceptance 3)', () => {
  let server: TestServer;
  let policy: string;
  let a: string;
  let b: string;
  /** The velero.io Backup that carries alice's TenantBackup: `tenant-<its uid>`. */
  let veleroBackup: string;

  before(async () => {
    await installTenantApi(admin);
    server = await startTestServer(admin, { tenantOperations: true, viewApi: true });
    await registerViewApi(admin, server);
    policy = await createTenantPolicy(admin, 'default');
    const labels = { 'skiff-test-policy': policy };
    a = await tenantNamespace(admin, 'team-a', [{ group: 'team-a', clusterRole: TENANT_ROLES.edit }], labels);
    b = await tenantNamespace(admin, 'team-b', [{ group: 'team-b', clusterRole: TENANT_ROLES.edit }], labels);
    for (const ns of [a, b]) {
      await admin.create(core('configmaps'), {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'settings', namespace: ns },
        data: { owner: ns },
      });
    }
    await waitUntilAllowed(alice, a, 'tenantbackups', 'create');
    await createTenant(alice.cluster, tenantObject('TenantBackup', a, 'nightly', { requester: requesterOf(alice) }));
    const done = await waitForTenantOutcome(admin, TenantTypes.TenantBackup, a, 'nightly');
    assert.equal((done.status as { phase?: string }).phase, 'Completed', JSON.stringify(done.status));
    veleroBackup = `tenant-${done.metadata.uid ?? ''}`;
  });
  after(async () => {
    await unregisterViewApi(admin);
    await server.stop();
    for (const ns of [a, b]) await admin.delete(core('namespaces'), ns);
    await admin.delete(TenantTypes.TenantPolicy, policy);
  });

  test('discovery: the API server publishes the group with its four get-only subresources', async () => {
    const list = JSON.parse(await getText(admin, '/apis/view.skiff.dev/v1alpha1', 'application/json')) as {
      resources: { name: string; verbs: string[]; namespaced: boolean }[];
    };
    assert.deepEqual(list.resources.map((r) => r.name).sort(), [...VIEW_RBAC_RESOURCES].sort());
    for (const r of list.resources) assert.deepEqual([r.verbs, r.namespaced], [['get'], true]);
    const { stdout: versions } = await run(envTool('kubectl'), ['--kubeconfig', alice.kubeconfig, 'api-versions']);
    assert.match(versions, /^view\.skiff\.dev\/v1alpha1$/m);
  });

  test("alice reads her backup's log through the API server; it names her backup and no other namespace", async () => {
    const path = viewPath(a, 'tenantbackups', 'nightly', 'log');
    const log = await getText(alice.cluster, path);
    assert.match(log, /level=info/);
    assert.ok(log.includes(`backup=${a}/nightly`), log.slice(0, 2000));
    assert.ok(!log.includes(server.namespace), `the log mentions the server namespace ${server.namespace}`);
    assert.ok(!log.includes(b), `the log mentions ${b}`);
    assert.ok(!log.includes(veleroBackup), 'the log names the velero.io backup, not the TenantBackup');
    for (const ns of namespaceFields(log)) assert.equal(ns, a);
    // kubectl, as a tenant would.
    const { stdout: raw } = await run(envTool('kubectl'), ['--kubeconfig', alice.kubeconfig, 'get', '--raw', path], {
      maxBuffer: 64 << 20,
    });
    assert.equal(raw, log);
  });

  test("skiff tenant backup logs prints alice's log; for bob it names the permission he lacks", async () => {
    const log = await skiffTenant(['backup', 'logs', 'nightly', '-n', a, '--kubeconfig', alice.kubeconfig]);
    assert.ok(log.includes(`backup=${a}/nightly`), log.slice(0, 2000));
    await assert.rejects(
      skiffTenant(['backup', 'logs', 'nightly', '-n', a, '--kubeconfig', bob.kubeconfig]),
      new RegExp(`you need get on tenantbackups/log in view\\.skiff\\.dev in namespace ${a}`),
    );
    const details = await fetchTenantDetails(alice.cluster, 'tenantbackups', a, 'nightly');
    const text = tenantDetailsLines(details).join('\n');
    assert.match(text, /Resource List:/);
    assert.ok(text.includes(`- ${a}/settings`), text);
  });

  test('alice reads the details: the resource list, the results and the volume info', async () => {
    const text = await getText(alice.cluster, viewPath(a, 'tenantbackups', 'nightly', 'details'), 'application/json');
    const details = JSON.parse(text) as {
      kind: string;
      phase: string;
      resourceList: Record<string, string[]>;
      results: unknown;
      volumeInfo: unknown;
    };
    assert.equal(details.kind, 'TenantBackupDetails');
    assert.equal(details.phase, 'Completed');
    assert.ok(details.resourceList['v1/ConfigMap']?.includes(`${a}/settings`), JSON.stringify(details.resourceList));
    assert.ok('results' in details && 'volumeInfo' in details);
    assert.ok(!text.includes(server.namespace) && !text.includes(b));
  });

  test("bob gets 403 for alice's log and details, from the API server", async () => {
    for (const sub of ['log', 'details']) {
      await assert.rejects(
        getText(bob.cluster, viewPath(a, 'tenantbackups', 'nightly', sub)),
        (err) =>
          err instanceof KubeApiError &&
          err.status === 403 &&
          err.apiMessage.includes(`tenantbackups/${sub}`) &&
          err.apiMessage.includes('view.skiff.dev'),
      );
    }
  });

  test("alice reads her restore's log; it names her restore and backup only", async () => {
    const created = await createTenant(
      alice.cluster,
      tenantObject('TenantRestore', a, 'back', {
        requester: requesterOf(alice),
        backupRef: { namespace: a, name: 'nightly' },
      }),
    );
    await waitForTenantOutcome(admin, TenantTypes.TenantRestore, a, 'back');
    const log = await getText(alice.cluster, viewPath(a, 'tenantrestores', 'back', 'log'));
    assert.ok(log.includes(`restore=${a}/back`), log.slice(0, 2000));
    const veleroRestore = `tenant-${created.metadata.uid ?? ''}`;
    for (const hidden of [server.namespace, b, veleroRestore, veleroBackup]) {
      assert.ok(!log.includes(hidden), `the restore log mentions ${hidden}: ${log.slice(0, 2000)}`);
    }
    const details = JSON.parse(
      await getText(alice.cluster, viewPath(a, 'tenantrestores', 'back', 'details'), 'application/json'),
    ) as { kind: string };
    assert.equal(details.kind, 'TenantRestoreDetails');
  });

  test('the server answers only the API server: forged identity headers without its front-proxy certificate get 401', async () => {
    const path = viewPath(a, 'tenantbackups', 'nightly', 'log');
    const asAlice = { 'X-Remote-User': 'alice', 'X-Remote-Group': 'team-a' };
    const bare = await askViewApiDirectly(server, path, { headers: asAlice });
    assert.equal(bare.status, 401, bare.body);
    // A certificate of the cluster's client CA is a user's, not the front proxy's.
    const aliceCert = {
      crt: alice.kubeconfig.replace(/\.kubeconfig$/, '.crt'),
      key: alice.kubeconfig.replace(/\.kubeconfig$/, '.key'),
    };
    const userCert = await askViewApiDirectly(server, path, { headers: asAlice, clientCert: aliceCert });
    assert.equal(userCert.status, 401, userCert.body);
    // With the front proxy's certificate the user is believed, and still authorised by RBAC here.
    const asBob = await askViewApiDirectly(server, path, {
      headers: { 'X-Remote-User': 'bob', 'X-Remote-Group': 'team-b' },
      clientCert: 'front-proxy',
    });
    assert.equal(asBob.status, 403, asBob.body);
    assert.match(asBob.body, /bob may not get tenantbackups\.view\.skiff\.dev\/log/);
  });
});
