import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { schemaForKind, strategicMerge } from '../../../../src/restore/modifiers/index.ts';

const deploymentSchema = schemaForKind('apps', 'Deployment');
const podSchema = schemaForKind('', 'Pod');

function deployment(podSpec: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: { replicas: 1, template: { metadata: { labels: { app: 'web' } }, spec: podSpec } },
  };
}

const podSpecOf = (obj: Record<string, unknown>): Record<string, unknown> =>
  ((obj.spec as Record<string, unknown>).template as { spec: Record<string, unknown> }).spec;

describe('strategic merge patch', () => {
  test('maps merge, null removes a key, scalars replace', () => {
    const out = strategicMerge(
      deployment({}),
      { metadata: { labels: { tier: 'front', app: null } }, spec: { replicas: 3 } },
      deploymentSchema,
    );
    assert.deepEqual((out.metadata as { labels: unknown }).labels, { tier: 'front' });
    assert.equal((out.spec as { replicas: number }).replicas, 3);
  });

  test('containers merge by name: the matching one is patched, a new one is appended', () => {
    const original = deployment({
      containers: [
        { name: 'web', image: 'nginx:1', ports: [{ containerPort: 80 }] },
        { name: 'side', image: 'busybox' },
      ],
    });
    const out = strategicMerge(
      original,
      {
        spec: {
          template: {
            spec: {
              containers: [
                { name: 'web', image: 'nginx:2' },
                { name: 'log', image: 'fluent' },
              ],
            },
          },
        },
      },
      deploymentSchema,
    );
    assert.deepEqual(podSpecOf(out).containers, [
      { name: 'web', image: 'nginx:2', ports: [{ containerPort: 80 }] },
      { name: 'side', image: 'busybox' },
      { name: 'log', image: 'fluent' },
    ]);
    assert.deepEqual(podSpecOf(original).containers, [
      { name: 'web', image: 'nginx:1', ports: [{ containerPort: 80 }] },
      { name: 'side', image: 'busybox' },
    ]);
  });

  test('env by name, ports by containerPort, volumeMounts by mountPath inside a container', () => {
    const original = {
      metadata: { name: 'p' },
      spec: {
        containers: [
          {
            name: 'c',
            env: [
              { name: 'A', value: '1' },
              { name: 'B', value: '2' },
            ],
            ports: [{ containerPort: 80, name: 'http' }],
            volumeMounts: [{ name: 'data', mountPath: '/data' }],
          },
        ],
      },
    };
    const out = strategicMerge(
      original,
      {
        spec: {
          containers: [
            {
              name: 'c',
              env: [
                { name: 'B', value: '20' },
                { name: 'C', value: '3' },
              ],
              ports: [{ containerPort: 80, protocol: 'TCP' }],
              volumeMounts: [{ mountPath: '/data', readOnly: true }],
            },
          ],
        },
      },
      podSchema,
    );
    const c = (out.spec as { containers: Record<string, unknown>[] }).containers[0];
    assert.deepEqual(c?.env, [
      { name: 'A', value: '1' },
      { name: 'B', value: '20' },
      { name: 'C', value: '3' },
    ]);
    assert.deepEqual(c?.ports, [{ containerPort: 80, name: 'http', protocol: 'TCP' }]);
    assert.deepEqual(c?.volumeMounts, [{ name: 'data', mountPath: '/data', readOnly: true }]);
  });

  test('lists without a merge key (args, tolerations) and lists of primitives are replaced', () => {
    const original = {
      metadata: { name: 'p' },
      spec: {
        tolerations: [{ key: 'a', operator: 'Exists' }],
        containers: [{ name: 'c', args: ['--a', '--b'] }],
      },
    };
    const out = strategicMerge(
      original,
      { spec: { tolerations: [{ key: 'b', operator: 'Exists' }], containers: [{ name: 'c', args: ['--c'] }] } },
      podSchema,
    );
    const spec = out.spec as { tolerations: unknown; containers: { args: unknown }[] };
    assert.deepEqual(spec.tolerations, [{ key: 'b', operator: 'Exists' }]);
    assert.deepEqual(spec.containers[0]?.args, ['--c']);
  });

  test('volumes and imagePullSecrets merge by name; finalizers are a merged set', () => {
    const original = {
      metadata: { name: 'p', finalizers: ['a'] },
      spec: { volumes: [{ name: 'v', emptyDir: {} }], imagePullSecrets: [{ name: 'one' }] },
    };
    const out = strategicMerge(
      original,
      {
        metadata: { finalizers: ['b', 'a'] },
        spec: { volumes: [{ name: 'w', emptyDir: {} }], imagePullSecrets: [{ name: 'two' }] },
      },
      podSchema,
    );
    assert.deepEqual((out.metadata as { finalizers: unknown }).finalizers, ['a', 'b']);
    const spec = out.spec as { volumes: unknown; imagePullSecrets: unknown };
    assert.deepEqual(spec.volumes, [
      { name: 'v', emptyDir: {} },
      { name: 'w', emptyDir: {} },
    ]);
    assert.deepEqual(spec.imagePullSecrets, [{ name: 'one' }, { name: 'two' }]);
  });

  test('Service ports merge by port', () => {
    const out = strategicMerge(
      { metadata: { name: 's' }, spec: { ports: [{ port: 80, targetPort: 8080 }, { port: 443 }] } },
      { spec: { ports: [{ port: 80, targetPort: 9090 }] } },
      schemaForKind('', 'Service'),
    );
    assert.deepEqual((out.spec as { ports: unknown }).ports, [{ port: 80, targetPort: 9090 }, { port: 443 }]);
  });

  test('$patch: delete removes the list element with that key, or a map field', () => {
    const original = deployment({
      containers: [{ name: 'web' }, { name: 'side' }],
      securityContext: { runAsUser: 1 },
    });
    const out = strategicMerge(
      original,
      {
        spec: {
          template: {
            spec: { containers: [{ name: 'side', $patch: 'delete' }], securityContext: { $patch: 'delete' } },
          },
        },
      },
      deploymentSchema,
    );
    assert.deepEqual(podSpecOf(out), { containers: [{ name: 'web' }] });
  });

  test('$patch: replace replaces a map, or a whole list', () => {
    const original = deployment({
      containers: [{ name: 'web', image: 'a' }, { name: 'side' }],
      nodeSelector: { a: '1' },
    });
    const out = strategicMerge(
      original,
      {
        spec: {
          template: {
            spec: {
              containers: [{ $patch: 'replace' }, { name: 'only', image: 'b' }],
              nodeSelector: { $patch: 'replace', b: '2' },
            },
          },
        },
      },
      deploymentSchema,
    );
    assert.deepEqual(podSpecOf(out), { containers: [{ name: 'only', image: 'b' }], nodeSelector: { b: '2' } });
  });

  test('$retainKeys clears the keys it does not list', () => {
    const out = strategicMerge(
      { metadata: { name: 'p' }, spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } },
      { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } },
      deploymentSchema,
    );
    assert.deepEqual((out.spec as { strategy: unknown }).strategy, { type: 'Recreate' });
  });

  test('$deleteFromPrimitiveList removes values; $setElementOrder orders the list', () => {
    const out = strategicMerge(
      { metadata: { name: 'p', finalizers: ['a', 'b', 'c'] }, spec: { containers: [{ name: 'x' }, { name: 'y' }] } },
      {
        metadata: { '$deleteFromPrimitiveList/finalizers': ['b'] },
        spec: { '$setElementOrder/containers': [{ name: 'y' }, { name: 'x' }] },
      },
      podSchema,
    );
    assert.deepEqual((out.metadata as { finalizers: unknown }).finalizers, ['a', 'c']);
    assert.deepEqual((out.spec as { containers: unknown }).containers, [{ name: 'y' }, { name: 'x' }]);
  });

  test('a list element without its merge key is an error naming the path', () => {
    assert.throws(
      () =>
        strategicMerge(
          deployment({ containers: [] }),
          { spec: { template: { spec: { containers: [{ image: 'x' }] } } } },
          deploymentSchema,
        ),
      /\/spec\/template\/spec\/containers\/0: element lacks the merge key "name"/,
    );
  });

  test('a custom resource has no merge keys: maps merge, lists are replaced, as a merge patch', () => {
    const schema = schemaForKind('example.com', 'Widget');
    const out = strategicMerge(
      { metadata: { name: 'w', finalizers: ['a'] }, spec: { items: [{ name: 'x', v: 1 }], size: 1 } },
      { metadata: { finalizers: ['b'] }, spec: { items: [{ name: 'x', v: 2 }] } },
      schema,
    );
    assert.deepEqual(out, {
      metadata: { name: 'w', finalizers: ['b'] },
      spec: { items: [{ name: 'x', v: 2 }], size: 1 },
    });
  });

  test('a CronJob pod template is reached through jobTemplate', () => {
    const out = strategicMerge(
      {
        spec: {
          jobTemplate: { spec: { template: { spec: { containers: [{ name: 'c', image: 'a' }, { name: 'd' }] } } } },
        },
      },
      { spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: 'c', image: 'b' }] } } } } } },
      schemaForKind('batch', 'CronJob'),
    );
    assert.deepEqual(out, {
      spec: {
        jobTemplate: { spec: { template: { spec: { containers: [{ name: 'c', image: 'b' }, { name: 'd' }] } } } },
      },
    });
  });
});
