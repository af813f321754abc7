import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient, kubeconfigSource } from '../../../src/kube/client.ts';
import { NoKubeconfigError } from '../../../src/kube/errors.ts';

const none = (): boolean => false;
const POD = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443', HOME: '/home/skiff' };

test('in a pod with no kubeconfig, the ServiceAccount (in-cluster config) is used', () => {
  assert.deepEqual(kubeconfigSource(undefined, POD, none), { kind: 'in-cluster' });
});

test('a kubeconfig named by the flag, $KUBECONFIG or ~/.kube/config wins over in-cluster', () => {
  assert.deepEqual(kubeconfigSource('/k', POD, none), { kind: 'file', path: '/k' });
  assert.deepEqual(kubeconfigSource(undefined, { ...POD, KUBECONFIG: '/k' }, none), { kind: 'default' });
  assert.deepEqual(
    kubeconfigSource(undefined, POD, (p) => p === '/home/skiff/.kube/config'),
    { kind: 'default' },
  );
});

test('outside a pod with no kubeconfig: none, naming the file it looked for', () => {
  assert.deepEqual(kubeconfigSource(undefined, { HOME: '/home/skiff' }, none), {
    kind: 'none',
    looked: '/home/skiff/.kube/config',
  });
});

test('a client made with no kubeconfig anywhere says so, naming where it looked', (t) => {
  const home = mkdtempSync(join(tmpdir(), 'skiff-nokube-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const saved = {
    HOME: process.env.HOME,
    KUBECONFIG: process.env.KUBECONFIG,
    HOST: process.env.KUBERNETES_SERVICE_HOST,
  };
  t.after(() => {
    for (const [k, v] of Object.entries({
      HOME: saved.HOME,
      KUBECONFIG: saved.KUBECONFIG,
      KUBERNETES_SERVICE_HOST: saved.HOST,
    }))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  });
  process.env.HOME = home;
  delete process.env.KUBECONFIG;
  delete process.env.KUBERNETES_SERVICE_HOST;
  assert.throws(
    () => KubeClient.fromKubeconfig(),
    (err: unknown) =>
      err instanceof NoKubeconfigError && err.message.includes('no kubeconfig found') && err.message.includes(home),
  );
});
