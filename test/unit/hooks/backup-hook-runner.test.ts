import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import type { BackupSpec } from '../../../src/api/backup.ts';
import { defaultBackupActions } from '../../../src/backup/actions/registry.ts';
import { collectBackupItems } from '../../../src/backup/collect/collect-items.ts';
import { BackupHookRunner, type ExecTarget } from '../../../src/backup/hooks/hook-runner.ts';
import { planBackup } from '../../../src/backup/plan/backup-plan.ts';
import type { ExecOutcome } from '../../../src/kube/exec.ts';
import type { KubeObject } from '../../../src/kube/object.ts';
import { OperationLog } from '../../../src/results/operation-log.ts';
import { memorySource, obj, resolve, TYPES, typeOf } from '../backup/fixtures.ts';

const T = (resource: string) => TYPES.find((t) => t.resource === resource && t.group === '')!;

function annotatedPod(name: string, annotations: Record<string, string>, extra: Partial<KubeObject> = {}): KubeObject {
  return obj(T('pods'), name, 'shop', {
    metadata: { name, namespace: 'shop', annotations },
    spec: { containers: [{ name: 'app', image: 'x' }], ...(extra.spec as object) },
    status: { phase: 'Running' },
  });
}

const hooks = (pre: string, post: string, onError = 'Continue'): Record<string, string> => ({
  'pre.hook.backup.velero.io/command': pre,
  'pre.hook.backup.velero.io/on-error': onError,
  'post.hook.backup.velero.io/command': post,
});

interface Run {
  events: string[];
  runner: BackupHookRunner;
  log: OperationLog;
  maxInFlight: number;
}

const logs: OperationLog[] = [];
after(async () => Promise.all(logs.map((l) => l.dispose())));

/** Collects a backup of `world` with a runner whose exec fails the commands named `fail`/`slow`. */
async function backUp(world: KubeObject[], spec: BackupSpec = {}, concurrency = 2): Promise<Run> {
  const events: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const exec = async (t: ExecTarget): Promise<ExecOutcome> => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    events.push(`exec ${t.pod} ${t.command.join(' ')}`);
    // Let other pods' hooks start meanwhile.
    for (let i = 0; i < 5; i++) await tick();
    inFlight--;
    const cmd = t.command[0] ?? '';
    if (cmd === 'fail') return { stdout: '', stderr: 'boom\n', end: { ok: false, message: 'exit status 1' } };
    if (cmd === 'slow') return { stdout: '', stderr: '', end: { ok: false, message: 'x', timedOut: true } };
    return { stdout: `${cmd} done\n`, stderr: '', end: { ok: true } };
  };
  const log = await OperationLog.create({ backup: 'velero/b1' });
  logs.push(log);
  const runner = new BackupHookRunner({ exec, hooks: plan(spec).hooks!, concurrency });
  runner.attachLog(log);
  for await (const ev of collectBackupItems(plan(spec), {
    backupName: 'b1',
    source: memorySource(world),
    actions: defaultBackupActions(),
    typeOf,
    podGate: runner,
  })) {
    if (ev.kind === 'included') events.push(`item ${ev.type.resource}/${ev.item.metadata.name ?? ''}`);
    if (ev.kind === 'excluded' && ev.type.resource === 'pods')
      events.push(`excluded ${ev.item.metadata.name ?? ''}: ${ev.reason}`);
  }
  await runner.drain();
  return { events, runner, log, maxInFlight };
}

function plan(spec: BackupSpec) {
  return planBackup({
    spec: { includedNamespaces: ['shop'], ...spec },
    resourceTypes: TYPES,
    resolve,
    namespaces: [{ name: 'shop' }],
  });
}

const before = (events: string[], a: string, b: string): boolean => {
  const i = events.indexOf(a);
  const j = events.indexOf(b);
  assert.ok(i >= 0, `${a} happened`);
  assert.ok(j >= 0, `${b} happened`);
  return i < j;
};

describe('backup hooks around pods', () => {
  test('pre hook before the pod item, post hook after the pod and its PVC are written', async () => {
    const world = [
      annotatedPod('db', hooks('freeze', 'thaw'), {
        spec: { volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }] },
      }),
      obj(T('persistentvolumeclaims'), 'data', 'shop', { spec: { volumeName: '' } }),
    ];
    const { events, runner } = await backUp(world);
    assert.ok(before(events, 'exec db freeze', 'item pods/db'));
    assert.ok(before(events, 'item persistentvolumeclaims/data', 'exec db thaw'));
    assert.deepEqual(runner.status, { hooksAttempted: 2, hooksFailed: 0 });
  });

  test('a failed pre hook with on-error Fail leaves the pod out, names pod, container and failure; its post hook does not run', async () => {
    const world = [annotatedPod('db', hooks('fail', 'thaw', 'Fail')), annotatedPod('web', hooks('ok', 'ok2'))];
    const { events, runner, log } = await backUp(world);
    assert.ok(!events.includes('item pods/db'));
    assert.ok(!events.includes('exec db thaw'));
    assert.ok(events.includes('item pods/web'));
    assert.match(events.find((e) => e.startsWith('excluded db')) ?? '', /pre hook failed with on-error Fail/);
    const { errors, warnings } = log.results.toJSON();
    assert.equal(errors.namespaces?.shop?.length, 1);
    assert.match(
      errors.namespaces?.shop?.[0] ?? '',
      /^pre hook <from-annotation> in pod shop\/db, container app: exit status 1; the pod is left out/,
    );
    assert.equal(warnings.namespaces, undefined);
    assert.deepEqual(runner.status, { hooksAttempted: 3, hooksFailed: 1 });
  });

  test('with on-error Continue a failure is a warning and the pod is backed up', async () => {
    const { events, log, runner } = await backUp([annotatedPod('db', hooks('fail', 'thaw'))]);
    assert.ok(before(events, 'item pods/db', 'exec db thaw'));
    const { errors, warnings } = log.results.toJSON();
    assert.equal(errors.namespaces, undefined);
    assert.match(
      warnings.namespaces?.shop?.[0] ?? '',
      /pre hook <from-annotation> in pod shop\/db, container app: exit status 1 \(on-error Continue\)/,
    );
    assert.deepEqual(runner.status, { hooksAttempted: 2, hooksFailed: 1 });
  });

  test('a timeout is reported as timed out after the hook time limit', async () => {
    const { log } = await backUp([
      annotatedPod('db', { 'pre.hook.backup.velero.io/command': 'slow', 'pre.hook.backup.velero.io/timeout': '2s' }),
    ]);
    assert.match(log.results.toJSON().warnings.namespaces?.shop?.[0] ?? '', /container app: timed out after 2s/);
  });

  test('after a Fail-mode failure the remaining spec hooks of the phase are counted, not run', async () => {
    const spec: BackupSpec = {
      hooks: {
        resources: [
          {
            name: 'quiesce',
            pre: [
              { exec: { command: ['fail'], onError: 'Fail' } },
              { exec: { command: ['never'] } },
              { exec: { command: ['never-either'] } },
            ],
          },
        ],
      },
    };
    const { events, runner } = await backUp([annotatedPod('db', {})], spec);
    assert.ok(!events.some((e) => e.includes('never')));
    assert.deepEqual(runner.status, { hooksAttempted: 3, hooksFailed: 1 });
  });

  test('an unknown container is a failed hook naming it; nothing is run', async () => {
    const { events, log, runner } = await backUp([
      annotatedPod('db', { 'pre.hook.backup.velero.io/command': 'x', 'pre.hook.backup.velero.io/container': 'nope' }),
    ]);
    assert.ok(!events.some((e) => e.startsWith('exec')));
    assert.match(
      log.results.toJSON().warnings.namespaces?.shop?.[0] ?? '',
      /container nope: container "nope" is not in the pod/,
    );
    assert.deepEqual(runner.status, { hooksAttempted: 1, hooksFailed: 1 });
  });

  test('hooks of many pods overlap, never more than the limit at once, and pods are written in order', async () => {
    const world = Array.from({ length: 12 }, (_, i) => annotatedPod(`p${String(i).padStart(2, '0')}`, hooks('a', 'b')));
    const { events, runner, maxInFlight } = await backUp(world, {}, 3);
    assert.deepEqual(runner.status, { hooksAttempted: 24, hooksFailed: 0 });
    assert.ok(maxInFlight <= 3, `at most 3 hooks at once (saw ${maxInFlight})`);
    assert.ok(maxInFlight > 1, 'hooks of different pods overlap');
    const written = events.filter((e) => e.startsWith('item pods/'));
    assert.deepEqual(written, [...written].sort());
    for (const p of world) {
      const name = p.metadata.name ?? '';
      assert.ok(before(events, `exec ${name} a`, `item pods/${name}`));
      assert.ok(before(events, `item pods/${name}`, `exec ${name} b`));
    }
  });
});
