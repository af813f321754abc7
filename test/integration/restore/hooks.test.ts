/**
 * Restore hooks against the real cluster: init containers in the restored pod spec, and exec
 * hooks run through pods/exec once the restored container is Running (kwok runs the command
 * in the pod's working folder, testenv §4.5).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RestoreSpec } from '../../../src/api/index.ts';
import type { KubeObject } from '../../../src/kube/index.ts';
import { adminCluster, core, createNamespace } from '../../helpers/cluster.ts';
import { createRunningPods, podDir, podManifest } from '../../helpers/hook-pods.ts';
import { uniqueName } from '../../helpers/names.ts';
import { restoreLogLines } from '../../helpers/restore-log.ts';
import { restoreAndWait } from '../../helpers/restore-server.ts';
import { backupAndWait, defaultStore, startTestServer, type TestServer } from '../../helpers/skiff-server.ts';
import { skiffOk } from '../cli/run-skiff.ts';

const cluster = adminCluster();
let server: TestServer;
const source = uniqueName('rhooks');
const backupName = uniqueName('b');
const targets: string[] = [];

const EXEC = (key: string): string => `post.hook.restore.velero.io/${key}`;
const INIT = (key: string): string => `init.hook.restore.velero.io/${key}`;

function withInit(pod: KubeObject): KubeObject {
  (pod.spec as { initContainers?: unknown[] }).initContainers = [{ name: 'setup', image: 'busybox:1.36' }];
  return pod;
}

async function restoreInto(
  specFor: (target: string) => Omit<RestoreSpec, 'backupName'>,
): Promise<{ target: string; name: string }> {
  const target = uniqueName('rtarget');
  const spec = specFor(target);
  targets.push(target);
  const name = uniqueName('r');
  await restoreAndWait(cluster, server.namespace, name, {
    backupName,
    includedNamespaces: [source],
    namespaceMapping: { [source]: target },
    ...spec,
  });
  return { target, name };
}

const initNames = async (ns: string, pod: string): Promise<string[]> => {
  const p = await cluster.get(core('pods'), pod, ns);
  return ((p.spec as { initContainers?: { name: string }[] }).initContainers ?? []).map((c) => c.name);
};

describe('restore hooks', { concurrency: false }, () => {
  before(async () => {
    server = await startTestServer(cluster);
    await createNamespace(cluster, source);
    await createRunningPods(cluster, [
      withInit(
        podManifest(source, 'web', {
          labels: { tier: 'front' },
          annotations: {
            [INIT('container-image')]: 'busybox:1.36',
            [INIT('container-name')]: 'seed',
            [INIT('command')]: JSON.stringify(['sh', '-c', 'echo seeding']),
            [EXEC('command')]: JSON.stringify(['sh', '-c', 'echo "hello from $POD_NAME"; touch exec-ran']),
            [EXEC('container')]: 'app',
          },
        }),
      ),
      withInit(podManifest(source, 'api', { labels: { tier: 'back' } })),
    ]);
    // Never scheduled: its container is never Running.
    const stuck = podManifest(source, 'stuck', {
      annotations: {
        [EXEC('command')]: JSON.stringify(['true']),
        [EXEC('wait-timeout')]: '3s',
        [EXEC('on-error')]: 'Fail',
      },
    });
    (stuck.spec as Record<string, unknown>).nodeSelector = { 'skiff.dev/no-such-node': 'true' };
    await cluster.create(core('pods'), stuck);
    const backup = await backupAndWait(cluster, server.namespace, backupName, { includedNamespaces: [source] });
    assert.equal(backup.status?.phase, 'Completed', JSON.stringify(backup.status));
  });
  after(async () => {
    for (const ns of [source, ...targets]) await cluster.delete(core('namespaces'), ns).catch(() => undefined);
    await server.stop();
  });

  test('init hook containers are prepended in the restored pod spec: from annotations, or from spec entries matching the target namespace', async () => {
    const { target } = await restoreInto((target) => ({
      labelSelector: { matchExpressions: [{ key: 'tier', operator: 'Exists' }] },
      hooks: {
        resources: [
          {
            name: 'init-in-target',
            includedNamespaces: [target],
            labelSelector: { matchLabels: { tier: 'back' } },
            postHooks: [
              { init: { initContainers: [{ name: 'migrate', image: 'busybox:1.36', command: ['true'] }] } },
              { init: { initContainers: [{ name: 'warm', image: 'busybox:1.36' }] } },
            ],
          },
          {
            // Matches the pods' SOURCE namespace only: never applies.
            name: 'init-in-source',
            includedNamespaces: [source],
            postHooks: [{ init: { initContainers: [{ name: 'wrong', image: 'busybox:1.36' }] } }],
          },
        ],
      },
    }));
    assert.deepEqual(await initNames(target, 'api'), ['migrate', 'warm', 'setup']);
    // Annotations win over spec entries for their pod.
    assert.deepEqual(await initNames(target, 'web'), ['seed', 'setup']);
    const web = await cluster.get(core('pods'), 'web', target);
    const seed = (web.spec as { initContainers: { name: string; command?: string[] }[] }).initContainers[0];
    assert.deepEqual(seed?.command, ['sh', '-c', 'echo seeding']);
  });

  test('an exec hook runs once the restored pod is Running, its output in the restore log; waitTimeout expiry with onError Fail makes the restore PartiallyFailed naming the hook', async () => {
    const target = uniqueName('rtarget');
    targets.push(target);
    const name = uniqueName('r');
    const restore = await restoreAndWait(cluster, server.namespace, name, {
      backupName,
      includedNamespaces: [source],
      namespaceMapping: { [source]: target },
    });
    assert.equal(restore.status?.phase, 'PartiallyFailed', JSON.stringify(restore.status));
    assert.deepEqual(restore.status?.hookStatus, { hooksAttempted: 2, hooksFailed: 1 });
    assert.ok(existsSync(join(podDir(target, 'web'), 'exec-ran')), 'the hook ran in the restored pod');
    const lines = await restoreLogLines(await defaultStore(server), name);
    const restored = lines.findIndex((l) => l.includes('msg="restored Pod') && l.includes(`${target}/web`));
    const ran = lines.findIndex(
      (l) => l.includes('msg="running restore exec hook"') && l.includes(`pod=${target}/web`),
    );
    assert.ok(restored >= 0 && ran > restored, 'the hook ran after the pod was restored');
    assert.ok(
      lines.some((l) => l.includes('msg="hook stdout"') && l.includes('hello from web')),
      'output in the log',
    );
    const results = (await (await defaultStore(server)).getRestoreFile(name, 'results')) as {
      errors: { namespaces?: Record<string, string[]> };
    };
    assert.match(
      results.errors.namespaces?.[target]?.join('\n') ?? '',
      new RegExp(
        `exec hook <from-annotation> in pod ${target}/stuck, container app: waitTimeout expired: container app was not Running within 3s`,
      ),
    );
    const stuckPod = await cluster.get(core('pods'), 'stuck', target);
    assert.equal((stuckPod.status as { phase?: string }).phase, 'Pending');
  });

  test('a restore hook with a bad field fails validation naming the field', async () => {
    const name = uniqueName('r');
    const restore = await restoreAndWait(cluster, server.namespace, name, {
      backupName,
      hooks: {
        resources: [
          {
            name: 'bad',
            postHooks: [
              { exec: { command: ['true'], waitTimeout: 'a while' } },
              { init: { initContainers: [{ name: 'no-image' }] } },
            ],
          },
        ],
      },
    });
    assert.equal(restore.status?.phase, 'FailedValidation');
    const errors = restore.status?.validationErrors?.join('\n') ?? '';
    assert.match(errors, /spec\.hooks\.resources\[0\]\.postHooks\[0\]\.exec\.waitTimeout "a while"/);
    assert.match(errors, /spec\.hooks\.resources\[0\]\.postHooks\[1\]\.init\.initContainers\[0\]\.image: is required/);
  });

  test('restore create --dry-run lists the init containers and exec hooks per pod, in order', async () => {
    const target = uniqueName('rtarget');
    const args = ['-n', server.namespace, 'restore', 'create', uniqueName('dry'), '--from-backup', backupName];
    const scope = ['--include-namespaces', source, '--namespace-mappings', `${source}:${target}`, '--dry-run'];
    const text = (await skiffOk([...args, ...scope])).stdout;
    assert.match(text, /init containers: seed \(init hook\), setup\n/);
    assert.match(
      text,
      /exec hook 1: <from-annotation> in container app once Running: \["sh","-c","echo \\"hello from \$POD_NAME\\"; touch exec-ran"\] \(onError Continue, execTimeout 30s, no wait limit\)/,
    );
    assert.match(
      text,
      /exec hook 1: <from-annotation> in container app once Running: \["true"\] \(onError Fail, execTimeout 30s, waits up to 3s\)/,
    );
    const doc = JSON.parse((await skiffOk([...args, ...scope, '-o', 'json'])).stdout) as {
      tiers: { operations: { name: string; hooks?: unknown }[] }[];
    };
    const web = doc.tiers.flatMap((t) => t.operations).find((o) => o.name === 'web');
    assert.deepEqual(web?.hooks, {
      initContainers: ['seed', 'setup'],
      addedByHooks: ['seed'],
      exec: [
        {
          hook: '<from-annotation>',
          container: 'app',
          command: ['sh', '-c', 'echo "hello from $POD_NAME"; touch exec-ran'],
          onError: 'Continue',
          execTimeout: '30s',
          waitTimeout: '0s',
          waitFor: 'Running',
        },
      ],
    });
    assert.equal(await cluster.find(core('namespaces'), target), undefined, 'nothing was created');
  });
});
