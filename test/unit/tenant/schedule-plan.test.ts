import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseCronSchedule, shortestInterval } from '../../../src/schedule/cron.ts';
import { readPolicy } from '../../../src/tenant/exec/policy.ts';
import { decideTenantSchedule, type TenantScheduleInput } from '../../../src/tenant/exec/schedule-plan.ts';

function input(over: Partial<TenantScheduleInput> = {}, policySpec: Record<string, unknown> = {}): TenantScheduleInput {
  return {
    name: 'nightly',
    namespace: 'team-a',
    namespaceUid: 'uid-a',
    created: '2026-12-05T20:00:00Z',
    spec: { requester: { username: 'alice' }, schedule: '0 1 * * *', template: {} },
    lastBackup: undefined,
    policy: readPolicy({
      apiVersion: 'tenant.skiff.dev/v1alpha1',
      kind: 'TenantPolicy',
      metadata: { name: 'p1' },
      spec: { namespaceSelector: {}, storageLocation: 'shared', ...policySpec },
    }),
    unfinished: [],
    now: new Date('2026-12-05T23:00:00Z'),
    ...over,
  };
}

describe('decideTenantSchedule', () => {
  test('waits for the next run after its creation, then creates <name>-<timestamp> from the template', () => {
    const waiting = decideTenantSchedule(input());
    assert.equal(waiting.kind, 'wait');
    assert.equal(waiting.kind === 'wait' && waiting.next.toISOString(), '2026-12-06T01:00:00.000Z');
    const due = decideTenantSchedule(
      input({ now: new Date('2026-12-06T01:00:05Z'), spec: { ...input().spec, template: { ttl: '24h' } } }),
    );
    assert.equal(due.kind, 'create');
    if (due.kind !== 'create') return;
    assert.equal(due.backupName, 'nightly-20261206010005');
    assert.deepEqual(due.template, { ttl: '24h' });
    assert.equal(due.next?.toISOString(), '2026-12-07T01:00:00.000Z');
  });

  test('a run is skipped while the previous backup of the schedule has not finished', () => {
    const d = decideTenantSchedule(input({ now: new Date('2026-12-06T01:00:05Z'), unfinished: ['nightly-1'] }));
    assert.equal(d.kind, 'skip-running');
  });

  test('paused creates nothing', () => {
    const d = decideTenantSchedule(
      input({ now: new Date('2026-12-06T01:00:05Z'), spec: { ...input().spec, paused: true } }),
    );
    assert.equal(d.kind, 'paused');
  });

  test('a cron firing more often than minScheduleInterval is refused, naming it', () => {
    const d = decideTenantSchedule(
      input({ spec: { ...input().spec, schedule: '0,5 * * * *' } }, { minScheduleInterval: '1h' }),
    );
    assert.equal(d.kind, 'invalid');
    assert.match(
      d.kind === 'invalid' ? d.errors.join() : '',
      /every 5m, more often than the minScheduleInterval 1h of TenantPolicy p1/,
    );
    assert.equal(decideTenantSchedule(input({}, { minScheduleInterval: '24h' })).kind, 'wait');
  });

  test('the template is checked as a TenantBackup would be, errors named under spec.template', () => {
    const d = decideTenantSchedule(
      input({ spec: { ...input().spec, template: { ttl: '100h', bogus: true } } }, { maxTTL: '72h' }),
    );
    assert.equal(d.kind, 'invalid');
    const errors = d.kind === 'invalid' ? d.errors.join('\n') : '';
    assert.match(errors, /spec\.template\.ttl 100h is longer than TenantPolicy p1's maxTTL 72h/);
    assert.match(errors, /spec\.template\.bogus is not a TenantBackup field/);
  });

  test('an unknown schedule field and a bad expression are named', () => {
    const d = decideTenantSchedule(input({ spec: { ...input().spec, schedule: '61 * * * *', extra: 1 } }));
    const errors = d.kind === 'invalid' ? d.errors.join('\n') : '';
    assert.match(errors, /spec\.extra is not a TenantSchedule field/);
    assert.match(errors, /invalid spec\.schedule "61 \* \* \* \*"/);
  });
});

describe('shortestInterval', () => {
  test('finds the closest pair of runs of a cron expression and the interval of @every', () => {
    const from = new Date('2026-12-05T23:00:00Z');
    assert.equal(shortestInterval(parseCronSchedule('0,5 * * * *'), from), 5 * 60_000);
    assert.equal(shortestInterval(parseCronSchedule('0 1 * * *'), from), 24 * 3_600_000);
    assert.equal(shortestInterval(parseCronSchedule('@every 90m'), from), 90 * 60_000);
  });
});
