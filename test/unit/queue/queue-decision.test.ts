import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ALL_NAMESPACES,
  decideQueue,
  formatQueueDecision,
  namespaceScope,
  scopesOverlap,
  type QueueEntry,
} from '../../../src/queue/queue-decision.ts';

const of = (name: string, ...namespaces: string[]): QueueEntry => ({
  name,
  scope: namespaces.length === 0 ? ALL_NAMESPACES : namespaceScope(namespaces),
});

describe('scopesOverlap', () => {
  test('disjoint sets do not overlap; a shared namespace or "every namespace" does', () => {
    assert.equal(scopesOverlap(namespaceScope(['a', 'b']), namespaceScope(['c'])), false);
    assert.equal(scopesOverlap(namespaceScope(['a', 'b']), namespaceScope(['c', 'b'])), true);
    assert.equal(scopesOverlap(ALL_NAMESPACES, namespaceScope(['c'])), true);
    assert.equal(scopesOverlap(namespaceScope([]), ALL_NAMESPACES), true);
  });
});

describe('decideQueue', () => {
  test('waiting operations of disjoint namespaces start together up to the limit', () => {
    const d = decideQueue({ running: [], waiting: [of('b1', 'a'), of('b2', 'b'), of('b3', 'c')], limit: 2 });
    assert.deepEqual(d.start, ['b1', 'b2']);
    assert.deepEqual(d.wait, [{ name: 'b3', position: 1, reason: { kind: 'limit', limit: 2 } }]);
  });

  test('with the default limit of 1, only the oldest starts', () => {
    const d = decideQueue({ running: [], waiting: [of('b1', 'a'), of('b2', 'b')], limit: 1 });
    assert.deepEqual(d.start, ['b1']);
    assert.deepEqual(
      d.wait.map((w) => [w.name, w.position]),
      [['b2', 1]],
    );
  });

  test('an operation overlapping a running one waits, naming it and the namespace', () => {
    const d = decideQueue({ running: [of('r', 'a', 'x')], waiting: [of('b1', 'x', 'y')], limit: 5 });
    assert.deepEqual(d.start, []);
    assert.deepEqual(d.wait, [{ name: 'b1', position: 1, reason: { kind: 'overlap', with: 'r', namespace: 'x' } }]);
  });

  test('FIFO: a later operation never overtakes an earlier waiting one it overlaps', () => {
    // b1 waits for r; b2 shares namespace b with b1 and must not start before it,
    // even though r does not touch b; b3 is disjoint from everything and goes.
    const d = decideQueue({
      running: [of('r', 'a')],
      waiting: [of('b1', 'a', 'b'), of('b2', 'b'), of('b3', 'c')],
      limit: 5,
    });
    assert.deepEqual(d.start, ['b3']);
    assert.deepEqual(
      d.wait.map((w) => [w.name, w.position, w.reason.kind === 'overlap' ? w.reason.with : '']),
      [
        ['b1', 1, 'r'],
        ['b2', 2, 'b1'],
      ],
    );
  });

  test('an operation of every namespace waits for all before it, and all after it wait for it', () => {
    const d = decideQueue({
      running: [of('r', 'a')],
      waiting: [of('all'), of('b', 'b')],
      limit: 5,
    });
    assert.deepEqual(d.start, []);
    assert.deepEqual(
      d.wait.map((w) => w.name),
      ['all', 'b'],
    );
  });

  test('running operations count against the limit even when disjoint', () => {
    const d = decideQueue({ running: [of('r1', 'a'), of('r2', 'b')], waiting: [of('w', 'c')], limit: 2 });
    assert.deepEqual(d.start, []);
    assert.deepEqual(d.wait[0]?.reason, { kind: 'limit', limit: 2 });
  });

  test('no limit: every disjoint operation starts', () => {
    const d = decideQueue({
      running: [of('r', 'a')],
      waiting: [of('w1', 'b'), of('w2', 'c'), of('w3', 'a')],
      limit: Infinity,
    });
    assert.deepEqual(d.start, ['w1', 'w2']);
    assert.deepEqual(
      d.wait.map((w) => w.name),
      ['w3'],
    );
  });

  test('a limit below 1 is refused', () => {
    assert.throws(() => decideQueue({ running: [], waiting: [], limit: 0 }), /at least 1/);
  });

  test('the decision prints one line per operation', () => {
    const d = decideQueue({ running: [of('r', 'a')], waiting: [of('b1', 'a'), of('b2', 'b')], limit: 2 });
    assert.equal(
      formatQueueDecision(d),
      ['start b2', 'wait  b1 #1: waiting for r, which also covers namespace a'].join('\n'),
    );
  });
});
