import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseListenAddress, Readiness } from '../../../src/server/health.ts';

describe('readiness', () => {
  test('not ready while starting; a standby is ready; a leader once every informer has synced', () => {
    const r = new Readiness();
    assert.equal(r.check().ready, false);
    r.standingBy();
    assert.deepEqual(r.check(), { ready: true, message: 'standby: another server leads' });
    r.leading(['backup', 'restore']);
    assert.deepEqual(r.check(), { ready: false, message: 'leader: waiting for informers: backup, restore' });
    r.informerSynced('backup');
    r.informerSynced('restore');
    assert.equal(r.check().ready, true);
  });
});

describe('--metrics-address', () => {
  test("':8085' listens on every interface, as Velero's default; a bare port on loopback", () => {
    assert.deepEqual(parseListenAddress(':8085'), { host: undefined, port: 8085 });
    assert.deepEqual(parseListenAddress('127.0.0.1:0'), { host: '127.0.0.1', port: 0 });
    assert.deepEqual(parseListenAddress('[::1]:9000'), { host: '::1', port: 9000 });
    assert.deepEqual(parseListenAddress('8085'), { host: '127.0.0.1', port: 8085 });
  });

  test('a port that is not a number is named', () => {
    assert.throws(() => parseListenAddress('localhost:http'), /--metrics-address "localhost:http": the port "http"/);
  });
});
