import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RestoreResourceHookSpec } from '../../../src/api/restore.ts';
import type { KubeObject } from '../../../src/kube/object.ts';
import { containerState } from '../../../src/restore/hooks/exec-hook-runner.ts';
import { planRestoreExecHooks } from '../../../src/restore/hooks/exec-hooks.ts';
import { initHookContainers, withInitHookContainers } from '../../../src/restore/hooks/init-hooks.ts';
import {
  resolveRestoreHooks,
  restoreHookProblems,
  restoreHookWarnings,
} from '../../../src/restore/hooks/restore-hook-spec.ts';

function pod(annotations: Record<string, string> = {}, labels: Record<string, string> = { app: 'db' }): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'db-0', namespace: 'prod', annotations, labels },
    spec: { containers: [{ name: 'db' }, { name: 'exporter' }], initContainers: [{ name: 'setup' }] },
  };
}

const entries: RestoreResourceHookSpec[] = [
  {
    name: 'first',
    includedNamespaces: ['restored'],
    labelSelector: { matchLabels: { app: 'db' } },
    postHooks: [
      { init: { initContainers: [{ name: 'load-dump', image: 'tools' }] } },
      { exec: { container: 'exporter', command: ['reload'] } },
      { exec: { command: ['analyze'], execTimeout: '2m', waitTimeout: '5m', waitForReady: true, onError: 'Fail' } },
    ],
  },
  {
    name: 'second',
    postHooks: [
      { exec: { command: ['vacuum'] } },
      { init: { initContainers: [{ name: 'warm-cache', image: 'tools' }] } },
    ],
  },
];
const hooks = resolveRestoreHooks(entries);

describe('restore init hooks', () => {
  test('spec init containers of every matching entry, matched by the TARGET namespace', () => {
    assert.deepEqual(
      initHookContainers(pod(), 'restored', hooks, 'r1').containers.map((c) => c.name),
      ['load-dump', 'warm-cache'],
    );
    // `prod` is where the pod was backed up; the first entry names the namespace it is restored into.
    assert.deepEqual(
      initHookContainers(pod(), 'prod', hooks, 'r1').containers.map((c) => c.name),
      ['warm-cache'],
    );
  });

  test('annotations win when container-image is set; the default name is stable for the restore and pod', () => {
    const annotated = pod({
      'init.hook.restore.velero.io/container-image': 'tools',
      'init.hook.restore.velero.io/command': '["sh","-c","load"]',
    });
    const a = initHookContainers(annotated, 'restored', hooks, 'r1');
    assert.equal(a.containers.length, 1);
    assert.match(String(a.containers[0]?.name), /^velero-restore-init-[0-9a-f]{8}$/);
    assert.deepEqual(a.containers[0]?.command, ['sh', '-c', 'load']);
    assert.deepEqual(initHookContainers(annotated, 'restored', hooks, 'r1').containers, a.containers);
  });

  test('hook containers are prepended, and restore-wait stays at index 0', () => {
    const added = [{ name: 'hook-a' }, { name: 'hook-b' }];
    const plain: Record<string, unknown> = { initContainers: [{ name: 'setup' }] };
    withInitHookContainers(plain, added);
    assert.deepEqual(
      (plain.initContainers as { name: string }[]).map((c) => c.name),
      ['hook-a', 'hook-b', 'setup'],
    );
    const withWait: Record<string, unknown> = { initContainers: [{ name: 'restore-wait' }, { name: 'setup' }] };
    withInitHookContainers(withWait, added);
    assert.deepEqual(
      (withWait.initContainers as { name: string }[]).map((c) => c.name),
      ['restore-wait', 'hook-a', 'hook-b', 'setup'],
    );
  });
});

describe('restore exec hooks', () => {
  test('matching spec hooks, grouped per container in order of first appearance', () => {
    const plan = planRestoreExecHooks(pod(), 'restored', hooks);
    assert.deepEqual(
      plan.groups.map((g) => [g.container, g.hooks.map((h) => `${h.name}:${h.command.join(' ')}`)]),
      [
        ['exporter', ['first:reload']],
        ['db', ['first:analyze', 'second:vacuum']],
      ],
    );
    const analyze = plan.groups[1]?.hooks[0];
    assert.deepEqual(
      [analyze?.execTimeoutMs, analyze?.waitTimeoutMs, analyze?.waitForReady, analyze?.onError],
      [120_000, 300_000, true, 'Fail'],
    );
    const vacuum = plan.groups[1]?.hooks[1];
    assert.deepEqual([vacuum?.execTimeoutMs, vacuum?.waitTimeoutMs, vacuum?.onError], [30_000, 0, 'Continue']);
  });

  test('an annotation command replaces the spec hooks; bad values are named', () => {
    const plan = planRestoreExecHooks(
      pod({
        'post.hook.restore.velero.io/command': 'warm-up',
        'post.hook.restore.velero.io/container': 'nope',
        'post.hook.restore.velero.io/exec-timeout': 'long',
        'post.hook.restore.velero.io/wait-for-ready': 'yes',
      }),
      'restored',
      hooks,
    );
    assert.equal(plan.groups.length, 1);
    const hook = plan.groups[0]?.hooks[0];
    assert.equal(hook?.name, '<from-annotation>');
    assert.match(hook?.invalid ?? '', /container "nope" is not in the pod/);
    assert.equal(hook?.execTimeoutMs, 30_000);
    assert.deepEqual(plan.warnings.map((w) => w.split(': ')[1]).sort(), [
      'annotation post.hook.restore.velero.io/exec-timeout',
      'annotation post.hook.restore.velero.io/wait-for-ready',
    ]);
  });

  test('container state: Running, Ready, or neither', () => {
    const p = (status: unknown): KubeObject => ({ ...pod(), status: status });
    assert.deepEqual(containerState(p({ phase: 'Pending' }), 'db'), {
      podPhase: 'Pending',
      running: false,
      ready: false,
    });
    const running = p({ phase: 'Running', containerStatuses: [{ name: 'db', ready: false, state: { running: {} } }] });
    assert.deepEqual(containerState(running, 'db'), { podPhase: 'Running', running: true, ready: false });
    const ready = p({ phase: 'Running', containerStatuses: [{ name: 'db', ready: true, state: { running: {} } }] });
    assert.equal(containerState(ready, 'db').ready, true);
  });
});

describe('restore hook spec', () => {
  test('bad fields are named; ignored fields are warned about', () => {
    const spec = {
      hooks: {
        resources: [
          {
            name: 'x',
            includedResources: ['deployments'],
            labelSelector: { matchExpressions: [{ key: 'a', operator: 'Near' }] },
            postHooks: [
              { exec: { command: ['a'], execTimeout: 'soon' } },
              { init: { initContainers: [{ image: 'i' }], timeout: '1m' } },
              {},
            ],
          },
        ],
      },
    } as never;
    assert.deepEqual(
      restoreHookProblems(spec).map((p) => p.split(/:| "/)[0]),
      [
        'spec.hooks.resources[0].labelSelector',
        'invalid spec.hooks.resources[0].postHooks[0].exec.execTimeout',
        'spec.hooks.resources[0].postHooks[1].init.initContainers[0].name',
        'spec.hooks.resources[0].postHooks[2]',
      ],
    );
    assert.equal(restoreHookWarnings(spec).length, 2);
  });
});
