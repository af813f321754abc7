import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  parseResourceModifiers,
  resourceModifiersFromConfigMap,
  ResourceModifiersError,
} from '../../../../src/restore/modifiers/index.ts';
import type { KubeObject } from '../../../../src/kube/object.ts';

const SOURCE = 'ConfigMap velero/mods';

/** The reference's example (§4.8): one rule per patch type. */
const EXAMPLE = `
version: v1
resourceModifierRules:
- conditions:
    groupResource: persistentvolumeclaims
    resourceNameRegex: "^mysql.*$"
    namespaces:
    - bar
    - foo
    labelSelector:
      matchLabels:
        foo: bar
  patches:
  - operation: replace
    path: "/spec/storageClassName"
    value: "premium"
  - operation: remove
    path: "/metadata/labels/test"
- conditions:
    groupResource: deployments.apps
    matches:
    - path: /spec/replicas
      value: "3"
  mergePatches:
  - patchData: |
      {"metadata": {"annotations": {"foo": null}}}
- conditions:
    groupResource: pods
  strategicPatches:
  - patchData: |
      spec:
        containers:
        - name: nginx
          image: repo2/nginx
`;

function problemsOf(text: string): string[] {
  try {
    parseResourceModifiers(text, SOURCE);
  } catch (err) {
    assert.ok(err instanceof ResourceModifiersError, String(err));
    return err.problems;
  }
  assert.fail('expected the document to be refused');
}

describe('resource modifiers: parsing (reference §4.8)', () => {
  test('the example parses into typed rules', () => {
    const mods = parseResourceModifiers(EXAMPLE, SOURCE);
    assert.equal(mods.source, SOURCE);
    assert.equal(mods.rules.length, 3);
    const [first, second, third] = mods.rules;
    assert.equal(first?.conditions.groupResource, 'persistentvolumeclaims');
    assert.ok(first?.conditions.resourceNameRegex?.test('mysql-data'));
    assert.deepEqual(first?.conditions.namespaces, ['bar', 'foo']);
    assert.deepEqual(first?.patch, {
      type: 'json',
      operations: [
        { op: 'replace', path: '/spec/storageClassName', value: 'premium' },
        { op: 'remove', path: '/metadata/labels/test' },
      ],
    });
    assert.deepEqual(second?.conditions.matches, [{ op: 'test', path: '/spec/replicas', value: 3 }]);
    assert.deepEqual(second?.patch, { type: 'merge', patches: [{ metadata: { annotations: { foo: null } } }] });
    assert.deepEqual(third?.patch, {
      type: 'strategic',
      patches: [{ spec: { containers: [{ name: 'nginx', image: 'repo2/nginx' }] } }],
    });
    assert.equal(third?.index, 2);
  });

  test('the version is case-insensitive', () => {
    const text =
      'version: V1\nresourceModifierRules:\n- conditions: {groupResource: pods}\n  patches: [{operation: remove, path: /a}]\n';
    assert.equal(parseResourceModifiers(text, SOURCE).rules.length, 1);
  });

  test('a ConfigMap must hold exactly one data key', () => {
    const cm = (data: Record<string, string>): KubeObject => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'mods', namespace: 'velero' },
      data,
    });
    assert.equal(resourceModifiersFromConfigMap(cm({ 'rules.yaml': EXAMPLE })).rules.length, 3);
    assert.throws(
      () => resourceModifiersFromConfigMap(cm({})),
      /ConfigMap velero\/mods: .*exactly one data key, found none/,
    );
    assert.throws(
      () => resourceModifiersFromConfigMap(cm({ a: EXAMPLE, b: EXAMPLE })),
      /exactly one data key, found "a", "b"/,
    );
  });

  const rule = (body: string): string => `version: v1\nresourceModifierRules:\n${body}`;
  const bad: [what: string, text: string, expected: RegExp][] = [
    ['bad YAML', 'version: v1\nresourceModifierRules: [\n', /invalid YAML/],
    ['an unknown version', 'version: v2\nresourceModifierRules: []\n', /version: unsupported version "v2"/],
    ['no version', 'resourceModifierRules: []\n', /version: required/],
    ['no rules', 'version: v1\nresourceModifierRules: []\n', /resourceModifierRules: must list at least one rule/],
    ['an unknown top-level field', 'version: v1\nrules: []\n', /rules: unknown field/],
    [
      'an unknown condition field',
      rule('- conditions: {groupResource: pods, namespace: x}\n  patches: [{operation: remove, path: /a}]\n'),
      /resourceModifierRules\[0\]\.conditions\.namespace: unknown field/,
    ],
    [
      'no groupResource',
      rule('- conditions: {namespaces: [a]}\n  patches: [{operation: remove, path: /a}]\n'),
      /resourceModifierRules\[0\]\.conditions\.groupResource: required/,
    ],
    [
      'no conditions',
      rule('- patches: [{operation: remove, path: /a}]\n'),
      /resourceModifierRules\[0\]\.conditions: required/,
    ],
    [
      'a bad regex',
      rule(
        '- conditions: {groupResource: pods, resourceNameRegex: "web-("}\n  patches: [{operation: remove, path: /a}]\n',
      ),
      /resourceModifierRules\[0\]\.conditions\.resourceNameRegex: invalid regular expression "web-\("/,
    ],
    [
      'an invalid patch operation',
      rule('- conditions: {groupResource: pods}\n  patches: [{operation: append, path: /a, value: x}]\n'),
      /resourceModifierRules\[0\]\.patches\[0\]\.operation: "append" \(use one of add, remove, replace, move, copy, test\)/,
    ],
    [
      'a path that is not a JSON pointer',
      rule('- conditions: {groupResource: pods}\n  patches: [{operation: remove, path: spec.replicas}]\n'),
      /patches\[0\]\.path: "spec\.replicas" is not a JSON pointer/,
    ],
    [
      'a move without from',
      rule('- conditions: {groupResource: pods}\n  patches: [{operation: move, path: /a}]\n'),
      /patches\[0\]\.from: required for move/,
    ],
    [
      'a value that starts like JSON but is not',
      rule('- conditions: {groupResource: pods}\n  patches: [{operation: add, path: /a, value: "{oops"}]\n'),
      /patches\[0\]\.value: value "\{oops" starts like JSON but is not valid JSON/,
    ],
    [
      'two patch types in one rule',
      rule(
        '- conditions: {groupResource: pods}\n  patches: [{operation: remove, path: /a}]\n  mergePatches: [{patchData: "{}"}]\n',
      ),
      /resourceModifierRules\[0\]: only one of patches, mergePatches or strategicPatches may be given, found patches and mergePatches/,
    ],
    [
      'no patch at all',
      rule('- conditions: {groupResource: pods}\n'),
      /resourceModifierRules\[0\]: needs one of patches, mergePatches or strategicPatches/,
    ],
    [
      'merge patch data that is not a mapping',
      rule('- conditions: {groupResource: pods}\n  mergePatches: [{patchData: "[1, 2]"}]\n'),
      /mergePatches\[0\]\.patchData: must be a YAML or JSON mapping/,
    ],
    [
      'merge patch data that does not parse',
      rule('- conditions: {groupResource: pods}\n  mergePatches: [{patchData: "{a: [}"}]\n'),
      /mergePatches\[0\]\.patchData: invalid YAML or JSON/,
    ],
    [
      'a misspelt strategic directive',
      rule('- conditions: {groupResource: pods}\n  strategicPatches: [{patchData: "{spec: {$patch: remove}}"}]\n'),
      /strategicPatches\[0\]\.patchData: \/spec\/\$patch: "remove" is not a \$patch directive/,
    ],
    [
      'a bad label selector operator',
      rule(
        '- conditions:\n    groupResource: pods\n    labelSelector: {matchExpressions: [{key: a, operator: Like, values: [x]}]}\n  patches: [{operation: remove, path: /a}]\n',
      ),
      /conditions\.labelSelector: .*"Like" is not a valid label selector operator/,
    ],
  ];
  for (const [what, text, expected] of bad) {
    test(`${what} is refused, naming the rule and the problem`, () => {
      const problems = problemsOf(text);
      assert.ok(
        problems.some((p) => expected.test(p)),
        `${expected} not in ${JSON.stringify(problems)}`,
      );
    });
  }

  test('every problem is listed, each rule by its index', () => {
    const problems = problemsOf(
      rule(
        '- conditions: {groupResource: pods}\n  patches: [{operation: remove, path: /a}]\n' +
          '- conditions: {groupResource: pods, resourceNameRegex: "("}\n  patches: [{operation: remove, path: /a}]\n' +
          '- conditions: {groupResource: pods}\n  patches: [{operation: nope, path: /a}]\n',
      ),
    );
    assert.equal(problems.length, 2, JSON.stringify(problems));
    assert.match(problems[0] ?? '', /^resourceModifierRules\[1\]/);
    assert.match(problems[1] ?? '', /^resourceModifierRules\[2\]/);
  });

  test('the error message names the ConfigMap', () => {
    assert.throws(
      () => parseResourceModifiers('version: v9\nresourceModifierRules: []\n', SOURCE),
      /^Error: resource modifiers in ConfigMap velero\/mods: version: unsupported version "v9"/,
    );
  });

  test('a Go flag group such as (?i) becomes a RegExp flag', () => {
    const mods = parseResourceModifiers(
      rule(
        '- conditions: {groupResource: pods, resourceNameRegex: "(?i)^WEB"}\n  patches: [{operation: remove, path: /a}]\n',
      ),
      SOURCE,
    );
    assert.ok(mods.rules[0]?.conditions.resourceNameRegex?.test('web-1'));
  });
});
