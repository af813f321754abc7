import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { OperationLog } from '../../../src/results/operation-log.ts';

test('the operation log keeps every line, in order, and sorts warnings and errors by scope', async () => {
  const log = await OperationLog.create({ backup: 'velero/b1' });
  for (let i = 0; i < 3000; i++) log.info(`item ${i} backed up`, { resource: 'configmaps' });
  log.warn({ namespace: 'shop' }, 'related persistentvolumes pv-1 not found');
  log.error('cluster', 'cannot read clusterroles');
  log.error('operation', 'namespace ghost is included by spec.includedNamespaces but does not exist');
  await log.close();
  const lines = gunzipSync(readFileSync(log.path)).toString().trim().split('\n');
  assert.equal(lines.length, 3003);
  assert.match(lines[0] ?? '', /level=info msg="item 0 backed up" backup=velero\/b1 resource=configmaps/);
  assert.match(lines[3000] ?? '', /level=warning .* namespace=shop/);
  assert.deepEqual(log.results.toJSON(), {
    errors: {
      cluster: ['cannot read clusterroles'],
      velero: ['namespace ghost is included by spec.includedNamespaces but does not exist'],
    },
    warnings: { namespaces: { shop: ['related persistentvolumes pv-1 not found'] } },
  });
  assert.equal(log.results.errorCount, 2);
  assert.equal(log.results.warningCount, 1);
  await log.dispose();
});
