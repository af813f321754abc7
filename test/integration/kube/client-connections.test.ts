/**
 * A client re-reads its credentials every 30 s; its connections to the real API server must
 * outlive that, so a long backup or restore does not pay for new TLS handshakes each time.
 * The same holds for the node agent's transport over `node:https` (src/kube/https-transport.ts),
 * which must also answer, fail and stream as the default one does.
 */
import assert from 'node:assert/strict';
import diagnosticsChannel from 'node:diagnostics_channel';
import { test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import { KubeClient, type KubeTransport } from '../../../src/kube/client.ts';
import { KubeApiError } from '../../../src/kube/errors.ts';
import { watchObjects } from '../../../src/kube/watch.ts';
import { loadTestEnv } from '../../helpers/testenv.ts';

/** A client on the test environment whose clock the test moves; counts the connections it opens. */
function clientWithClock(transport: KubeTransport = 'undici'): {
  client: KubeClient;
  advance: (ms: number) => void;
  connections: () => number;
} {
  const kc = new KubeConfig();
  kc.loadFromFile(loadTestEnv().kubeconfig);
  let now = Date.now();
  const client = new KubeClient(kc, { now: () => now, transport });
  let opened = 0;
  const onConnected = (): void => {
    opened++;
  };
  // undici reports its connections; a node:https request's socket is a net client socket.
  const channel = transport === 'undici' ? 'undici:client:connected' : 'net.client.socket';
  diagnosticsChannel.subscribe(channel, onConnected);
  return {
    client,
    advance: (ms) => (now += ms),
    connections: () => {
      diagnosticsChannel.unsubscribe(channel, onConnected);
      return opened;
    },
  };
}

for (const transport of ['undici', 'node-https'] as const)
  test(`${transport}: requests after the credentials were read again reuse the open connection`, async () => {
    const { client, advance, connections } = clientWithClock(transport);
    await client.request({ method: 'GET', path: '/version' });
    advance(61_000); // past two refreshes of the credentials
    await client.request({ method: 'GET', path: '/version' });
    advance(31_000);
    const version = await client.request<{ major?: string }>({ method: 'GET', path: '/version' });
    assert.equal(typeof version.major, 'string');
    assert.equal(connections(), 1);
  });

test('node-https: writes, a missing object, and a watch behave as with undici', async () => {
  const { client, connections } = clientWithClock('node-https');
  const name = `https-transport-${Date.now()}`;
  const path = '/api/v1/namespaces/default/configmaps';
  try {
    await client.request({
      method: 'POST',
      path,
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { text: 'é ünïcode' } },
    });
    const got = await client.request<{ data?: { text?: string } }>({ method: 'GET', path: `${path}/${name}` });
    assert.equal(got.data?.text, 'é ünïcode');
    const missing = await client.request({ method: 'GET', path: `${path}/${name}-missing` }).catch((e: unknown) => e);
    assert.ok(missing instanceof KubeApiError);
    assert.equal(missing.status, 404);
    assert.equal(missing.reason, 'NotFound');

    const abort = new AbortController();
    const seen: string[] = [];
    for await (const event of watchObjects(
      client,
      { group: '', version: 'v1', resource: 'configmaps' },
      { namespace: 'default', fieldSelector: `metadata.name=${name}`, signal: abort.signal },
    )) {
      if (event.type !== 'BOOKMARK') seen.push(event.type);
      if (event.type === 'ADDED') {
        await client.requestIgnoringAnswer({
          method: 'PATCH',
          path: `${path}/${name}`,
          body: { data: { text: 'changed' } },
          contentType: 'application/merge-patch+json',
        });
      }
      if (event.type === 'MODIFIED') abort.abort();
    }
    assert.deepEqual(seen, ['ADDED', 'MODIFIED']);
  } finally {
    await client.request({ method: 'DELETE', path: `${path}/${name}` }).catch(() => undefined);
  }
  // The watch holds one connection while the other requests share a second one.
  assert.ok(connections() <= 2, `${connections()} connections`);
});

test('node-https: once the TLS settings change, the old connection is closed, not left open', async () => {
  const kc = new KubeConfig();
  kc.loadFromFile(loadTestEnv().kubeconfig);
  let now = Date.now();
  const client = new KubeClient(kc, { now: () => now, transport: 'node-https' });
  const sockets: { closed: boolean }[] = [];
  const onSocket = (message: unknown): void => {
    const { socket } = message as { socket: import('node:net').Socket };
    const seen = { closed: false };
    socket.once('close', () => (seen.closed = true));
    sockets.push(seen);
  };
  diagnosticsChannel.subscribe('net.client.socket', onSocket);
  try {
    await client.request({ method: 'GET', path: '/version' });
    // The same cluster, now trusted without its CA: different TLS settings, so a new pool.
    const cluster = kc.getCurrentCluster();
    assert.ok(cluster);
    Object.assign(cluster, { skipTLSVerify: true });
    now += 31_000;
    await client.request({ method: 'GET', path: '/version' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(sockets.length, 2);
    assert.deepEqual(
      sockets.map((s) => s.closed),
      [true, false],
    );
  } finally {
    diagnosticsChannel.unsubscribe('net.client.socket', onSocket);
  }
});
