import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  compileGlob,
  expandNamespacePatterns,
  globMatch,
  validateNamespacePattern,
} from '../../../src/selection/glob.ts';

const cases: [pattern: string, value: string, expected: boolean][] = [
  ['*', 'anything', true],
  ['*', '', true],
  ['app-*', 'app-frontend', true],
  ['app-*', 'web-app', false],
  ['app-?', 'app-1', true],
  ['app-?', 'app-12', false],
  ['ns-[abc]', 'ns-b', true],
  ['ns-[abc]', 'ns-d', false],
  ['ns-[0-9]', 'ns-7', true],
  ['ns-[!0-9]', 'ns-x', true],
  ['*.apps', 'deployments.apps', true],
  ['{pods,secrets}', 'secrets', true],
  ['kube.system', 'kube-system', false],
  ['ns-[', 'ns-[', false],
];

for (const [pattern, value, expected] of cases) {
  test(`glob ${JSON.stringify(pattern)} ${expected ? 'matches' : 'does not match'} ${JSON.stringify(value)}`, () => {
    assert.equal(globMatch(pattern, value), expected);
  });
}

test('namespace patterns accept *, ? and character classes', () => {
  for (const p of ['*', 'app-*', 'ns-?', 'ns-[a-z]', 'plain', '']) assert.equal(validateNamespacePattern(p), null, p);
});

test('namespace patterns reject unsupported glob syntax, ** and broken brackets', () => {
  const bad: [string, RegExp][] = [
    ['app-{a,b}', /unsupported characters/],
    ['!app', /unsupported characters/],
    ['a|b', /unsupported characters/],
    ['app-**', /consecutive asterisks/],
    ['ns-[abc', /unclosed bracket/],
    ['ns-]', /unmatched closing bracket/],
    ['ns-[]', /empty bracket/],
    ['Upper', /invalid namespace "Upper"/],
    ['-lead', /invalid namespace/],
  ];
  for (const [p, re] of bad) assert.match(validateNamespacePattern(p) ?? '', re, p);
});

test('expanding patterns keeps plain names and reports patterns that matched nothing', () => {
  const r = expandNamespacePatterns(['app-*', 'db', 'zzz-*'], ['app-a', 'app-b', 'web']);
  assert.deepEqual(r.namespaces, ['app-a', 'app-b', 'db']);
  assert.deepEqual(r.unmatchedPatterns, ['zzz-*']);
});

test('with a separator, * and ? stop at it and ** crosses it (resource modifiers, reference §4.8)', () => {
  const re = (p: string): RegExp | null => compileGlob(p, '.');
  assert.equal(re('*.apps')?.test('deployments.apps'), true);
  assert.equal(re('*')?.test('deployments.apps'), false);
  assert.equal(re('*')?.test('configmaps'), true);
  assert.equal(re('**')?.test('deployments.apps'), true);
  assert.equal(re('deployments.?pps')?.test('deployments.apps'), true);
  assert.equal(re('deployments?apps')?.test('deployments.apps'), false);
  assert.equal(compileGlob('*')?.test('deployments.apps'), true, 'without a separator * still crosses dots');
});
