import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mergeBounded } from '../../../src/util/async.ts';

/** A source of `n` items that records when each item is asked for. */
function source(name: string, n: number, asked: string[]): () => AsyncGenerator<string> {
  return async function* () {
    for (let i = 0; i < n; i++) {
      asked.push(`${name}${i}`);
      await Promise.resolve();
      yield `${name}${i}`;
    }
  };
}

test('mergeBounded hands over every item of every source, each source in its order', async () => {
  const asked: string[] = [];
  const out: string[] = [];
  for await (const v of mergeBounded([source('a', 3, asked), source('b', 2, asked), source('c', 4, asked)], 2))
    out.push(v);
  assert.deepEqual([...out].sort(), ['a0', 'a1', 'a2', 'b0', 'b1', 'c0', 'c1', 'c2', 'c3']);
  for (const name of ['a', 'b', 'c']) {
    const own = out.filter((v) => v.startsWith(name));
    assert.deepEqual(own, [...own].sort());
  }
});

test('mergeBounded reads sources ahead of a consumer that is busy, and starts the next source when one ends', async () => {
  const asked: string[] = [];
  const merged = mergeBounded([source('a', 1, asked), source('b', 1, asked), source('c', 1, asked)], 2);
  const first = await merged.next();
  assert.equal(first.value, 'a0');
  // While the consumer holds a0, a has ended and c was started in its place, without another next().
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
  assert.deepEqual([...asked].sort(), ['a0', 'b0', 'c0']);
  const rest: string[] = [];
  for await (const v of merged) rest.push(v);
  assert.deepEqual(rest.sort(), ['b0', 'c0']);
});

test('mergeBounded asks no source for more while `queued` items wait', async () => {
  const asked: string[] = [];
  const merged = mergeBounded([source('a', 10, asked)], 1, 2);
  await merged.next();
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
  // a0 handed over, a1 and a2 wait: a3 is not asked for until the consumer takes one.
  assert.deepEqual(asked, ['a0', 'a1', 'a2']);
  await merged.return(undefined);
});

test("mergeBounded throws a source's error when the consumer reaches it, and stops the other sources", async () => {
  let returned = false;
  async function* failing(): AsyncGenerator<string> {
    await Promise.resolve();
    if (Date.now() > 0) throw new Error('list refused');
    yield 'never';
  }
  async function* endless(): AsyncGenerator<string> {
    try {
      for (let i = 0; ; i++) {
        await new Promise((r) => setImmediate(r));
        yield `e${i}`;
      }
    } finally {
      returned = true;
    }
  }
  await assert.rejects(async () => {
    for await (const _ of mergeBounded([failing, endless], 2)) {
      // consumes until the error
    }
  }, /list refused/);
  assert.equal(returned, true);
});
