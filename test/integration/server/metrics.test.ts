/**
 * The metrics address of a real server: a backup and a restore against the real API server
 * and MinIO, then a scrape of /metrics under Velero's names, and /healthz and /readyz.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { adminCluster, core, createNamespace } from '../../helpers/cluster.ts';
import { uniqueName } from '../../helpers/names.ts';
import { restoreAndWait } from '../../helpers/restore-server.ts';
import { backupAndWait, startTestServer, type TestServer } from '../../helpers/skiff-server.ts';

const cluster = adminCluster();

/** Value of one series in the exposition text, e.g. `velero_backup_attempt_total{schedule=""}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('metrics and health endpoints', { concurrency: false }, () => {
  let server: TestServer;
  let url: string;
  const appNs = uniqueName('metrics-app');
  const copyNs = `${appNs}-copy`;

  before(async () => {
    server = await startTestServer(cluster, { metrics: true });
    assert.ok(server.metricsUrl, 'the server reports its metrics address');
    url = server.metricsUrl;
    await createNamespace(cluster, appNs);
    for (const name of ['one', 'two', 'three']) {
      await cluster.create(core('configmaps'), {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name, namespace: appNs },
        data: { name },
      });
    }
  });

  after(async () => {
    await server.stop();
    await cluster.delete(core('namespaces'), appNs);
    await cluster.delete(core('namespaces'), copyNs);
  });

  test('/healthz answers and /readyz is 200 once the leader has synced its informers', async () => {
    const health = await fetch(`${url}/healthz`);
    assert.equal(health.status, 200);
    let ready: Response | undefined;
    for (let i = 0; i < 100; i++) {
      ready = await fetch(`${url}/readyz`);
      if (ready.status === 200) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(ready?.status, 200);
    assert.match(await ready.text(), /leader: informers synced/);
    assert.equal((await fetch(`${url}/nothing`)).status, 404);
  });

  test('after a backup and a restore, the counters, the histogram and the gauges say so', async () => {
    const before = Date.now() / 1000;
    const backup = await backupAndWait(cluster, server.namespace, 'metered', { includedNamespaces: [appNs] });
    assert.equal(backup.status?.phase, 'Completed');
    const restore = await restoreAndWait(cluster, server.namespace, 'metered-restore', {
      backupName: 'metered',
      namespaceMapping: { [appNs]: copyNs },
    });
    assert.equal(restore.status?.phase, 'Completed');
    assert.ok(await cluster.find(core('configmaps'), 'two', copyNs), 'the restore really ran');

    const res = await fetch(`${url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await res.text();
    const manual = (name: string): number | undefined => sample(text, `${name}{schedule=""}`);
    assert.equal(manual('velero_backup_attempt_total'), 1);
    assert.equal(manual('velero_backup_success_total'), 1);
    assert.equal(manual('velero_backup_failure_total'), 0);
    assert.equal(manual('velero_backup_partial_failure_total'), 0);
    assert.equal(manual('velero_backup_duration_seconds_count'), 1);
    assert.equal(sample(text, 'velero_backup_duration_seconds_bucket{le="60",schedule=""}'), 1);
    assert.equal(manual('velero_backup_items_total'), backup.status.progress?.itemsBackedUp);
    assert.ok((manual('velero_backup_items_total') ?? 0) >= 4, 'three ConfigMaps and their namespace at least');
    assert.equal(manual('velero_backup_items_errors'), 0);
    assert.ok((manual('velero_backup_tarball_size_bytes') ?? 0) > 100);
    assert.equal(manual('velero_backup_last_status'), 1);
    assert.ok((manual('velero_backup_last_successful_timestamp') ?? 0) >= Math.floor(before));
    assert.equal(manual('velero_restore_attempt_total'), 1);
    assert.equal(manual('velero_restore_success_total'), 1);
    assert.equal(manual('velero_restore_failed_total'), 0);
    assert.equal(sample(text, 'velero_backup_location_status_gauge{backup_location_name="default"}'), 1);
  });

  test('a backup the server refuses counts as a validation failure, not an attempt', async () => {
    const refused = await backupAndWait(cluster, server.namespace, 'refused', {
      includedNamespaces: [appNs],
      storageLocation: 'nowhere',
    });
    assert.equal(refused.status?.phase, 'FailedValidation');
    const text = await (await fetch(`${url}/metrics`)).text();
    assert.equal(sample(text, 'velero_backup_validation_failure_total{schedule=""}'), 1);
    assert.equal(sample(text, 'velero_backup_attempt_total{schedule=""}'), 1);
  });
});
