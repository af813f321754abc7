import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  LabelSelectorError,
  labelSelectorFromObject,
  matches,
  parseLabelSelector,
  selectorToString,
} from '../../../src/selection/label-selector.ts';

test('every operator of the string form parses and prints in canonical order', () => {
  const s = parseLabelSelector('a=b,c!=d,e in (y,x),f notin (z),g,!h,i==j');
  assert.equal(selectorToString(s), 'a=b,c!=d,e in (x,y),f notin (z),g,!h,i==j');
});

test('the empty selector matches everything', () => {
  assert.equal(matches(parseLabelSelector(''), {}), true);
  assert.equal(matches(labelSelectorFromObject(undefined), { a: 'b' }), true);
  assert.equal(matches(labelSelectorFromObject({}), undefined), true);
});

const matchCases: [selector: string, labels: Record<string, string>, expected: boolean][] = [
  ['app=web', { app: 'web' }, true],
  ['app=web', { app: 'db' }, false],
  ['app==web', { app: 'web' }, true],
  ['app!=web', {}, true],
  ['app!=web', { app: 'web' }, false],
  ['tier in (a,b)', { tier: 'b' }, true],
  ['tier in (a,b)', {}, false],
  ['tier notin (a,b)', {}, true],
  ['tier notin (a,b)', { tier: 'a' }, false],
  ['env', { env: '' }, true],
  ['env', {}, false],
  ['!env', {}, true],
  ['!env', { env: 'x' }, false],
  ['app=web,env', { app: 'web' }, false],
  ['a=', { a: '' }, true],
  ['n>3', { n: '4' }, true],
  ['n<3', { n: '4' }, false],
];
for (const [selector, labels, expected] of matchCases) {
  test(`selector "${selector}" ${expected ? 'matches' : 'does not match'} ${JSON.stringify(labels)}`, () => {
    assert.equal(matches(parseLabelSelector(selector), labels), expected);
  });
}

test('malformed selectors fail with the input quoted', () => {
  for (const bad of ['a b', 'a in x', 'a in ()', '!', 'a=b,', 'a=(', '-bad=x', 'a=b c', 'k=' + 'v'.repeat(64), 'a>x']) {
    assert.throws(
      () => parseLabelSelector(bad),
      (err: unknown) =>
        err instanceof LabelSelectorError && err.message.startsWith(`invalid label selector "${bad}": `),
      bad,
    );
  }
});

test('the object form converts matchLabels and every matchExpressions operator', () => {
  const s = labelSelectorFromObject({
    matchLabels: { app: 'web' },
    matchExpressions: [
      { key: 'tier', operator: 'In', values: ['a', 'b'] },
      { key: 'zone', operator: 'NotIn', values: ['x'] },
      { key: 'env', operator: 'Exists' },
      { key: 'legacy', operator: 'DoesNotExist' },
    ],
  });
  assert.equal(selectorToString(s), 'app=web,env,!legacy,tier in (a,b),zone notin (x)');
  assert.equal(matches(s, { app: 'web', tier: 'a', env: '1' }), true);
  assert.equal(matches(s, { app: 'web', tier: 'a', env: '1', legacy: 'y' }), false);
});

test('object-form errors name the bad operator or value set', () => {
  assert.throws(
    () => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'Equals' }] }),
    /"Equals" is not a valid/,
  );
  assert.throws(
    () => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }),
    /can't be empty/,
  );
  assert.throws(
    () => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }),
    /must be empty/,
  );
});
