/**
 * `npm run bench:backup -- --objects 10000 [--runs 3] [--spread 10]`
 * Creates N ConfigMaps and Secrets over several namespaces, then measures in the same run
 * (a) a bare paginated LIST of them and (b) a Skiff backup of them, alternating, each in
 * a fresh process. Prints objects/s, the ratio b/a and peak RSS. No timed assertions.
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { benchCluster, benchEnv, ensureObjects, mib } from './bench-env.ts';
// @ts-expect-error: plain JavaScript shared with bin/skiff.mjs; no declarations
import { SERVER_NODE_FLAGS } from '../bin/server-process.mjs';
import { bundledRun } from './bundled.ts';

const { values } = parseArgs({
  options: {
    objects: { type: 'string', default: '10000' },
    runs: { type: 'string', default: '3' },
    spread: { type: 'string', default: '10' },
  },
});
const total = Number(values.objects);
const runs = Number(values.runs);
const env = benchEnv();
const cluster = benchCluster(env);
console.log(`creating ${total} objects (or reusing them)...`);
const namespaces = await ensureObjects(cluster, `skiff-bench-${total}`, total, Number(values.spread));
const runScript = await bundledRun('backup-run');

interface Run {
  mode: string;
  objects: number;
  seconds: number;
  peakRss: number;
}
function measure(mode: 'list' | 'backup'): Run {
  // Run as `skiff server` runs backups and restores: with its V8 flags (bin/server-process.mjs).
  const res = spawnSync(
    process.execPath,
    [
      ...(SERVER_NODE_FLAGS as string[]),
      runScript,
      '--mode',
      mode,
      '--namespaces',
      namespaces.join(','),
      '--prefix',
      `bench-${total}`,
    ],
    {
      encoding: 'utf8',
      env: { ...process.env, SKIFF_TESTENV_RUN: env.runDir },
    },
  );
  if (res.status !== 0) throw new Error(`${mode} run failed: ${res.stderr}`);
  return JSON.parse(res.stdout.trim().split('\n').pop() ?? '{}') as Run;
}

const lists: Run[] = [];
const backups: Run[] = [];
for (let i = 0; i < runs; i++) {
  lists.push(measure('list'));
  backups.push(measure('backup'));
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const listRate = median(lists.map((r) => r.objects / r.seconds));
const backupRate = median(backups.map((r) => r.objects / r.seconds));
console.log(
  `objects: list ${lists[0]?.objects ?? 0}, backup ${backups[0]?.objects ?? 0} (includes each namespace's kube-root-ca.crt)`,
);
for (let i = 0; i < runs; i++) {
  const l = lists[i];
  const b = backups[i];
  if (!l || !b) continue;
  console.log(
    `run ${i + 1}: list ${(l.objects / l.seconds).toFixed(0)} obj/s (${l.seconds.toFixed(2)} s, peak ${mib(l.peakRss)}), backup ${(b.objects / b.seconds).toFixed(0)} obj/s (${b.seconds.toFixed(2)} s, peak ${mib(b.peakRss)})`,
  );
}
console.log(
  `median: list ${listRate.toFixed(0)} obj/s, backup ${backupRate.toFixed(0)} obj/s, ratio backup/list ${(backupRate / listRate).toFixed(2)} (target >= 0.8)`,
);
console.log(`backup peak RSS: ${mib(Math.max(...backups.map((b) => b.peakRss)))} (target < 300 MiB)`);
