import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kubeconfigSource } from '../../../src/kube/client.ts';

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

test('outside a pod with no kubeconfig: the default loader (which explains what is missing)', () => {
  assert.deepEqual(kubeconfigSource(undefined, { HOME: '/home/skiff' }, none), { kind: 'default' });
});
