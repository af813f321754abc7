import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Cluster } from '../../../../src/kube/cluster.ts';
import type { KubeObject } from '../../../../src/kube/object.ts';
import { loadResourceModifiers, resourceModifierProblems } from '../../../../src/restore/modifiers/index.ts';

/** Only `find` is used: a ConfigMap lookup by namespace and name. */
function clusterWith(configMaps: KubeObject[]): Cluster {
  const find = (ref: { resource: string }, name: string, namespace?: string): Promise<KubeObject | undefined> =>
    Promise.resolve(
      ref.resource === 'configmaps'
        ? configMaps.find((cm) => cm.metadata.name === name && cm.metadata.namespace === namespace)
        : undefined,
    );
  return { find } as unknown as Cluster;
}

const GOOD =
  'version: v1\nresourceModifierRules:\n- conditions: {groupResource: pods}\n  patches: [{operation: remove, path: /a}]\n';
const cm = (name: string, text: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'velero' },
  data: { 'rules.yaml': text },
});
const cluster = clusterWith([cm('good', GOOD), cm('bad', 'version: v3\nresourceModifierRules: []\n')]);

test('no spec.resourceModifier: nothing to load, nothing wrong', async () => {
  assert.equal(await loadResourceModifiers(cluster, 'velero', {}), undefined);
  assert.deepEqual(await resourceModifierProblems(cluster, 'velero', {}), []);
});

test('the ConfigMap is read from the Velero namespace; kind is case-insensitive', async () => {
  const mods = await loadResourceModifiers(cluster, 'velero', {
    resourceModifier: { kind: 'ConfigMap', name: 'good' },
  });
  assert.equal(mods?.source, 'ConfigMap velero/good');
  assert.equal(mods?.rules.length, 1);
});

test('validation lists each problem: a missing ConfigMap, another kind, a malformed document', async () => {
  assert.deepEqual(
    await resourceModifierProblems(cluster, 'other', { resourceModifier: { kind: 'configmap', name: 'good' } }),
    ['resourceModifier: ConfigMap other/good not found'],
  );
  assert.deepEqual(
    await resourceModifierProblems(cluster, 'velero', { resourceModifier: { kind: 'Secret', name: 'good' } }),
    ['resourceModifier: kind "Secret" is not supported; resource modifiers live in a ConfigMap (kind configmap)'],
  );
  assert.deepEqual(
    await resourceModifierProblems(cluster, 'velero', { resourceModifier: { kind: 'configmap', name: 'bad' } }),
    [
      'resource modifiers in ConfigMap velero/bad: version: unsupported version "v3" (use v1)',
      'resource modifiers in ConfigMap velero/bad: resourceModifierRules: must list at least one rule',
    ],
  );
});
