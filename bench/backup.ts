/**
 * `npm run bench:backup -- --objects 10000 [--runs 3] [--spread 10] [--warm] [--profile DIR]`
 * Creates N ConfigMaps and Secrets over several namespaces, then measures in the same run, each
 * in a fresh process and in turn: (a) a bare paginated LIST of them one (type, namespace) at a
 * time, (b) the same LISTs as many at once as a backup runs, (c) a Skiff backup of them. With
 * `--warm`, each process first does the same once, untimed, as a running server has done before
 * most backups, and the second run is measured. Prints objects/s, the ratio of the backup to
 * the faster of the two LIST baselines, and peak RSS; per run, the CPU of the measured process
 * and of the environment's servers (`environmentCpuSeconds`). No timed assertions.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchCluster, benchEnv, ensureObjects, environmentCpuSeconds, mib, waitForQuietServers } from './bench-env.ts';
// @ts-expect-error: plain JavaScript shared with bin/skiff.mjs; no declarations
import { SERVER_NODE_FLAGS } from '../bin/server-process.mjs';
import { bundledRun } from './bundled.ts';
import { LIST_CONCURRENCY } from '../src/backup/collect/collect-items.ts';

const { values } = parseArgs({
  options: {
    objects: { type: 'string', default: '10000' },
    runs: { type: 'string', default: '3' },
    spread: { type: 'string', default: '10' },
    warm: { type: 'boolean', default: false },
    /** A folder for a V8 CPU profile of each measured run (`<mode>-<run>.cpuprofile`; open in Chrome DevTools). */
    profile: { type: 'string' },
    /** A folder for each measured run's request timeline (`<mode>-<run>.txt`, bench/timeline.ts). */
    timeline: { type: 'string' },
    /** V8 flags for the measured processes instead of the server's (SERVER_NODE_FLAGS), to compare flag sets. */
    'node-flags': { type: 'string' },
  },
});
const total = Number(values.objects);
const runs = Number(values.runs);
const nodeFlags = values['node-flags']?.split(/\s+/).filter(Boolean) ?? (SERVER_NODE_FLAGS as string[]);
const env = benchEnv();
const cluster = benchCluster(env);
console.log(`measured processes run with: ${nodeFlags.join(' ') || '(no flags)'}`);
console.log(`creating ${total} objects (or reusing them)...`);
const namespaces = await ensureObjects(cluster, `skiff-bench-${total}`, total, Number(values.spread));
const runScript = await bundledRun('backup-run');

interface Run {
  mode: string;
  objects: number;
  seconds: number;
  cpuSeconds: number;
  /** CPU the environment's servers (API server, etcd, MinIO, ...) used during the run, start-up included. */
  serverCpuSeconds: number;
  peakRss: number;
  /** Garbage collections in the timed part, by V8's kind (1 scavenge, 4 mark-compact, 8 incremental marking). */
  gc: Record<string, { count: number; ms: number }>;
  /** CPU seconds of the timed part by thread kind (bench-env.ts threadCpuSeconds: main, v8, pool, other). */
  threads?: Record<string, number>;
}
type Mode = 'list' | 'list-parallel' | 'backup';
function measure(mode: Mode, index: number): Run {
  // Run as `skiff server` runs backups and restores: with its V8 flags (bin/server-process.mjs).
  const serverCpu = environmentCpuSeconds(env.runDir);
  const res = spawnSync(
    process.execPath,
    [
      ...nodeFlags,
      runScript,
      '--mode',
      mode,
      '--namespaces',
      namespaces.join(','),
      '--prefix',
      `bench-${total}`,
      ...(values.warm ? ['--warm'] : []),
      ...(values.profile ? ['--profile', join(values.profile, `${mode}-${index + 1}.cpuprofile`)] : []),
      ...(values.timeline ? ['--timeline', join(values.timeline, `${mode}-${index + 1}.txt`)] : []),
    ],
    {
      encoding: 'utf8',
      env: { ...process.env, SKIFF_TESTENV_RUN: env.runDir },
    },
  );
  if (res.status !== 0) throw new Error(`${mode} run failed: ${res.stderr}`);
  const run = JSON.parse(res.stdout.trim().split('\n').pop() ?? '{}') as Omit<Run, 'serverCpuSeconds'>;
  return { ...run, serverCpuSeconds: environmentCpuSeconds(env.runDir) - serverCpu };
}

const MODES: Mode[] = ['list', 'list-parallel', 'backup'];
const measured = new Map<Mode, Run[]>(MODES.map((m) => [m, []]));
if (values.profile) mkdirSync(values.profile, { recursive: true });
if (values.timeline) mkdirSync(values.timeline, { recursive: true });
for (let i = 0; i < runs; i++) {
  for (const mode of MODES) {
    // Not timed: creating the objects (or the previous run's uploads) can leave the controllers busy.
    await waitForQuietServers(env.runDir);
    measured.get(mode)?.push(measure(mode, i));
  }
}
const rate = (r: Run): number => r.objects / r.seconds;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const medianRate = (mode: Mode): number => median((measured.get(mode) ?? []).map(rate));
const show = (r: Run | undefined): string =>
  r
    ? `${rate(r).toFixed(0)} obj/s (${r.seconds.toFixed(2)} s, client CPU ${r.cpuSeconds.toFixed(2)} s (${threadText(r.threads)}), servers ${r.serverCpuSeconds.toFixed(2)} s, peak ${mib(r.peakRss)}, GC ${gcText(r.gc)})`
    : '?';

function threadText(threads: Run['threads']): string {
  const parts = Object.entries(threads ?? {}).map(([k, s]) => `${k} ${s.toFixed(2)}`);
  return parts.length > 0 ? parts.join(' ') : 'threads ?';
}

const GC_KINDS: Record<string, string> = {
  1: 'scavenge',
  2: 'minor-ms',
  4: 'mark-compact',
  8: 'incremental',
  16: 'weak-cb',
};
function gcText(gc: Run['gc']): string {
  const parts = Object.entries(gc).map(([k, g]) => `${GC_KINDS[k] ?? k} ${g.count}x ${g.ms} ms`);
  return parts.length > 0 ? parts.join(', ') : 'none';
}

const backups = measured.get('backup') ?? [];
console.log(
  `objects: list ${measured.get('list')?.[0]?.objects ?? 0}, backup ${backups[0]?.objects ?? 0} (includes each namespace's kube-root-ca.crt); parallel LIST ${LIST_CONCURRENCY} at a time, as the backup lists`,
);
console.log(
  values.warm
    ? 'warm: each process ran the same operation once before the measured run'
    : 'cold: each run in a fresh process, its first operation timed (--warm to time a second one)',
);
for (let i = 0; i < runs; i++) {
  console.log(
    `run ${i + 1}: list ${show(measured.get('list')?.[i])}, parallel list ${show(measured.get('list-parallel')?.[i])}, backup ${show(backups[i])}`,
  );
}
const listRate = medianRate('list');
const parallelRate = medianRate('list-parallel');
const backupRate = medianRate('backup');
const faster = Math.max(listRate, parallelRate);
console.log(
  `median: list ${listRate.toFixed(0)} obj/s, parallel list ${parallelRate.toFixed(0)} obj/s, backup ${backupRate.toFixed(0)} obj/s`,
);
console.log(
  `ratio backup / faster LIST baseline (${parallelRate >= listRate ? 'parallel' : 'one at a time'}): ${(backupRate / faster).toFixed(2)} (target >= 0.9)`,
);
console.log(`backup peak RSS: ${mib(Math.max(...backups.map((b) => b.peakRss)))} (target < 300 MiB)`);
