/**
 * Backup hooks against the real cluster: kwok runs each hook command locally in the pod's
 * working folder (testenv §4.5), through the API server's pods/exec.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Backup, BackupSpec } from '../../../src/api/index.ts';
import { readAll } from '../../../src/storage/object-store.ts';
import { archiveEntries, itemPaths } from '../../helpers/archive-entries.ts';
import { adminCluster, core, createNamespace } from '../../helpers/cluster.ts';
import { createRunningPods, podDir, podManifest } from '../../helpers/hook-pods.ts';
import { uniqueName } from '../../helpers/names.ts';
import { backupAndWait, defaultStore, startTestServer, type TestServer } from '../../helpers/skiff-server.ts';
import { skiffOk } from '../cli/run-skiff.ts';

const cluster = adminCluster();
let server: TestServer;
const namespaces: string[] = [];

async function freshNamespace(): Promise<string> {
  const ns = uniqueName('hooks');
  await createNamespace(cluster, ns);
  namespaces.push(ns);
  return ns;
}

interface Finished {
  backup: Backup;
  items: string[];
  log: string[];
  results: { errors: Record<string, unknown>; warnings: Record<string, unknown> };
}

async function backUp(spec: BackupSpec): Promise<Finished> {
  const name = uniqueName('b');
  const backup = await backupAndWait(cluster, server.namespace, name, spec);
  const store = await defaultStore(server);
  if (backup.status?.phase === 'FailedValidation')
    return { backup, items: [], log: [], results: { errors: {}, warnings: {} } };
  const items = itemPaths(await archiveEntries(await store.getBackupContents(name)));
  const log = (await readAll(await store.getBackupLog(name))).toString('utf8').split('\n');
  const results = (await store.getBackupFile(name, 'results')) as Finished['results'];
  return { backup, items, log, results };
}

const A = (phase: 'pre' | 'post', key: string): string => `${phase}.hook.backup.velero.io/${key}`;
const messages = (r: Record<string, unknown>): string[] =>
  Object.values((r.namespaces ?? {}) as Record<string, string[]>).flat();

describe('backup hooks', { concurrency: false }, () => {
  before(async () => {
    server = await startTestServer(cluster);
  });
  after(async () => {
    for (const ns of namespaces) await cluster.delete(core('namespaces'), ns).catch(() => undefined);
    await server.stop();
  });

  test('the pre hook marker exists while the pod is backed up and the post hook removes it', async () => {
    const ns = await freshNamespace();
    // Each hook records when it ran (ms since the epoch) and whether the marker was there.
    const record = (what: string): string =>
      `echo "${what} $(date +%s%3N) $([ -e marker ] && echo marker-present || echo marker-absent)" >> events`;
    await createRunningPods(cluster, [
      podManifest(ns, 'db', {
        annotations: {
          [A('pre', 'command')]: JSON.stringify(['sh', '-c', `touch marker && ${record('pre')}`]),
          [A('pre', 'on-error')]: 'Fail',
          [A('post', 'command')]: JSON.stringify(['sh', '-c', `${record('post')} && rm marker`]),
        },
      }),
    ]);
    const dir = podDir(ns, 'db');
    const { backup, items, log } = await backUp({ includedNamespaces: [ns] });
    const eventsFile = join(dir, 'events');
    const events = existsSync(eventsFile) ? readFileSync(eventsFile, 'utf8').trim().split('\n') : [];
    // Everything a failure here needs to be understood from the test output alone (CI keeps no other record).
    const seen = [
      `status: ${JSON.stringify(backup.status)}`,
      `hook events: ${JSON.stringify(events)}`,
      ...log.filter((l) => l.includes('hook') || l.includes(`${ns}/db`)),
    ].join('\n');
    assert.equal(backup.status?.phase, 'Completed', seen);
    assert.deepEqual(backup.status?.hookStatus, { hooksAttempted: 2, hooksFailed: 0 }, seen);
    assert.ok(items.includes(`resources/pods/namespaces/${ns}/db.json`), seen);
    assert.equal(events.length, 2, seen);
    const [pre, post] = events.map((e) => e.split(' '));
    assert.deepEqual(
      [pre?.[0], pre?.[2], post?.[0], post?.[2]],
      ['pre', 'marker-present', 'post', 'marker-present'],
      seen,
    );
    // The backup log's line for the pod's items falls between the two hooks.
    const line = log.find((l) => l.includes('msg="pod backed up; its post hooks follow') && l.includes(`pod=${ns}/db`));
    assert.ok(line, log.join('\n'));
    const written = Date.parse(/time="([^"]+)"/.exec(line)?.[1] ?? '');
    assert.ok(Number(pre?.[1]) <= written, `pre hook at ${pre?.[1]}, pod written at ${written}\n${seen}`);
    assert.ok(written <= Number(post?.[1]), `pod written at ${written}, post hook at ${post?.[1]}\n${seen}`);
    assert.ok(!existsSync(join(dir, 'marker')), `the post hook removed the marker\n${seen}`);
    assert.ok(
      log.some((l) => l.includes('msg="pre hook succeeded"') && l.includes('container=app')),
      seen,
    );
  });

  test('a failing pre hook with on-error Fail: PartiallyFailed naming pod, container and failure; the pod is left out', async () => {
    const ns = await freshNamespace();
    await createRunningPods(cluster, [
      podManifest(ns, 'db', {
        annotations: {
          [A('pre', 'command')]: JSON.stringify(['sh', '-c', 'echo cannot flush >&2; exit 3']),
          [A('pre', 'on-error')]: 'Fail',
        },
      }),
      podManifest(ns, 'web'),
    ]);
    const { backup, items, log, results } = await backUp({ includedNamespaces: [ns] });
    assert.equal(backup.status?.phase, 'PartiallyFailed');
    assert.deepEqual(backup.status?.hookStatus, { hooksAttempted: 1, hooksFailed: 1 });
    const [error] = messages(results.errors);
    assert.match(
      error ?? '',
      new RegExp(`^pre hook <from-annotation> in pod ${ns}/db, container app: .*exit status 3`),
    );
    assert.ok(!items.includes(`resources/pods/namespaces/${ns}/db.json`), 'the pod is left out');
    assert.ok(items.includes(`resources/pods/namespaces/${ns}/web.json`), 'the rest is backed up');
    assert.ok(
      log.some((l) => l.includes('cannot flush')),
      'stderr is in the log',
    );
  });

  test('with on-error Continue the backup completes with a warning', async () => {
    const ns = await freshNamespace();
    await createRunningPods(cluster, [
      podManifest(ns, 'db', { annotations: { [A('pre', 'command')]: JSON.stringify(['sh', '-c', 'exit 1']) } }),
    ]);
    const { backup, items, results } = await backUp({ includedNamespaces: [ns] });
    assert.equal(backup.status?.phase, 'Completed');
    assert.equal(backup.status?.warnings, 1);
    assert.match(
      messages(results.warnings)[0] ?? '',
      new RegExp(`pod ${ns}/db, container app: .*\\(on-error Continue\\)`),
    );
    assert.ok(items.includes(`resources/pods/namespaces/${ns}/db.json`));
  });

  test('a hook that sleeps past its timeout is cut off and reported as timed out', async () => {
    const ns = await freshNamespace();
    await createRunningPods(cluster, [
      podManifest(ns, 'db', {
        annotations: {
          [A('pre', 'command')]: JSON.stringify(['sleep', '60']),
          [A('pre', 'timeout')]: '2s',
          [A('pre', 'on-error')]: 'Fail',
        },
      }),
    ]);
    const started = Date.now();
    const { backup, results } = await backUp({ includedNamespaces: [ns] });
    assert.ok(Date.now() - started < 50_000, 'the backup did not wait for the command');
    assert.equal(backup.status?.phase, 'PartiallyFailed');
    assert.match(messages(results.errors)[0] ?? '', new RegExp(`pod ${ns}/db, container app: timed out after 2s`));
  });

  test('spec hooks run in the matching pods; annotation hooks replace them in their pod', async () => {
    const ns = await freshNamespace();
    await createRunningPods(cluster, [
      podManifest(ns, 'a', { labels: { tier: 'db' } }),
      podManifest(ns, 'b', {
        labels: { tier: 'db' },
        annotations: { [A('pre', 'command')]: JSON.stringify(['sh', '-c', 'echo annotation > ran']) },
      }),
      podManifest(ns, 'c', { labels: { tier: 'web' } }),
    ]);
    const { backup } = await backUp({
      includedNamespaces: [ns],
      hooks: {
        resources: [
          {
            name: 'flush',
            includedNamespaces: [ns],
            labelSelector: { matchLabels: { tier: 'db' } },
            pre: [{ exec: { command: ['sh', '-c', 'echo spec >> ran'] } }],
            post: [{ exec: { command: ['sh', '-c', 'echo spec-post >> ran'] } }],
          },
        ],
      },
    });
    assert.equal(backup.status?.phase, 'Completed', JSON.stringify(backup.status));
    const ran = (pod: string): string => {
      const f = join(podDir(ns, pod), 'ran');
      return existsSync(f) ? readFileSync(f, 'utf8') : '';
    };
    assert.equal(ran('a'), 'spec\nspec-post\n');
    assert.equal(ran('b'), 'annotation\nspec-post\n');
    assert.equal(ran('c'), '');
    assert.deepEqual(backup.status?.hookStatus, { hooksAttempted: 4, hooksFailed: 0 });
  });

  test('bad hook annotations are named in warnings; the backup of everything else goes on', async () => {
    const ns = await freshNamespace();
    await createRunningPods(cluster, [
      podManifest(ns, 'unknown-container', {
        annotations: { [A('pre', 'command')]: 'true', [A('pre', 'container')]: 'sidecar' },
      }),
      podManifest(ns, 'empty-command', { annotations: { [A('pre', 'command')]: '' } }),
      podManifest(ns, 'bad-timeout', {
        annotations: {
          [A('post', 'command')]: JSON.stringify(['sh', '-c', 'echo ok > ran']),
          [A('post', 'timeout')]: 'soon',
        },
      }),
    ]);
    const { backup, items, results } = await backUp({ includedNamespaces: [ns] });
    assert.equal(backup.status?.phase, 'Completed', JSON.stringify(backup.status));
    const warnings = messages(results.warnings).join('\n');
    assert.match(
      warnings,
      new RegExp(`pod ${ns}/unknown-container, container sidecar: container "sidecar" is not in the pod`),
    );
    assert.match(
      warnings,
      new RegExp(`pod ${ns}/empty-command: annotation pre\\.hook\\.backup\\.velero\\.io/command: the command is empty`),
    );
    assert.match(
      warnings,
      new RegExp(
        `pod ${ns}/bad-timeout: annotation post\\.hook\\.backup\\.velero\\.io/timeout: invalid timeout "soon"`,
      ),
    );
    assert.equal(readFileSync(join(podDir(ns, 'bad-timeout'), 'ran'), 'utf8'), 'ok\n', 'ran with the default timeout');
    for (const pod of ['unknown-container', 'empty-command', 'bad-timeout'])
      assert.ok(items.includes(`resources/pods/namespaces/${ns}/${pod}.json`), pod);
  });

  test('a spec hook with a bad field fails validation naming the field', async () => {
    const { backup } = await backUp({
      includedNamespaces: ['default'],
      hooks: { resources: [{ name: 'bad', pre: [{ exec: { command: ['x'], timeout: 'forever' } }] }] },
    });
    assert.equal(backup.status?.phase, 'FailedValidation');
    assert.match(
      backup.status?.validationErrors?.join('\n') ?? '',
      /spec\.hooks\.resources\[0\]\.pre\[0\]\.exec\.timeout "forever"/,
    );
  });

  test('backup create --dry-run lists the hooks that would run, per pod and container, in order', async () => {
    const ns = await freshNamespace();
    await createRunningPods(cluster, [
      podManifest(ns, 'db', {
        containers: ['db', 'exporter'],
        annotations: {
          [A('pre', 'command')]: JSON.stringify(['sh', '-c', 'sync']),
          [A('pre', 'container')]: 'exporter',
          [A('pre', 'on-error')]: 'Fail',
          [A('pre', 'timeout')]: '90s',
          [A('post', 'command')]: 'thaw',
        },
      }),
    ]);
    const args = [
      '-n',
      server.namespace,
      'backup',
      'create',
      uniqueName('dry'),
      '--include-namespaces',
      ns,
      '--dry-run',
    ];
    const text = (await skiffOk(args)).stdout;
    assert.match(text, /Hooks that would run/);
    const expected = [
      `  ${ns}/db:`,
      '    1. pre <from-annotation> in container exporter: ["sh","-c","sync"] (on-error Fail, timeout 1m30s)',
      '    2. post <from-annotation> in container db: ["thaw"] (on-error Continue, timeout 30s)',
    ].join('\n');
    assert.ok(text.includes(expected), text);
    const doc = JSON.parse((await skiffOk([...args, '-o', 'json'])).stdout) as { hooks: unknown[] };
    assert.deepEqual(doc.hooks, [
      {
        pod: `${ns}/db`,
        hooks: [
          {
            phase: 'pre',
            hook: '<from-annotation>',
            container: 'exporter',
            command: ['sh', '-c', 'sync'],
            onError: 'Fail',
            timeout: '1m30s',
          },
          {
            phase: 'post',
            hook: '<from-annotation>',
            container: 'db',
            command: ['thaw'],
            onError: 'Continue',
            timeout: '30s',
          },
        ],
      },
    ]);
    assert.ok(!existsSync(join(podDir(ns, 'db'), 'ran')), 'nothing ran');
  });
});
