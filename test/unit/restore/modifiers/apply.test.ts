import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject } from '../../../../src/kube/object.ts';
import {
  applyResourceModifiers,
  conditionsMatch,
  parseResourceModifiers,
  type ModifyTarget,
  type ResourceModifiers,
} from '../../../../src/restore/modifiers/index.ts';

const mods = (rules: string): ResourceModifiers =>
  parseResourceModifiers(`version: v1\nresourceModifierRules:\n${rules}`, 'ConfigMap velero/mods');

function configMap(name: string, namespace: string, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace, labels: { app: 'web' } },
    data: { greeting: 'hello', mode: 'dev' },
    ...extra,
  };
}

function target(object: KubeObject, groupResource = 'configmaps', group = ''): ModifyTarget {
  return { groupResource, sourceNamespace: object.metadata.namespace, object, group, kind: object.kind };
}

const REMOVE = '  patches: [{operation: remove, path: /data/mode}]\n';

describe('resource modifier conditions (reference §4.8)', () => {
  const match = (conditions: string, t: ModifyTarget): boolean => {
    const rule = mods(`- conditions: ${conditions}\n${REMOVE}`).rules[0];
    assert.ok(rule);
    return conditionsMatch(rule.conditions, t);
  };
  const cm = target(configMap('web-config', 'shop'));
  const deploy = target(
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop' } },
    'deployments.apps',
    'apps',
  );
  const pv = target({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv1' } }, 'persistentvolumes');

  test('groupResource is a glob with . as separator', () => {
    assert.equal(match('{groupResource: configmaps}', cm), true);
    assert.equal(match('{groupResource: secrets}', cm), false);
    assert.equal(match('{groupResource: "*.apps"}', deploy), true);
    assert.equal(match('{groupResource: deployments.apps}', deploy), true);
    assert.equal(match('{groupResource: "*"}', cm), true);
    assert.equal(match('{groupResource: "*"}', deploy), false, '* stops at the dot');
    assert.equal(match('{groupResource: "**"}', deploy), true);
    assert.equal(match('{groupResource: "deploy*"}', deploy), false);
    assert.equal(match('{groupResource: "{configmaps,secrets}"}', cm), true);
  });

  test('resourceNameRegex is unanchored', () => {
    assert.equal(match('{groupResource: configmaps, resourceNameRegex: config}', cm), true);
    assert.equal(match('{groupResource: configmaps, resourceNameRegex: "^config"}', cm), false);
    assert.equal(match('{groupResource: configmaps, resourceNameRegex: "^web-.*$"}', cm), true);
  });

  test('namespaces are globs on the source namespace, ignored for cluster-scoped objects', () => {
    assert.equal(match('{groupResource: configmaps, namespaces: [shop]}', cm), true);
    assert.equal(match('{groupResource: configmaps, namespaces: ["sh*"]}', cm), true);
    assert.equal(match('{groupResource: configmaps, namespaces: [other]}', cm), false);
    assert.equal(match('{groupResource: persistentvolumes, namespaces: [other]}', pv), true);
  });

  test('labelSelector: matchLabels and matchExpressions', () => {
    assert.equal(match('{groupResource: configmaps, labelSelector: {matchLabels: {app: web}}}', cm), true);
    assert.equal(match('{groupResource: configmaps, labelSelector: {matchLabels: {app: db}}}', cm), false);
    const expr = (op: string, values: string): string =>
      `{groupResource: configmaps, labelSelector: {matchExpressions: [{key: app, operator: ${op}, values: ${values}}]}}`;
    assert.equal(match(expr('In', '[db, web]'), cm), true);
    assert.equal(match(expr('NotIn', '[web]'), cm), false);
    assert.equal(
      match(
        '{groupResource: configmaps, labelSelector: {matchExpressions: [{key: tier, operator: DoesNotExist}]}}',
        cm,
      ),
      true,
    );
  });

  test('matches are JSON-patch tests, all must pass; a missing path is no match', () => {
    assert.equal(match('{groupResource: configmaps, matches: [{path: /data/greeting, value: hello}]}', cm), true);
    assert.equal(match('{groupResource: configmaps, matches: [{path: /data/greeting, value: bye}]}', cm), false);
    assert.equal(
      match(
        '{groupResource: configmaps, matches: [{path: /data/greeting, value: hello}, {path: /data/mode, value: prod}]}',
        cm,
      ),
      false,
    );
    assert.equal(match('{groupResource: configmaps, matches: [{path: /data/missing, value: x}]}', cm), false);
    assert.equal(
      match('{groupResource: configmaps, matches: [{path: /metadata/labels, value: "{\\"app\\": \\"web\\"}"}]}', cm),
      true,
    );
  });
});

describe('applying resource modifiers', () => {
  test('JSON patch: add, replace, remove, copy, move and a passing test, in order', () => {
    const m = mods(`- conditions: {groupResource: configmaps}
  patches:
  - {operation: test, path: /data/mode, value: dev}
  - {operation: replace, path: /data/greeting, value: bonjour}
  - {operation: add, path: /data/count, value: '"3"'}
  - {operation: add, path: /metadata/annotations, value: '{"owner": "team-a"}'}
  - {operation: copy, from: /data/greeting, path: /data/copy}
  - {operation: move, from: /data/mode, path: /data/moved}
  - {operation: remove, path: /metadata/labels/app}
`);
    const original = configMap('web-config', 'shop');
    const r = applyResourceModifiers(m, target(original));
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.object.data, { greeting: 'bonjour', count: '3', copy: 'bonjour', moved: 'dev' });
    assert.deepEqual(r.object.metadata.annotations, { owner: 'team-a' });
    assert.deepEqual(r.object.metadata.labels, {});
    assert.deepEqual(original.data, { greeting: 'hello', mode: 'dev' }, 'the input is not changed');
    assert.equal(r.events.length, 1);
    assert.equal(r.events[0]?.outcome, 'modified');
    assert.equal(r.events[0]?.rule, 'resourceModifierRules[0]');
    assert.equal(r.events[0]?.object, 'ConfigMap shop/web-config');
    assert.ok(r.changes[0]?.changes.some((c) => c.path === '/data/greeting' && c.desired === 'bonjour'));
  });

  test('a failed test skips the whole rule (nothing of it applies) and is reported; later rules still apply', () => {
    const m = mods(`- conditions: {groupResource: configmaps}
  patches:
  - {operation: replace, path: /data/greeting, value: bonjour}
  - {operation: test, path: /data/mode, value: prod}
- conditions: {groupResource: configmaps}
  patches:
  - {operation: add, path: /data/extra, value: yes}
`);
    const r = applyResourceModifiers(m, target(configMap('c', 'shop')));
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.object.data, { greeting: 'hello', mode: 'dev', extra: 'yes' });
    assert.deepEqual(
      r.events.map((e) => [e.rule, e.outcome]),
      [
        ['resourceModifierRules[0]', 'skipped'],
        ['resourceModifierRules[1]', 'modified'],
      ],
    );
  });

  test('a patch on a path that does not exist is an error naming the rule and operation', () => {
    const m = mods(`- conditions: {groupResource: configmaps}
  patches:
  - {operation: replace, path: /spec/replicas, value: "2"}
`);
    const r = applyResourceModifiers(m, target(configMap('c', 'shop')));
    assert.deepEqual(r.errors, [
      'resourceModifierRules[0]: patches[0] (replace /spec/replicas): the path does not exist',
    ]);
  });

  test('conditions see the object before any rule ran; patches apply on top of each other', () => {
    const m = mods(`- conditions: {groupResource: configmaps, matches: [{path: /data/mode, value: dev}]}
  patches: [{operation: replace, path: /data/mode, value: prod}]
- conditions: {groupResource: configmaps, matches: [{path: /data/mode, value: dev}]}
  patches: [{operation: add, path: /data/seen, value: dev}]
- conditions: {groupResource: configmaps, matches: [{path: /data/mode, value: prod}]}
  patches: [{operation: add, path: /data/never, value: x}]
`);
    const r = applyResourceModifiers(m, target(configMap('c', 'shop')));
    assert.deepEqual(r.object.data, { greeting: 'hello', mode: 'prod', seen: 'dev' });
  });

  test('merge patches: RFC 7386, null removes, lists replaced, applied in order', () => {
    const m = mods(`- conditions: {groupResource: configmaps}
  mergePatches:
  - patchData: |
      {"data": {"mode": null, "greeting": "hi"}, "metadata": {"finalizers": ["x"]}}
  - patchData: |
      data:
        greeting: hey
`);
    const r = applyResourceModifiers(m, target(configMap('c', 'shop', { metadata: { name: 'c', finalizers: ['a'] } })));
    assert.deepEqual(r.object.data, { greeting: 'hey' });
    assert.deepEqual(r.object.metadata.finalizers, ['x']);
  });

  test('strategic patches use the kind merge keys', () => {
    const m = mods(`- conditions: {groupResource: deployments.apps}
  strategicPatches:
  - patchData: |
      metadata:
        labels:
          tier: frontend
      spec:
        template:
          spec:
            containers:
            - name: web
              image: nginx:2
`);
    const deploy: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } },
      spec: {
        template: {
          spec: {
            containers: [
              { name: 'web', image: 'nginx:1' },
              { name: 'side', image: 'b' },
            ],
          },
        },
      },
    };
    const r = applyResourceModifiers(m, target(deploy, 'deployments.apps', 'apps'));
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.object.metadata.labels, { app: 'web', tier: 'frontend' });
    assert.deepEqual(r.object.spec, {
      template: {
        spec: {
          containers: [
            { name: 'web', image: 'nginx:2' },
            { name: 'side', image: 'b' },
          ],
        },
      },
    });
  });

  test('a rule that matches nothing changes nothing and reports nothing', () => {
    const m = mods(`- conditions: {groupResource: secrets}\n${REMOVE}`);
    const original = configMap('c', 'shop');
    const r = applyResourceModifiers(m, target(original));
    assert.equal(r.object, original);
    assert.deepEqual(r.events, []);
    assert.deepEqual(r.changes, []);
  });

  test('an error in one rule does not stop the next', () => {
    const m = mods(`- conditions: {groupResource: configmaps}
  patches: [{operation: remove, path: /data/absent}]
- conditions: {groupResource: configmaps}
  patches: [{operation: add, path: /data/b, value: x}]
`);
    const r = applyResourceModifiers(m, target(configMap('c', 'shop')));
    assert.equal(r.errors.length, 1);
    assert.match(r.errors[0] ?? '', /^resourceModifierRules\[0\]: patches\[0\] \(remove \/data\/absent\)/);
    assert.equal((r.object.data as Record<string, string>).b, 'x');
  });
});
