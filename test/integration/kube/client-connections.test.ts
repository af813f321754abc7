/**
 * A client re-reads its credentials every 30 s; its connections to the real API server must
 * outlive that, so a long backup or restore does not pay for new TLS handshakes each time.
 */
import assert from 'node:assert/strict';
import diagnosticsChannel from 'node:diagnostics_channel';
import { test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import { KubeClient } from '../../../src/kube/client.ts';
import { loadTestEnv } from '../../helpers/testenv.ts';

/** A client on the test environment whose clock the test moves; counts the connections it opens. */
function clientWithClock(): { client: KubeClient; advance: (ms: number) => void; connections: () => number } {
  const kc = new KubeConfig();
  kc.loadFromFile(loadTestEnv().kubeconfig);
  let now = Date.now();
  const client = new KubeClient(kc, { now: () => now });
  let opened = 0;
  const onConnected = (): void => {
    opened++;
  };
  diagnosticsChannel.subscribe('undici:client:connected', onConnected);
  return {
    client,
    advance: (ms) => (now += ms),
    connections: () => {
      diagnosticsChannel.unsubscribe('undici:client:connected', onConnected);
      return opened;
    },
  };
}

test('requests after the credentials were read again reuse the open connection', async () => {
  const { client, advance, connections } = clientWithClock();
  await client.request({ method: 'GET', path: '/version' });
  advance(61_000); // past two refreshes of the credentials
  await client.request({ method: 'GET', path: '/version' });
  advance(31_000);
  const version = await client.request<{ major?: string }>({ method: 'GET', path: '/version' });
  assert.equal(typeof version.major, 'string');
  assert.equal(connections(), 1);
});
