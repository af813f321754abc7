import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createMergePatch, fieldChanges } from '../../../src/restore/plan/diff.ts';
import { cloneJson, isRawJson, jsonEqual, parseJsonLossless } from '../../../src/util/json.ts';

const BIG = '9007199254740993';
const MINUS_BIG = '-9007199254740993';

describe('parseJsonLossless', () => {
  test('integers beyond 2^53 keep their digits through parse and stringify', () => {
    const text = `{"spec":{"a":${BIG},"b":${MINUS_BIG},"c":[1,${BIG}],"d":123456789012345678901234567890}}`;
    assert.equal(JSON.stringify(parseJsonLossless(text)), text);
  });

  test('pretty-printed JSON keeps them too', () => {
    const text = `{\n  "n": ${BIG},\n  "l": [\n    ${MINUS_BIG}\n  ]\n}`;
    assert.equal(JSON.stringify(parseJsonLossless(text)), `{"n":${BIG},"l":[${MINUS_BIG}]}`);
  });

  test('safe integers, floats and digit runs inside strings stay ordinary values', () => {
    const value = parseJsonLossless(
      `{"safe":9007199254740991,"neg":-9007199254740991,"f":1.5e300,"frac":12345678901234567.5,"s":"x:12345678901234567890"}`,
    ) as Record<string, unknown>;
    assert.equal(value.safe, 9007199254740991);
    assert.equal(value.neg, -9007199254740991);
    assert.equal(value.f, 1.5e300);
    assert.equal(typeof value.frac, 'number');
    assert.equal(value.s, 'x:12345678901234567890');
  });

  test('text without a long digit run parses exactly as JSON.parse does', () => {
    const text = '{"a":1,"b":[true,null,"2026-01-01T00:00:00Z"],"c":{"d":-0.25}}';
    assert.deepEqual(parseJsonLossless(text), JSON.parse(text));
  });

  test('invalid JSON throws like JSON.parse', () => {
    assert.throws(() => parseJsonLossless(`{"a":${BIG},`), SyntaxError);
    assert.throws(() => parseJsonLossless('{"a":'), SyntaxError);
  });
});

describe('cloneJson and jsonEqual over raw integers', () => {
  const parsed = () => parseJsonLossless(`{"spec":{"n":${BIG},"list":[${MINUS_BIG}]}}`) as Record<string, unknown>;

  test('cloneJson copies deeply and keeps the digits (structuredClone refuses raw values)', () => {
    const original = parsed();
    assert.throws(() => structuredClone(original));
    const copy = cloneJson(original);
    (copy.spec as Record<string, unknown>).extra = 1;
    assert.equal(JSON.stringify(original), `{"spec":{"n":${BIG},"list":[${MINUS_BIG}]}}`);
    assert.equal(JSON.stringify(copy), `{"spec":{"n":${BIG},"list":[${MINUS_BIG}],"extra":1}}`);
  });

  test('equal digits are equal; different digits, or the rounded number, are not', () => {
    assert.ok(jsonEqual(parsed(), parsed()));
    const other = parseJsonLossless(`{"spec":{"n":9007199254740995,"list":[${MINUS_BIG}]}}`);
    assert.ok(!jsonEqual(parsed(), other));
    assert.ok(!jsonEqual(parsed(), JSON.parse(`{"spec":{"n":${BIG},"list":[${MINUS_BIG}]}}`)));
    assert.ok(!jsonEqual(parseJsonLossless(`{"n":${BIG}}`), { n: { rawJSON: BIG } }));
  });
});

describe('restore diff over raw integers', () => {
  const live = parseJsonLossless(`{"spec":{"n":${BIG},"m":${BIG},"gone":${BIG}}}`);
  const desired = parseJsonLossless(`{"spec":{"n":${BIG},"m":9007199254740995,"added":${MINUS_BIG}}}`);

  test('field changes name the field, not the inside of the raw value, and keep the digits', () => {
    const changes = fieldChanges(live, desired);
    assert.deepEqual(
      changes.map((c) => c.path),
      ['/spec/gone', '/spec/m', '/spec/added'],
    );
    assert.equal(
      JSON.stringify(changes),
      `[{"op":"remove","path":"/spec/gone","live":${BIG}},` +
        `{"op":"replace","path":"/spec/m","live":${BIG},"desired":9007199254740995},` +
        `{"op":"add","path":"/spec/added","desired":${MINUS_BIG}}]`,
    );
    assert.deepEqual(fieldChanges(live, parseJsonLossless(JSON.stringify(live))), []);
  });

  test('the merge patch carries the exact digits', () => {
    const patch = createMergePatch(live as Record<string, unknown>, desired as Record<string, unknown>);
    assert.equal(JSON.stringify(patch), `{"spec":{"gone":null,"m":9007199254740995,"added":${MINUS_BIG}}}`);
    assert.ok(isRawJson((patch.spec as Record<string, unknown>).m));
  });

  test('ordinary values diff as before: nested objects, arrays by index, type changes', () => {
    assert.deepEqual(fieldChanges({ a: { b: 1, c: [1, 2, 3] }, t: 'x' }, { a: { b: 2, c: [1] }, t: { x: 1 } }), [
      { op: 'replace', path: '/t', live: 'x', desired: { x: 1 } },
      { op: 'remove', path: '/a/c/2', live: 3 },
      { op: 'remove', path: '/a/c/1', live: 2 },
      { op: 'replace', path: '/a/b', live: 1, desired: 2 },
    ]);
    assert.deepEqual(fieldChanges({ 'a/b~c': 1 }, { 'a/b~c': 2 }), [
      { op: 'replace', path: '/a~1b~0c', live: 1, desired: 2 },
    ]);
  });
});
