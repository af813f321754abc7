import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decideFairQueue, overCreateRate, type QueuedOperation } from '../../../src/tenant/exec/fair-queue.ts';

/** `count` operations of `namespace`, created one second apart from `fromSecond`. */
function ops(namespace: string, count: number, fromSecond = 0): QueuedOperation[] {
  return Array.from({ length: count }, (_, i) => ({
    namespace,
    name: `${namespace}-${String(i + 1).padStart(3, '0')}`,
    created: new Date(Date.UTC(2026, 11, 5, 23, 0, fromSecond + i)).toISOString(),
  }));
}

const names = (list: readonly { name: string }[]) => list.map((o) => o.name);

describe('decideFairQueue', () => {
  test('two backups sharing a namespace never run together: the second waits in its tenant queue, naming the namespace', () => {
    const [first, second] = ops('alice', 2).map((o) => ({ ...o, exclusive: ['alice'] }));
    const bob = ops('bob', 1, 100);
    const decision = decideFairQueue({
      running: [],
      waiting: [first as QueuedOperation, second as QueuedOperation, ...bob],
      lastStarted: new Map(),
      slots: 3,
      limits: () => ({ maxConcurrent: 2 }),
    });
    // The third slot stays free rather than hold alice's second while the server serialises it.
    assert.deepEqual(names(decision.start), ['alice-001', 'bob-001']);
    const waiting = decision.wait.find((w) => w.name === 'alice-002');
    assert.deepEqual(waiting?.reason, { kind: 'exclusive', namespace: 'alice' });
    assert.equal(waiting?.position, 1);
    // Once the first finished, the second starts.
    const later = decideFairQueue({
      running: [],
      waiting: [second as QueuedOperation],
      lastStarted: new Map(),
      slots: 3,
      limits: () => ({ maxConcurrent: 2 }),
    });
    assert.deepEqual(names(later.start), ['alice-002']);
  });

  test('an operation without exclusive namespaces (a restore) runs beside a backup of its namespace, up to maxConcurrent', () => {
    const decision = decideFairQueue({
      running: [{ namespace: 'alice', name: 'backup', exclusive: ['alice'] }],
      waiting: ops('alice', 2),
      lastStarted: new Map(),
      slots: 4,
      limits: () => ({ maxConcurrent: 2 }),
    });
    assert.deepEqual(names(decision.start), ['alice-001']);
    assert.deepEqual(
      decision.wait.map((w) => [w.name, w.position, w.reason]),
      [['alice-002', 1, { kind: 'maxConcurrent', maxConcurrent: 2 }]],
    );
  });

  test("one tenant's 50 waiting backups do not hold another's first one beyond the busy slot", () => {
    const alice = ops('alice', 50);
    const bob = ops('bob', 1, 100); // created after all of alice's
    const aliceServed = new Map([['alice', '2026-12-05T23:05:00Z']]);
    // The slot is busy: nothing starts; bob is first of his own queue.
    const busy = decideFairQueue({
      running: [{ namespace: 'alice', name: 'alice-000' }],
      waiting: [...alice, ...bob],
      lastStarted: aliceServed,
      slots: 1,
      limits: () => ({}),
    });
    assert.deepEqual(busy.start, []);
    assert.deepEqual(busy.wait.find((w) => w.name === 'bob-001')?.position, 1);
    // Once it is free, bob's goes next although alice's are older.
    const free = decideFairQueue({
      running: [],
      waiting: [...alice, ...bob],
      lastStarted: aliceServed,
      slots: 1,
      limits: () => ({}),
    });
    assert.deepEqual(names(free.start), ['bob-001']);
    // Then alice's turn again, and so on.
    const after = decideFairQueue({
      running: [],
      waiting: [...alice, ...ops('bob', 2, 200)],
      lastStarted: new Map([...aliceServed, ['bob', '2026-12-05T23:06:00Z']]),
      slots: 1,
      limits: () => ({}),
    });
    assert.deepEqual(names(after.start), ['alice-001']);
  });

  test('namespaces take turns: with three slots free, each tenant gets one before anyone gets two', () => {
    const decision = decideFairQueue({
      running: [],
      waiting: [...ops('a', 5), ...ops('b', 5, 10), ...ops('c', 1, 20)],
      lastStarted: new Map(),
      slots: 3,
      limits: () => ({}),
    });
    assert.deepEqual(names(decision.start), ['a-001', 'b-001', 'c-001']);
  });

  test('positions are tenant-local and count only the namespace’s own waiting operations', () => {
    const decision = decideFairQueue({
      running: [{ namespace: 'a', name: 'a-000' }],
      waiting: [...ops('a', 3), ...ops('b', 2, 10)],
      lastStarted: new Map(),
      slots: 1,
      limits: () => ({}),
    });
    assert.deepEqual(
      decision.wait.map((w) => [w.name, w.position]),
      [
        ['a-001', 1],
        ['a-002', 2],
        ['a-003', 3],
        ['b-001', 1],
        ['b-002', 2],
      ],
    );
  });

  test('maxConcurrent keeps a namespace at its limit while another uses the free slots', () => {
    const decision = decideFairQueue({
      running: [{ namespace: 'a', name: 'a-000' }],
      waiting: [...ops('a', 3), ...ops('b', 3, 10)],
      lastStarted: new Map([['a', '2026-12-05T23:00:00Z']]),
      slots: 4,
      limits: (ns) => (ns === 'a' ? { maxConcurrent: 1 } : {}),
    });
    assert.deepEqual(names(decision.start), ['b-001', 'b-002', 'b-003']);
    assert.deepEqual(names(decision.wait), ['a-001', 'a-002', 'a-003']);
  });

  test('maxQueued refuses the newest beyond it, after what starts now', () => {
    const decision = decideFairQueue({
      running: [],
      waiting: ops('a', 5),
      lastStarted: new Map(),
      slots: 1,
      limits: () => ({ maxConcurrent: 1, maxQueued: 2 }),
    });
    assert.deepEqual(names(decision.start), ['a-001']);
    assert.deepEqual(names(decision.wait), ['a-002', 'a-003']);
    assert.deepEqual(
      decision.reject.map((r) => [r.name, r.maxQueued]),
      [
        ['a-004', 2],
        ['a-005', 2],
      ],
    );
  });

  test('at least one slot is needed', () => {
    assert.throws(
      () => decideFairQueue({ running: [], waiting: [], lastStarted: new Map(), slots: 0, limits: () => ({}) }),
      RangeError,
    );
  });
});

describe('overCreateRate', () => {
  test('counts the namespace’s creations in the minute up to the operation, itself included', () => {
    const list = ops('a', 4); // seconds 0..3
    const [first, second, third, fourth] = list as [QueuedOperation, QueuedOperation, QueuedOperation, QueuedOperation];
    assert.equal(overCreateRate(first, list, 3), false);
    assert.equal(overCreateRate(third, list, 3), false);
    assert.equal(overCreateRate(fourth, list, 3), true);
    assert.equal(overCreateRate(second, list, 1), true);
  });

  test('creations older than a minute do not count', () => {
    const old = ops('a', 3, 0);
    const late = ops('a', 1, 120).map((o) => ({ ...o, name: 'late' }));
    assert.equal(overCreateRate(late[0] as QueuedOperation, [...old, ...late], 1), false);
  });
});
