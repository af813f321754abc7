/**
 * `skiff version` against a running server and against none, and `skiff snapshot-location`
 * create / get / set / delete against the real API server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Kinds, resourceRef, type VolumeSnapshotLocation } from '../../../src/api/index.ts';
import { SERVER_VERSION } from '../../../src/controllers/server-status-controller.ts';
import { SKIFF_VERSION } from '../../../src/util/version.ts';
import { adminCluster, core, createNamespace } from '../../helpers/cluster.ts';
import { uniqueName } from '../../helpers/names.ts';
import { startTestServer, type TestServer } from '../../helpers/skiff-server.ts';
import { skiff, skiffOk } from './run-skiff.ts';

const cluster = adminCluster();

describe('skiff version and snapshot-location', { concurrency: false }, () => {
  let server: TestServer;
  const idleNs = uniqueName('no-server');

  before(async () => {
    server = await startTestServer(cluster);
    await createNamespace(cluster, idleNs);
  });
  after(async () => {
    await server.stop();
    await cluster.delete(core('namespaces'), idleNs);
  });

  test('version prints the client and, through a ServerStatusRequest, the server version', async () => {
    const r = await skiffOk(['-n', server.namespace, 'version']);
    assert.equal(r.stdout, `Client:\n\tVersion: ${SKIFF_VERSION}\nServer:\n\tVersion: ${SERVER_VERSION}\n`);
  });

  test('version --client-only does not contact the server', async () => {
    const r = await skiffOk(['-n', idleNs, 'version', '--client-only']);
    assert.equal(r.stdout, `Client:\n\tVersion: ${SKIFF_VERSION}\n`);
  });

  test('version without a server times out with a message saying what to check, and leaves no request behind', async () => {
    const r = await skiff(['-n', idleNs, 'version', '--timeout', '1s']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^Client:\n\tVersion: /);
    assert.match(
      r.stderr,
      new RegExp(`no Skiff server answered within 1s: is \`skiff server\` running in namespace ${idleNs}\\?`),
    );
    const left = await cluster.client.request<{ items: unknown[] }>({
      method: 'GET',
      path: `/apis/velero.io/v1/namespaces/${idleNs}/serverstatusrequests`,
    });
    assert.deepEqual(left.items, []);
  });

  test('version against a namespace that does not exist says so and how to pick the right one', async () => {
    const missing = uniqueName('not-installed');
    const r = await skiff(['-n', missing, 'version', '--timeout', '1s']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`namespace ${missing} does not exist, so no Skiff server runs there: pass`));
    assert.doesNotMatch(r.stderr, /404/);
  });

  test('snapshot-location create, get, set and delete round-trip', async () => {
    const sl = ['-n', server.namespace, 'snapshot-location'];
    const created = await skiffOk([...sl, 'create', 'ebs', '--provider', 'aws', '--config', 'region=us-east-1']);
    assert.match(created.stdout, /"ebs" configured successfully/);
    assert.match(created.stdout, /no native volume snapshots/);
    const dup = await skiff([...sl, 'create', 'ebs', '--provider', 'aws']);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /already exists/);
    const bad = await skiff([...sl, 'create', 'nope', '--config', 'region']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--provider is required/);

    assert.match((await skiffOk([...sl, 'get'])).stdout, /^NAME +PROVIDER\nebs +aws\n$/);
    await skiffOk([...sl, 'set', 'ebs', '--credential', 'aws-creds=cloud', '--config', 'profile=backup']);
    const vsl = (await cluster.get(
      resourceRef(Kinds.VolumeSnapshotLocation),
      'ebs',
      server.namespace,
    )) as VolumeSnapshotLocation;
    assert.deepEqual(vsl.spec, {
      provider: 'aws',
      config: { region: 'us-east-1', profile: 'backup' },
      credential: { name: 'aws-creds', key: 'cloud' },
    });
    const yaml = await skiffOk([...sl, 'get', 'ebs', '-o', 'yaml']);
    assert.match(yaml.stdout, /kind: VolumeSnapshotLocation/);

    const refused = await skiff([...sl, 'delete', 'ebs']);
    assert.equal(refused.code, 1);
    await skiffOk([...sl, 'delete', 'ebs', '--confirm']);
    assert.equal(await cluster.find(resourceRef(Kinds.VolumeSnapshotLocation), 'ebs', server.namespace), undefined);
  });
});
