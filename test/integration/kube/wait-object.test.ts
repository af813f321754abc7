/**
 * `waitForObject` (src/kube/wait-object.ts) against the real API server: it sees the change that satisfies it
 * (made after the wait began), an object created after the wait began, a deletion, and gives up with undefined
 * once its time is up; what the check throws ends the wait.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { waitForObject, type KubeObject } from '../../../src/kube/index.ts';
import { adminCluster, core, createNamespace, deleteNamespaceAndWait } from '../../helpers/cluster.ts';
import { uniqueName } from '../../helpers/names.ts';

const cluster = adminCluster();
const CONFIG_MAPS = core('configmaps');
const ns = uniqueName('wait-obj');

before(() => createNamespace(cluster, ns));
after(() => deleteNamespaceAndWait(cluster, ns));

const configMap = (name: string, data: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns },
  data,
});
const phaseOf = (obj: KubeObject | undefined): string | undefined =>
  (obj?.data as { phase?: string } | undefined)?.phase;

test('resolves with the version that satisfies the check, seen by the watch', async () => {
  await cluster.create(CONFIG_MAPS, configMap('cm-ready', { phase: 'New' }));
  const seen: (string | undefined)[] = [];
  const waiting = waitForObject(cluster, CONFIG_MAPS, { name: 'cm-ready', namespace: ns }, (obj) => {
    seen.push(phaseOf(obj));
    return phaseOf(obj) === 'Ready' ? obj : undefined;
  });
  // Once the wait has read the object, move it on twice: the first change does not satisfy it.
  while (seen.length === 0) await new Promise((r) => setTimeout(r, 20));
  for (const phase of ['Running', 'Ready'])
    await cluster.patch(CONFIG_MAPS, { name: 'cm-ready', namespace: ns }, 'merge', { data: { phase } });
  const obj = await waiting;
  assert.equal(phaseOf(obj), 'Ready');
  assert.deepEqual(seen, ['New', 'Running', 'Ready']);
});

test('an object created after the wait began is seen, and so is its deletion', async () => {
  const created = waitForObject(cluster, CONFIG_MAPS, { name: 'cm-later', namespace: ns }, (obj) =>
    obj ? true : undefined,
  );
  await cluster.create(CONFIG_MAPS, configMap('cm-later', {}));
  assert.equal(await created, true);
  const deleted = waitForObject(cluster, CONFIG_MAPS, { name: 'cm-later', namespace: ns }, (obj) =>
    obj ? undefined : 'gone',
  );
  await cluster.delete(CONFIG_MAPS, 'cm-later', ns);
  assert.equal(await deleted, 'gone');
});

test('gives undefined once the time is up, and throws what the check throws', async () => {
  await cluster.create(CONFIG_MAPS, configMap('cm-never', { phase: 'New' }));
  const never = await waitForObject(
    cluster,
    CONFIG_MAPS,
    { name: 'cm-never', namespace: ns },
    (obj) => (phaseOf(obj) === 'Ready' ? obj : undefined),
    { timeoutMs: 300 },
  );
  assert.equal(never, undefined);
  // The rejection is awaited from the start: the watch may see the change before the PATCH's own response
  // arrives, and a rejection nobody handles by then fails the test run.
  const failing = assert.rejects(
    waitForObject(cluster, CONFIG_MAPS, { name: 'cm-never', namespace: ns }, (obj) => {
      if (phaseOf(obj) === 'Broken') throw new Error('the object broke');
      return undefined;
    }),
    /the object broke/,
  );
  await cluster.patch(CONFIG_MAPS, { name: 'cm-never', namespace: ns }, 'merge', { data: { phase: 'Broken' } });
  await failing;
});

test('an aborted signal ends the wait', async () => {
  await cluster.create(CONFIG_MAPS, configMap('cm-abort', {}));
  const ctl = new AbortController();
  const waiting = waitForObject(cluster, CONFIG_MAPS, { name: 'cm-abort', namespace: ns }, () => undefined, {
    signal: ctl.signal,
  });
  ctl.abort(new Error('stop waiting'));
  await assert.rejects(waiting, /stop waiting/);
});
