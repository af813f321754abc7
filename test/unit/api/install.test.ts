import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildAllCrds } from '../../../src/api/all-crds.ts';
import { CrdNotEstablishedError, installCrds, type CrdCluster } from '../../../src/api/install.ts';
import type { KubeObject } from '../../../src/kube/object.ts';
import type { ResourceRef } from '../../../src/kube/resource.ts';

interface PatchCall {
  name: string;
  type: string;
  body: KubeObject;
  opts: unknown;
}

/** An in-memory CRD store: applies set the object; `establish` decides the conditions it reports. */
class FakeCrdCluster implements CrdCluster {
  readonly objects = new Map<string, KubeObject>();
  readonly patches: PatchCall[] = [];
  constructor(private readonly establish: (name: string) => { type: string; status: string; message?: string }[]) {}

  find(rt: ResourceRef, name: string): Promise<KubeObject | undefined> {
    assert.equal(rt.resource, 'customresourcedefinitions');
    const obj = this.objects.get(name);
    return Promise.resolve(obj && { ...obj, status: { conditions: this.establish(name) } });
  }

  patch(_rt: ResourceRef, target: { name: string }, type: string, body: unknown, opts?: unknown): Promise<KubeObject> {
    const obj = structuredClone(body) as KubeObject;
    this.patches.push({ name: target.name, type, body: obj, opts });
    // The API server adds defaults; installCrds must not read them as a difference.
    (obj.spec as Record<string, unknown>).conversion = { strategy: 'None' };
    if (!(opts as { dryRun?: boolean }).dryRun) this.objects.set(target.name, obj);
    return Promise.resolve(obj);
  }
}

const established = () => [{ type: 'Established', status: 'True' }];
const fastOpts = { pollMs: 1, sleep: () => Promise.resolve() };

test('a fresh cluster gets every CRD created by forced server-side apply as skiff', async () => {
  const cluster = new FakeCrdCluster(established);
  const results = await installCrds(cluster, fastOpts);
  assert.equal(results.length, buildAllCrds().length);
  assert.ok(results.every((r) => r.action === 'created'));
  assert.ok(cluster.patches.every((p) => p.type === 'apply'));
  assert.deepEqual(cluster.patches[0]!.opts, { fieldManager: 'skiff', force: true, dryRun: false });
});

test('installing twice leaves CRDs unchanged, and a drifted CRD is updated', async () => {
  const cluster = new FakeCrdCluster(established);
  await installCrds(cluster, fastOpts);
  const drifted = cluster.objects.get('backups.velero.io')!;
  (drifted.spec as { scope: string }).scope = 'Cluster';
  cluster.patches.length = 0;
  const results = await installCrds(cluster, fastOpts);
  assert.deepEqual(
    results.filter((r) => r.action !== 'unchanged'),
    [{ name: 'backups.velero.io', action: 'updated' }],
  );
  assert.deepEqual(
    cluster.patches.map((p) => p.name),
    ['backups.velero.io'],
  );
});

test('dry run writes with dryRun and does not wait for Established', async () => {
  const cluster = new FakeCrdCluster(() => []);
  const results = await installCrds(cluster, { dryRun: true, ...fastOpts });
  assert.ok(results.every((r) => r.action === 'created'));
  assert.ok(cluster.patches.every((p) => (p.opts as { dryRun: boolean }).dryRun));
  assert.equal(cluster.objects.size, 0);
});

test('a CRD that never becomes Established fails with an error naming it', async () => {
  let clock = 0;
  const cluster = new FakeCrdCluster((name) =>
    name === 'restores.velero.io'
      ? [{ type: 'Established', status: 'False', message: 'not yet' }]
      : [{ type: 'Established', status: 'True' }],
  );
  await assert.rejects(
    installCrds(cluster, {
      timeoutMs: 1000,
      pollMs: 100,
      now: () => clock,
      sleep: (ms) => {
        clock += ms;
        return Promise.resolve();
      },
    }),
    (err: unknown) => {
      assert.ok(err instanceof CrdNotEstablishedError);
      assert.equal(err.crd, 'restores.velero.io');
      assert.match(err.message, /restores\.velero\.io is not established: still not Established after 1s/);
      return true;
    },
  );
});

test('names rejected by the API server fail at once', async () => {
  const cluster = new FakeCrdCluster(() => [
    { type: 'NamesAccepted', status: 'False', message: '"bsl" is already in use' },
    { type: 'Established', status: 'False' },
  ]);
  await assert.rejects(installCrds(cluster, fastOpts), /names not accepted: "bsl" is already in use/);
});
