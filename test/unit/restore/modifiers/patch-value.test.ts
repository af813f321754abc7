import assert from 'node:assert/strict';
import { test } from 'node:test';
import { typedPatchValue } from '../../../../src/restore/modifiers/index.ts';

const cases: [raw: unknown, value: unknown][] = [
  ['premium', 'premium'],
  ['', ''],
  [null, ''],
  ['"3"', '3'],
  ['"true"', 'true'],
  ['"a\\nb"', 'a\nb'],
  ['3', 3],
  ['-1.5e3', -1500],
  ['true', true],
  ['False', false],
  ['null', null],
  ['{"a": [1]}', { a: [1] }],
  ['[1, "x"]', [1, 'x']],
  ['1.2.3', '1.2.3'],
  ['0755', '0755'],
  [7, 7],
  [false, false],
  [{ a: 1 }, { a: 1 }],
];

for (const [raw, value] of cases) {
  test(`a patch value ${JSON.stringify(raw)} is ${JSON.stringify(value)} (reference §4.8 value typing)`, () => {
    assert.deepEqual(typedPatchValue(raw), { value });
  });
}

test('a value that starts like JSON but is not valid JSON is an error', () => {
  const t = typedPatchValue('[1, 2');
  assert.ok('error' in t);
  assert.match(t.error, /not valid JSON/);
});
