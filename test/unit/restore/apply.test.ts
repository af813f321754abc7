import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OperationLog } from '../../../src/results/operation-log.ts';
import { applyRestorePlan, type RestoreProgress } from '../../../src/restore/apply/apply-plan.ts';
import { KubeApiError } from '../../../src/kube/errors.ts';
import { FakeRestoreCluster } from '../../helpers/restore-fake-cluster.ts';
import { item, obj, planFor } from '../../helpers/restore-fixtures.ts';

const cms = Array.from({ length: 20 }, (_, i) =>
  item('configmaps', obj('v1', 'ConfigMap', `cm-${String(i).padStart(2, '0')}`, 'app', { data: { i: String(i) } })),
);

async function withLog<T>(fn: (log: OperationLog) => Promise<T>): Promise<T> {
  const log = await OperationLog.create({ restore: 'test' });
  try {
    return await fn(log);
  } finally {
    await log.dispose();
  }
}

describe('applying a restore plan', () => {
  test('creates tier by tier with bounded concurrency, reports progress and a sorted resource list', async () => {
    const plan = await planFor({ items: cms, spec: { restoreStatus: { includedResources: ['configmaps'] } } });
    const cluster = new FakeRestoreCluster();
    const progress: RestoreProgress[] = [];
    const out = await withLog((log) =>
      applyRestorePlan(plan, { cluster, log, concurrency: 3, onProgress: (p) => progress.push(p) }),
    );
    // Exactly 3: never more than asked for, and the 20 ConfigMaps really do go out in parallel.
    assert.equal(cluster.maxInFlight, 3);
    assert.ok(cluster.calls[0]?.startsWith('create /namespaces//app'), 'the namespace comes first');
    assert.equal((await out.resourceList.toJSON())['v1/ConfigMap']?.length, 20);
    assert.equal((await out.resourceList.toJSON())['v1/ConfigMap']?.[0], 'app/cm-00(created)');
    assert.deepEqual((await out.resourceList.toJSON())['v1/Namespace'], ['app(created)']);
    assert.deepEqual(progress.at(-1), { totalItems: 21, itemsRestored: 21 });
  });

  test('an object that appears before its create is re-read: identical is skipped, different is a warning', async () => {
    const plan = await planFor({ items: cms.slice(0, 2) });
    const cluster = new FakeRestoreCluster();
    const same = structuredClone(cms[0]!.object);
    cluster.appearOnCreate.set('/configmaps/app/cm-00', {
      ...same,
      metadata: { name: 'cm-00', namespace: 'app', uid: 'x' },
    });
    cluster.appearOnCreate.set(
      '/configmaps/app/cm-01',
      obj('v1', 'ConfigMap', 'cm-01', 'app', { data: { i: 'changed' } }),
    );
    const { out, results } = await withLog(async (log) => ({
      out: await applyRestorePlan(plan, { cluster, log }),
      results: log.results.toJSON(),
    }));
    assert.deepEqual((await out.resourceList.toJSON())['v1/ConfigMap'], ['app/cm-00(skipped)', 'app/cm-01(failed)']);
    assert.deepEqual(results.warnings.namespaces?.app, [
      'could not restore, ConfigMap "cm-01" already exists. Warning: the in-cluster version is different than the backed-up version',
    ]);
    assert.equal(results.errors.namespaces, undefined);
  });

  test('policy update patches what changed; failed items are errors in their namespace', async () => {
    const gadget = item('gadgets.other.io', obj('other.io/v1', 'Gadget', 'g', 'app'));
    const live = [
      obj('v1', 'Namespace', 'app', undefined, { status: { phase: 'Active' } }),
      obj('v1', 'ConfigMap', 'cm-00', 'app', { data: { i: 'old' } }),
    ];
    const plan = await planFor({ items: [cms[0]!, gadget], spec: { existingResourcePolicy: 'update' }, live });
    const cluster = new FakeRestoreCluster();
    cluster.objects.set('/configmaps/app/cm-00', live[1]!);
    const { out, results } = await withLog(async (log) => ({
      out: await applyRestorePlan(plan, { cluster, log }),
      results: log.results.toJSON(),
    }));
    assert.deepEqual((await out.resourceList.toJSON())['v1/ConfigMap'], ['app/cm-00(updated)']);
    assert.ok(cluster.calls.some((c) => c.startsWith('patch /configmaps/app/cm-00 ') && c.includes('"i":"0"')));
    assert.deepEqual((await out.resourceList.toJSON())['other.io/v1/Gadget'], ['app/g(failed)']);
    assert.equal(results.errors.namespaces?.app?.length, 1);
  });

  test('status is written to the status subresource after create when chosen', async () => {
    const withStatus = item('configmaps', obj('v1', 'ConfigMap', 's', 'app', { status: { ok: true } }));
    const plan = await planFor({ items: [withStatus], spec: { restoreStatus: { includedResources: ['*'] } } });
    const cluster = new FakeRestoreCluster();
    await withLog((log) => applyRestorePlan(plan, { cluster, log }));
    assert.ok(cluster.calls.includes('patch /configmaps/app/s/status {"status":{"ok":true}}'));
  });

  test('backed-up managedFields are patched back after the create and the status, in one merge patch', async () => {
    const managedFields = [{ manager: 'gitops-tool', operation: 'Apply', apiVersion: 'v1', fieldsType: 'FieldsV1' }];
    const owned = item(
      'configmaps',
      obj('v1', 'ConfigMap', 'o', 'app', { metadata: { managedFields }, status: { ok: true } }),
    );
    const plan = await planFor({ items: [owned, cms[0]!], spec: { restoreStatus: { includedResources: ['*'] } } });
    const cluster = new FakeRestoreCluster();
    await withLog((log) => applyRestorePlan(plan, { cluster, log }));
    const forO = cluster.calls.filter((c) => c.includes('/configmaps/app/o'));
    assert.deepEqual(forO, [
      'create /configmaps/app/o',
      'patch /configmaps/app/o/status {"status":{"ok":true}}',
      `patch /configmaps/app/o ${JSON.stringify({ metadata: { managedFields } })}`,
    ]);
    // An object without owners to put back costs no second request.
    assert.deepEqual(
      cluster.calls.filter((c) => c.includes('/configmaps/app/cm-00')),
      ['create /configmaps/app/cm-00'],
    );
  });

  test('a managedFields patch that fails is an error naming the object; a refused one a warning; a gone object neither', async () => {
    const managedFields = [{ manager: 'm', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1' }];
    const names = ['broken', 'refused', 'gone'];
    const items = names.map((n) =>
      item('configmaps', obj('v1', 'ConfigMap', n, 'app', { metadata: { managedFields } })),
    );
    const plan = await planFor({ items });
    const cluster = new FakeRestoreCluster();
    const patch = cluster.patch.bind(cluster);
    cluster.patch = (rt, target, type, body) => {
      const path = `/configmaps/app/${target.name}`;
      if (target.name === 'broken')
        throw new KubeApiError(422, 'Invalid', 'managedFields is invalid', { method: 'PATCH', path });
      if (target.name === 'refused')
        throw new KubeApiError(403, 'Forbidden', 'cannot patch resource "configmaps"', { method: 'PATCH', path });
      if (target.name === 'gone') cluster.objects.delete(FakeRestoreCluster.key(rt, target.name, target.namespace));
      return patch(rt, target, type, body);
    };
    const { out, results } = await withLog(async (log) => ({
      out: await applyRestorePlan(plan, { cluster, log }),
      results: log.results.toJSON(),
    }));
    assert.equal(results.errors.namespaces?.app?.length, 1);
    assert.match(
      results.errors.namespaces?.app?.[0] ?? '',
      /could not restore the managedFields of .*broken.*managedFields is invalid/,
    );
    assert.equal(results.warnings.namespaces?.app?.length, 1);
    assert.match(
      results.warnings.namespaces?.app?.[0] ?? '',
      /could not restore the managedFields of .*refused.*cannot patch/,
    );
    // All three were created: each object is there, only its owners are not.
    assert.deepEqual((await out.resourceList.toJSON())['v1/ConfigMap'], [
      'app/broken(created)',
      'app/gone(created)',
      'app/refused(created)',
    ]);
  });
});
