/**
 * Hooks on many pods: 50 annotated pods, each with a pre and a post hook, run with bounded
 * concurrency. The times of the backup with hooks and of the same backup without them are
 * reported as diagnostics (not asserted).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_HOOK_CONCURRENCY } from '../../../src/backup/hooks/hook-runner.ts';
import { adminCluster, core, createNamespace } from '../../helpers/cluster.ts';
import { createRunningPods, podManifest } from '../../helpers/hook-pods.ts';
import { uniqueName } from '../../helpers/names.ts';
import { backupAndWait, startTestServer, type TestServer } from '../../helpers/skiff-server.ts';

const PODS = 50;
const cluster = adminCluster();
let server: TestServer;
const withHooks = uniqueName('hooks50');
const withoutHooks = uniqueName('plain50');
const shared = mkdtempSync(join(tmpdir(), 'skiff-hook-spans-'));
const spans = join(shared, 'spans');

/** The hook appends its start and end (ns since the epoch) to one file shared by every pod. */
const recorded = (phase: string): string =>
  JSON.stringify(['sh', '-c', `s=$(date +%s%N); sleep 0.2; echo "${phase} $POD_NAME $s $(date +%s%N)" >> ${spans}`]);

describe('hooks on 50 pods', { concurrency: false }, () => {
  before(async () => {
    server = await startTestServer(cluster);
    await createNamespace(cluster, withHooks);
    await createNamespace(cluster, withoutHooks);
    const names = Array.from({ length: PODS }, (_, i) => `p${String(i).padStart(2, '0')}`);
    await createRunningPods(
      cluster,
      [
        ...names.map((n) =>
          podManifest(withHooks, n, {
            annotations: {
              'pre.hook.backup.velero.io/command': recorded('pre'),
              'post.hook.backup.velero.io/command': recorded('post'),
            },
          }),
        ),
        ...names.map((n) => podManifest(withoutHooks, n)),
      ],
      300_000,
    );
  });
  after(async () => {
    for (const ns of [withHooks, withoutHooks]) await cluster.delete(core('namespaces'), ns).catch(() => undefined);
    await server.stop();
    rmSync(shared, { recursive: true, force: true });
  });

  test('100 hooks attempted, never more than the concurrency limit at once', async (t) => {
    const started = Date.now();
    const backup = await backupAndWait(
      cluster,
      server.namespace,
      uniqueName('b'),
      { includedNamespaces: [withHooks] },
      300_000,
    );
    const hooked = Date.now() - started;
    assert.equal(backup.status?.phase, 'Completed', JSON.stringify(backup.status));
    assert.deepEqual(backup.status?.hookStatus, { hooksAttempted: 100, hooksFailed: 0 });
    const lines = readFileSync(spans, 'utf8').trim().split('\n');
    assert.equal(lines.length, 100);
    // The most hook commands running at one moment, from their recorded spans.
    const edges = lines.flatMap((l) => {
      const [, , s, e] = l.split(' ');
      return [
        { at: BigInt(s ?? '0'), d: 1 },
        { at: BigInt(e ?? '0'), d: -1 },
      ];
    });
    edges.sort((a, b) => (a.at === b.at ? a.d - b.d : a.at < b.at ? -1 : 1));
    let now = 0;
    let most = 0;
    for (const e of edges) most = Math.max(most, (now += e.d));
    assert.ok(most <= DEFAULT_HOOK_CONCURRENCY, `at most ${DEFAULT_HOOK_CONCURRENCY} at once, saw ${most}`);
    assert.ok(most > 1, 'hooks of different pods ran at the same time');
    for (const pod of ['p00', 'p49']) {
      const pre = lines.find((l) => l.startsWith(`pre ${pod} `));
      const post = lines.find((l) => l.startsWith(`post ${pod} `));
      assert.ok(pre && post && BigInt(pre.split(' ')[3] ?? '0') <= BigInt(post.split(' ')[2] ?? '0'), pod);
    }

    const plainStart = Date.now();
    const plain = await backupAndWait(
      cluster,
      server.namespace,
      uniqueName('b'),
      { includedNamespaces: [withoutHooks] },
      300_000,
    );
    const unhooked = Date.now() - plainStart;
    assert.equal(plain.status?.phase, 'Completed');
    assert.equal(plain.status?.hookStatus, undefined);
    t.diagnostic(
      `backup of ${PODS} pods with 2 hooks each (0.2 s per hook): ${hooked} ms; without hooks: ${unhooked} ms; most hooks at once: ${most}`,
    );
  });
});
