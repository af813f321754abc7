import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { BackupSpec } from '../../../src/api/backup.ts';
import { resolveBackupHooks, NO_BACKUP_HOOKS } from '../../../src/backup/hooks/hook-spec.ts';
import { planPodHooks, type PlannedHook } from '../../../src/backup/hooks/pod-hooks.ts';
import { parseCommandValue } from '../../../src/hooks/hook-values.ts';
import type { KubeObject } from '../../../src/kube/object.ts';

const resolve = (name: string): { group: string; resource: string; namespaced: boolean } | undefined =>
  ({ pods: { group: '', resource: 'pods', namespaced: true }, pod: { group: '', resource: 'pods', namespaced: true } })[
    name
  ] ?? (name === 'deployments' ? { group: 'apps', resource: 'deployments', namespaced: true } : undefined);

function pod(opts: {
  name?: string;
  namespace?: string;
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  containers?: string[];
  sidecars?: string[];
  phase?: string;
}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: opts.name ?? 'db-0',
      namespace: opts.namespace ?? 'shop',
      ...(opts.annotations ? { annotations: opts.annotations } : {}),
      ...(opts.labels ? { labels: opts.labels } : {}),
    },
    spec: {
      containers: (opts.containers ?? ['db', 'metrics']).map((name) => ({ name, image: 'x' })),
      initContainers: [
        { name: 'setup', image: 'x' },
        ...(opts.sidecars ?? []).map((name) => ({ name, image: 'x', restartPolicy: 'Always' })),
      ],
    },
    status: { phase: opts.phase ?? 'Running' },
  };
}

const brief = (h: PlannedHook): string =>
  `${h.phase} ${h.name} ${h.container} ${JSON.stringify(h.command)} ${h.onError} ${h.timeoutMs}${h.invalid ? ` invalid: ${h.invalid}` : ''}`;

describe('command annotation values', () => {
  test('a JSON array is the argv; anything else is one element, not run in a shell', () => {
    assert.deepEqual(parseCommandValue('["/bin/sh","-c","echo hi"]'), { value: ['/bin/sh', '-c', 'echo hi'] });
    assert.deepEqual(parseCommandValue('/usr/bin/freeze now'), { value: ['/usr/bin/freeze now'] });
  });
  test('empty and malformed commands are refused', () => {
    assert.ok('problem' in parseCommandValue(''));
    assert.ok('problem' in parseCommandValue('   '));
    assert.ok('problem' in parseCommandValue('[]'));
    assert.match((parseCommandValue('["a", 1]') as { problem: string }).problem, /array of strings/);
    assert.match((parseCommandValue('[not json') as { problem: string }).problem, /not a JSON array/);
  });
});

describe('annotation hooks of a pod', () => {
  test('pre and post hooks with container, on-error and timeout', () => {
    const plan = planPodHooks(
      pod({
        annotations: {
          'pre.hook.backup.velero.io/command': '["/bin/sh","-c","sync"]',
          'pre.hook.backup.velero.io/container': 'metrics',
          'pre.hook.backup.velero.io/on-error': 'Fail',
          'pre.hook.backup.velero.io/timeout': '1m30s',
          'post.hook.backup.velero.io/command': '/bin/thaw',
        },
      }),
      NO_BACKUP_HOOKS,
    );
    assert.deepEqual(plan.pre.map(brief), ['pre <from-annotation> metrics ["/bin/sh","-c","sync"] Fail 90000']);
    assert.deepEqual(plan.post.map(brief), ['post <from-annotation> db ["/bin/thaw"] Continue 30000']);
    assert.deepEqual(plan.warnings, []);
  });

  test('the legacy un-prefixed form is a pre hook only when no pre. command exists', () => {
    const legacy = { 'hook.backup.velero.io/command': 'legacy', 'hook.backup.velero.io/on-error': 'Fail' };
    assert.deepEqual(planPodHooks(pod({ annotations: legacy }), NO_BACKUP_HOOKS).pre.map(brief), [
      'pre <from-annotation> db ["legacy"] Fail 30000',
    ]);
    const both = { ...legacy, 'pre.hook.backup.velero.io/command': 'new' };
    const plan = planPodHooks(pod({ annotations: both }), NO_BACKUP_HOOKS);
    assert.deepEqual(plan.pre.map(brief), ['pre <from-annotation> db ["new"] Continue 30000']);
    assert.deepEqual(plan.post, []);
  });

  test('a sidecar init container may be named; a plain init container or an unknown name may not', () => {
    const ok = planPodHooks(
      pod({
        sidecars: ['proxy'],
        annotations: { 'pre.hook.backup.velero.io/command': 'x', 'pre.hook.backup.velero.io/container': 'proxy' },
      }),
      NO_BACKUP_HOOKS,
    );
    assert.equal(ok.pre[0]?.container, 'proxy');
    assert.equal(ok.pre[0]?.invalid, undefined);
    const bad = planPodHooks(
      pod({
        annotations: { 'pre.hook.backup.velero.io/command': 'x', 'pre.hook.backup.velero.io/container': 'setup' },
      }),
      NO_BACKUP_HOOKS,
    );
    assert.match(bad.pre[0]?.invalid ?? '', /container "setup" is not in the pod \(it has db, metrics\)/);
  });

  test('bad values are warnings naming the pod and the annotation', () => {
    const plan = planPodHooks(
      pod({
        annotations: {
          'pre.hook.backup.velero.io/command': 'x',
          'pre.hook.backup.velero.io/timeout': 'ten seconds',
          'pre.hook.backup.velero.io/on-error': 'fail',
          'post.hook.backup.velero.io/command': '',
          'post.hook.backup.velero.io/container': 'db',
        },
      }),
      NO_BACKUP_HOOKS,
    );
    // The pre hook runs with the defaults; the empty post command runs nothing.
    assert.deepEqual(plan.pre.map(brief), ['pre <from-annotation> db ["x"] Continue 30000']);
    assert.deepEqual(plan.post, []);
    assert.equal(plan.warnings.length, 3);
    assert.match(plan.warnings[0] ?? '', /^pod shop\/db-0: annotation pre\.hook\.backup\.velero\.io\/on-error: /);
    assert.match(
      plan.warnings[1] ?? '',
      /^pod shop\/db-0: annotation pre\.hook\.backup\.velero\.io\/timeout: invalid timeout "ten seconds".*default 30s applies/,
    );
    assert.match(
      plan.warnings[2] ?? '',
      /^pod shop\/db-0: annotation post\.hook\.backup\.velero\.io\/command: the command is empty/,
    );
  });

  test('container without command is named as doing nothing', () => {
    const plan = planPodHooks(pod({ annotations: { 'post.hook.backup.velero.io/container': 'db' } }), NO_BACKUP_HOOKS);
    assert.deepEqual(plan.post, []);
    assert.match(
      plan.warnings[0] ?? '',
      /post\.hook\.backup\.velero\.io\/container: is set without post\.hook\.backup\.velero\.io\/command/,
    );
  });

  test('pods that are Succeeded or Failed run no hooks', () => {
    const plan = planPodHooks(
      pod({ phase: 'Succeeded', annotations: { 'pre.hook.backup.velero.io/command': 'x' } }),
      NO_BACKUP_HOOKS,
    );
    assert.deepEqual([plan.pre, plan.post, plan.skipped], [[], [], 'the pod is Succeeded']);
  });
});

describe('spec hooks', () => {
  const spec: BackupSpec = {
    hooks: {
      resources: [
        {
          name: 'freeze',
          includedNamespaces: ['shop'],
          labelSelector: { matchLabels: { app: 'db' } },
          pre: [
            { exec: { command: ['fsfreeze', '--freeze', '/data'], onError: 'Fail', timeout: '2m' } },
            { exec: { container: 'metrics', command: ['note'] } },
          ],
          post: [{ exec: { command: ['fsfreeze', '--unfreeze', '/data'] } }],
        },
        { name: 'everywhere', pre: [{ exec: { command: ['echo', 'all'] } }] },
        { name: 'deployments-only', includedResources: ['deployments'], pre: [{ exec: { command: ['x'] } }] },
      ],
    },
  };
  const hooks = resolveBackupHooks(spec, resolve);

  test('every matching entry runs, in list order, hooks in their order', () => {
    assert.deepEqual(hooks.validationErrors, []);
    const plan = planPodHooks(pod({ labels: { app: 'db' } }), hooks);
    assert.deepEqual(plan.pre.map(brief), [
      'pre freeze db ["fsfreeze","--freeze","/data"] Fail 120000',
      'pre freeze metrics ["note"] Continue 30000',
      'pre everywhere db ["echo","all"] Continue 30000',
    ]);
    assert.deepEqual(plan.post.map(brief), ['post freeze db ["fsfreeze","--unfreeze","/data"] Continue 30000']);
  });

  test('namespace and label selectors decide which entries match', () => {
    assert.deepEqual(
      planPodHooks(pod({ labels: { app: 'web' } }), hooks).pre.map((h) => h.name),
      ['everywhere'],
    );
    assert.deepEqual(
      planPodHooks(pod({ namespace: 'other', labels: { app: 'db' } }), hooks).pre.map((h) => h.name),
      ['everywhere'],
    );
  });

  test('an entry that does not include pods runs nowhere, and says so', () => {
    assert.equal(hooks.resources.length, 2);
    assert.match(hooks.warnings[0] ?? '', /spec\.hooks\.resources\[2\] \(deployments-only\) does not include pods/);
  });

  test('annotation hooks replace spec hooks per pod and phase', () => {
    const plan = planPodHooks(
      pod({ labels: { app: 'db' }, annotations: { 'post.hook.backup.velero.io/command': 'mine' } }),
      hooks,
    );
    assert.deepEqual(
      plan.pre.map((h) => h.name),
      ['freeze', 'freeze', 'everywhere'],
    );
    assert.deepEqual(plan.post.map(brief), ['post <from-annotation> db ["mine"] Continue 30000']);
  });

  test('bad fields are validation errors naming the field', () => {
    const bad = resolveBackupHooks(
      {
        hooks: {
          resources: [
            {
              name: 'bad',
              includedNamespaces: ['*', 'shop'],
              labelSelector: { matchExpressions: [{ key: 'a', operator: 'Near' }] },
              pre: [{ exec: { command: ['x'], timeout: 'soon' } }],
              post: [{ exec: { command: [] } }],
            },
          ],
        },
      },
      resolve,
    );
    assert.deepEqual(
      bad.validationErrors.map((e) => e.split(':')[0]),
      [
        'spec.hooks.resources[0].includedNamespaces',
        'spec.hooks.resources[0].labelSelector',
        'invalid spec.hooks.resources[0].pre[0].exec.timeout "soon"',
        'spec.hooks.resources[0].post[0].exec.command',
      ],
    );
    assert.deepEqual(bad.resources, []);
  });
});
