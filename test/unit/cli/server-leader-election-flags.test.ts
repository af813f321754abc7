import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CliContext } from '../../../src/cli/context.ts';
import { serverOptions } from '../../../src/cli/server/server.ts';

const ctx = new CliContext({ namespace: 'velero' });

describe('skiff server leader election flags', () => {
  test('--leader-elect=false turns it off; durations keep their Go form', () => {
    const o = serverOptions(ctx, {
      leaderElect: 'false',
      leaderElectLeaseDuration: '4s',
      leaderElectRenewDeadline: '3s',
      leaderElectRetryPeriod: '500ms',
      leaderElectResourceName: 'my-lease',
    });
    assert.equal(o.leaderElect, false);
    assert.equal(o.leaderElectLeaseDuration, '4s');
    assert.equal(o.leaderElectRenewDeadline, '3s');
    assert.equal(o.leaderElectRetryPeriod, '500ms');
    assert.equal(o.leaderElectResourceName, 'my-lease');
  });

  test('the bare flag and the defaults mean on', () => {
    assert.equal(serverOptions(ctx, { leaderElect: true }).leaderElect, true);
    assert.equal(serverOptions(ctx, { leaderElect: 'true' }).leaderElect, true);
  });

  test('bad values are refused, naming the flag', () => {
    assert.throws(() => serverOptions(ctx, { leaderElect: 'maybe' }), /--leader-elect: "maybe" is not a boolean/);
    assert.throws(
      () => serverOptions(ctx, { leaderElectLeaseDuration: '10s', leaderElectRenewDeadline: '10s' }),
      /--leader-elect-renew-deadline must be shorter than --leader-elect-lease-duration/,
    );
    assert.throws(() => serverOptions(ctx, { leaderElectRetryPeriod: 'soon' }), /--leader-elect-retry-period/);
  });

  test('timings do not matter when leader election is off', () => {
    const o = serverOptions(ctx, { leaderElect: 'false', leaderElectLeaseDuration: '1s' });
    assert.equal(o.leaderElect, false);
  });
});
