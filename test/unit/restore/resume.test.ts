import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject } from '../../../src/kube/object.ts';
import { OperationLog } from '../../../src/results/operation-log.ts';
import { applyRestorePlan } from '../../../src/restore/apply/apply-plan.ts';
import { planTotals } from '../../../src/restore/plan/types.ts';
import { FakeRestoreCluster } from '../../helpers/restore-fake-cluster.ts';
import { item, obj, opFor, planFor } from '../../helpers/restore-fixtures.ts';

const cms = ['a', 'b', 'c'].map((n) => item('configmaps', obj('v1', 'ConfigMap', `cm-${n}`, 'app', { data: { n } })));

/** The copy of a backed-up ConfigMap that a restore named `restoreName` left in the cluster. */
function restoredCopy(name: string, n: string, restoreName: string): KubeObject {
  return obj('v1', 'ConfigMap', name, 'app', {
    metadata: {
      uid: `live-${name}`,
      resourceVersion: '7',
      labels: { 'velero.io/backup-name': 'b1', 'velero.io/restore-name': restoreName },
    },
    data: { n },
  });
}

async function apply(plan: Awaited<ReturnType<typeof planFor>>, cluster: FakeRestoreCluster) {
  const log = await OperationLog.create({ restore: 'test' });
  try {
    return { out: await applyRestorePlan(plan, { cluster, log }), results: log.results.toJSON() };
  } finally {
    await log.dispose();
  }
}

describe('resuming a restore after a restart', () => {
  test('an identical object labelled with this restore is planned as restored earlier, not a plain skip', async () => {
    const plan = await planFor({ items: cms, live: [restoredCopy('cm-a', 'a', 'r1')] });
    const op = opFor(plan, 'ConfigMap', 'cm-a');
    assert.equal(op.kind, 'skip');
    assert.equal(op.kind === 'skip' && op.restoredEarlier, true);
  });

  test('an identical object from another restore stays a plain identical skip', async () => {
    const plan = await planFor({ items: cms, live: [restoredCopy('cm-a', 'a', 'some-other-restore')] });
    const op = opFor(plan, 'ConfigMap', 'cm-a');
    assert.equal(op.kind === 'skip' && op.reason, 'identical');
    assert.equal(op.kind === 'skip' && op.restoredEarlier, undefined);
  });

  test('the resumed run records objects of the earlier attempt as created, with full progress', async () => {
    const plan = await planFor({
      items: cms,
      live: [restoredCopy('cm-a', 'a', 'r1'), restoredCopy('cm-b', 'b', 'r1')],
    });
    const { out, results } = await apply(plan, new FakeRestoreCluster());
    assert.deepEqual((await out.resourceList.toJSON())['v1/ConfigMap'], [
      'app/cm-a(created)',
      'app/cm-b(created)',
      'app/cm-c(created)',
    ]);
    assert.equal(out.progress.itemsRestored, out.progress.totalItems);
    assert.equal(out.progress.totalItems, planTotals(plan).items);
    assert.equal(results.warnings.namespaces, undefined);
  });

  test('an object this restore created between planning and applying also counts as created', async () => {
    const plan = await planFor({ items: cms.slice(0, 1) });
    const cluster = new FakeRestoreCluster();
    cluster.appearOnCreate.set('/configmaps/app/cm-a', restoredCopy('cm-a', 'a', 'r1'));
    const { out } = await apply(plan, cluster);
    assert.deepEqual((await out.resourceList.toJSON())['v1/ConfigMap'], ['app/cm-a(created)']);
  });

  test('under policy update a copy from this restore is left alone, not patched', async () => {
    const plan = await planFor({
      items: cms.slice(0, 1),
      spec: { existingResourcePolicy: 'update' },
      live: [restoredCopy('cm-a', 'a', 'r1')],
    });
    const cluster = new FakeRestoreCluster();
    const { out } = await apply(plan, cluster);
    assert.deepEqual((await out.resourceList.toJSON())['v1/ConfigMap'], ['app/cm-a(created)']);
    assert.ok(!cluster.calls.some((c) => c.startsWith('patch')), cluster.calls.join('\n'));
  });

  test('a copy whose field owners the earlier attempt did not put back gets them now; one that has them is left', async () => {
    const owners = [{ manager: 'gitops-tool', operation: 'Apply', apiVersion: 'v1', fieldsType: 'FieldsV1' }];
    const owned = ['a', 'b'].map((n) =>
      item(
        'configmaps',
        obj('v1', 'ConfigMap', `cm-${n}`, 'app', { metadata: { managedFields: owners }, data: { n } }),
      ),
    );
    const interrupted = restoredCopy('cm-a', 'a', 'r1');
    interrupted.metadata.managedFields = [{ manager: 'skiff', operation: 'Update', apiVersion: 'v1' }];
    const finished = restoredCopy('cm-b', 'b', 'r1');
    finished.metadata.managedFields = owners;
    const plan = await planFor({ items: owned, live: [interrupted, finished] });
    const cluster = new FakeRestoreCluster();
    for (const o of [interrupted, finished]) cluster.objects.set(`/configmaps/app/${o.metadata.name ?? ''}`, o);
    const { out } = await apply(plan, cluster);
    assert.deepEqual(cluster.calls, [
      `patch /configmaps/app/cm-a ${JSON.stringify({ metadata: { managedFields: owners } })}`,
    ]);
    assert.deepEqual((await out.resourceList.toJSON())['v1/ConfigMap'], ['app/cm-a(created)', 'app/cm-b(created)']);
  });
});
