import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { ExecTarget } from '../../../src/backup/hooks/hook-runner.ts';
import type { ExecOutcome } from '../../../src/kube/exec.ts';
import type { KubeObject } from '../../../src/kube/object.ts';
import { OperationLog } from '../../../src/results/operation-log.ts';
import { RestoreExecHookRunner } from '../../../src/restore/hooks/exec-hook-runner.ts';

const logs: OperationLog[] = [];
after(async () => Promise.all(logs.map((l) => l.dispose())));

function pod(name: string, command: string, extra: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'shop', annotations: { 'post.hook.restore.velero.io/command': command, ...extra } },
    spec: { containers: [{ name: 'app' }] },
  };
}

const running = (phase = 'Running'): Record<string, unknown> => ({
  phase,
  containerStatuses: [{ name: 'app', ready: true, state: { running: {} } }],
});

/** Pods as the API server would return them: each name's statuses in turn, the last one repeated. */
async function run(
  pods: KubeObject[],
  statuses: Record<string, Record<string, unknown>[]>,
): Promise<{ ran: string[]; runner: RestoreExecHookRunner; log: OperationLog }> {
  const log = await OperationLog.create({ restore: 'velero/r1' });
  logs.push(log);
  const ran: string[] = [];
  const reads = new Map<string, number>();
  const exec = (t: ExecTarget): Promise<ExecOutcome> => {
    ran.push(`${t.pod}:${t.command.join(' ')}`);
    const ok = t.command[0] !== 'fail';
    return Promise.resolve({
      stdout: '',
      stderr: '',
      end: ok ? { ok: true } : { ok: false, message: 'exit status 1' },
    });
  };
  const find = (_type: unknown, name: string): Promise<KubeObject | undefined> => {
    const list = statuses[name] ?? [];
    const i = reads.get(name) ?? 0;
    reads.set(name, i + 1);
    const status = list[Math.min(i, list.length - 1)];
    const p = pods.find((x) => x.metadata.name === name);
    return Promise.resolve(p && status ? { ...p, status } : undefined);
  };
  // A fake clock: waiting advances it at once.
  let now = Date.parse('2026-12-05T10:00:00Z');
  const clock = { now: () => new Date(now) };
  const sleep = (ms: number): Promise<void> => {
    now += ms;
    return Promise.resolve();
  };
  const runner = new RestoreExecHookRunner({ pods: { find }, exec, log, hooks: [], pollMs: 1000, clock, sleep });
  for (const p of pods) runner.podCreated(p, 'shop');
  await runner.done();
  return { ran, runner, log };
}

describe('restore exec hook runner', () => {
  test('a hook waits until its container is Running, then runs', async () => {
    const { ran, runner } = await run([pod('a', 'warm')], {
      a: [{ phase: 'Pending' }, { phase: 'Pending' }, running()],
    });
    assert.deepEqual(ran, ['a:warm']);
    assert.deepEqual(runner.status, { hooksAttempted: 1, hooksFailed: 0 });
  });

  test('onError Fail stops the exec hooks of the restore not yet started, in other pods too', async () => {
    const { ran, runner, log } = await run(
      [pod('a', 'fail', { 'post.hook.restore.velero.io/on-error': 'Fail' }), pod('b', 'later')],
      // b's container runs only after a's hook has failed.
      { a: [running()], b: [...Array.from({ length: 8 }, () => ({ phase: 'Pending' })), running()] },
    );
    assert.deepEqual(ran, ['a:fail']);
    assert.deepEqual(runner.status, { hooksAttempted: 2, hooksFailed: 1 });
    assert.match(
      log.results.toJSON().errors.namespaces?.shop?.[0] ?? '',
      /^exec hook <from-annotation> in pod shop\/a, container app: exit status 1$/,
    );
  });

  test('waitTimeout expiry is a failure naming the container and the limit', async () => {
    const { ran, log } = await run([pod('a', 'never', { 'post.hook.restore.velero.io/wait-timeout': '5m' })], {
      a: [{ phase: 'Pending' }],
    });
    assert.deepEqual(ran, []);
    assert.match(
      log.results.toJSON().warnings.namespaces?.shop?.[0] ?? '',
      /container app: waitTimeout expired: container app was not Running within 5m0s \(onError Continue\)/,
    );
  });

  test('a pod that ends first abandons its hooks', async () => {
    const { ran, runner, log } = await run([pod('a', 'x')], { a: [{ phase: 'Succeeded' }] });
    assert.deepEqual(ran, []);
    assert.deepEqual(runner.status, { hooksAttempted: 1, hooksFailed: 1 });
    assert.match(log.results.toJSON().warnings.namespaces?.shop?.[0] ?? '', /the pod is Succeeded/);
  });
});
