/**
 * A controller retries a failing object after an exponential backoff, per object, reset by a
 * success (issue 12: every controller requeued after a fixed 5 s). Run against the real API
 * server; the waits are read from the controller's own log lines, never timed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { Controller } from '../../../src/controllers/controller.ts';
import { adminCluster, core, createNamespace, waitFor } from '../../helpers/cluster.ts';
import { uniqueName } from '../../helpers/names.ts';

const cluster = adminCluster();

test('a failing object is retried after 50, 100, 200, 400, 400 ms (capped), and after a success from 50 again', async () => {
  const ns = uniqueName('backoff');
  await createNamespace(cluster, ns);
  const name = 'flaky';
  await cluster.create(core('configmaps'), {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: ns },
    data: { v: '1' },
  });
  const lines: Record<string, unknown>[] = [];
  const log = pino(
    { level: 'info' },
    { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  let calls = 0;
  const stop = new AbortController();
  const controller = new Controller(
    cluster,
    {
      name: 'flaky',
      type: { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true, verbs: [] },
      namespace: ns,
      reconcile: (obj) => {
        if (obj.metadata.name !== name) return Promise.resolve(undefined);
        calls++;
        // Calls 1-5 fail, 6 succeeds, 7 and later fail again.
        if (calls === 6) return Promise.resolve(undefined);
        return Promise.reject(new Error(`attempt ${calls} failed`));
      },
    },
    log,
    { backoff: { baseMs: 50, capMs: 400, jitter: 0 } },
  );
  const running = controller.run(stop.signal);
  try {
    await waitFor('six reconciles', () => Promise.resolve(calls >= 6));
    await cluster.patch(core('configmaps'), { name, namespace: ns }, 'merge', { data: { v: '2' } });
    await waitFor('a failure after the success', () => Promise.resolve(calls >= 7));
  } finally {
    stop.abort();
    await running;
    await cluster.delete(core('namespaces'), ns);
  }
  const waits = lines.filter((l) => l.msg?.toString().startsWith('reconcile failed')).map((l) => l.retryInMs);
  assert.deepEqual(waits.slice(0, 6), [50, 100, 200, 400, 400, 50]);
  const first = lines.find((l) => l.msg?.toString().startsWith('reconcile failed'));
  assert.equal(first?.failures, 1);
  assert.match(String(first?.msg), /retrying in 0\.1s/);
});
