import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  decideLease,
  leaseTimingProblems,
  microTime,
  releasedSpec,
  renewDeadlinePassed,
  type LeaseSpec,
} from '../../../src/server/lease.ts';

/** A fake clock: seconds after a fixed instant. */
const t0 = new Date('2026-03-01T12:00:00Z');
const at = (seconds: number): Date => new Date(t0.getTime() + seconds * 1000);

const held = (holder: string, transitions = 0): LeaseSpec => ({
  holderIdentity: holder,
  leaseDurationSeconds: 15,
  acquireTime: microTime(t0),
  renewTime: microTime(t0),
  leaseTransitions: transitions,
});

describe('leader election decisions', () => {
  test('no lease: create it, holding it, with MicroTime stamps', () => {
    const d = decideLease({ spec: undefined, changedAt: t0 }, at(0), 'me', 15);
    assert.equal(d.action, 'create');
    assert.deepEqual(d.action === 'create' && d.spec, {
      holderIdentity: 'me',
      leaseDurationSeconds: 15,
      acquireTime: '2026-03-01T12:00:00.000000Z',
      renewTime: '2026-03-01T12:00:00.000000Z',
      leaseTransitions: 0,
    });
  });

  test('our own lease: renew it, keeping the acquire time and transitions', () => {
    const d = decideLease({ spec: held('me', 3), changedAt: t0 }, at(2), 'me', 15);
    assert.equal(d.action, 'update');
    assert.ok(d.action === 'update');
    assert.equal(d.leading, 'renew');
    assert.equal(d.spec.acquireTime, microTime(t0));
    assert.equal(d.spec.renewTime, microTime(at(2)));
    assert.equal(d.spec.leaseTransitions, 3);
  });

  test("another's live lease: wait until it would expire, counted from when we saw it change", () => {
    const d = decideLease({ spec: held('other'), changedAt: at(5) }, at(14), 'me', 15);
    assert.equal(d.action, 'wait');
    assert.ok(d.action === 'wait');
    assert.equal(d.holder, 'other');
    assert.deepEqual(d.expiresAt, at(20));
  });

  test("the holder's renewTime is ignored: its clock may be far off ours", () => {
    const skewed = { ...held('other'), renewTime: microTime(new Date('2020-01-01T00:00:00Z')) };
    assert.equal(decideLease({ spec: skewed, changedAt: at(0) }, at(10), 'me', 15).action, 'wait');
  });

  test("another's lease unrenewed for its whole duration: take it over, one more transition", () => {
    const d = decideLease({ spec: held('other', 1), changedAt: at(0) }, at(15), 'me', 15);
    assert.ok(d.action === 'update');
    assert.equal(d.leading, 'acquire');
    assert.equal(d.spec.holderIdentity, 'me');
    assert.equal(d.spec.acquireTime, microTime(at(15)));
    assert.equal(d.spec.leaseTransitions, 2);
    assert.match(d.reason, /expired/);
  });

  test("the lease's own duration counts, not ours", () => {
    const long = { ...held('other'), leaseDurationSeconds: 60 };
    assert.equal(decideLease({ spec: long, changedAt: at(0) }, at(30), 'me', 15).action, 'wait');
    assert.equal(decideLease({ spec: long, changedAt: at(0) }, at(60), 'me', 15).action, 'update');
  });

  test('a released lease is taken at once', () => {
    const released = releasedSpec(held('other'), at(3));
    assert.equal(released.holderIdentity, '');
    const d = decideLease({ spec: released, changedAt: at(3) }, at(3), 'me', 15);
    assert.ok(d.action === 'update');
    assert.equal(d.leading, 'acquire');
    assert.match(d.reason, /released/);
  });

  test('the renew deadline: a leader that could not renew for that long must stop', () => {
    assert.equal(renewDeadlinePassed(at(0), at(9.9), 10_000), false);
    assert.equal(renewDeadlinePassed(at(0), at(10), 10_000), true);
  });

  test('timings are checked as client-go checks them, naming the flags', () => {
    assert.deepEqual(
      leaseTimingProblems({ leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 }),
      [],
    );
    assert.match(
      leaseTimingProblems({ leaseDurationMs: 10_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 }).join(),
      /--leader-elect-renew-deadline must be shorter than --leader-elect-lease-duration/,
    );
    assert.match(
      leaseTimingProblems({ leaseDurationMs: 15_000, renewDeadlineMs: 2_000, retryPeriodMs: 2_000 }).join(),
      /--leader-elect-renew-deadline must be longer than 1.2 × --leader-elect-retry-period/,
    );
  });
});
