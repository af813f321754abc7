/**
 * `npm run bench:restore -- --objects 10000 [--runs 3] [--spread 10] [--fresh [--warm]] [--concurrency N] [--cpu-prof-dir DIR]`
 * Creates N ConfigMaps and Secrets over `--spread` namespaces and backs them up once with Skiff
 * to MinIO. Then, alternating, each in a fresh process and each after deleting the namespaces
 * (outside the timing): (a) a raw parallel CREATE of the backed-up objects at the restore's
 * concurrency, (b) a Skiff restore of the backup, (c) the same CREATE, each followed by the merge
 * patch that puts its backed-up `managedFields` back, as a restore must (restore-run.ts). Prints
 * objects/s, the ratios b/a and b/c and the restore's peak RSS, and per run the CPU of the
 * measured process and of the environment's servers by process (`environmentCpuByProcess`),
 * which a loaded machine distorts less than wall time.
 * No timed assertions.
 *
 * `--fresh`: each run writes into namespaces of its own instead (the restore through a
 * `namespaceMapping`), so nothing is deleted between runs, and the cluster grows by the set with
 * each measured run: which of the three goes first rotates from run to run. For many small namespaces
 * (`--objects 4000 --spread 2000`), whose deletion takes the namespace controller minutes. They
 * are deleted at the end, not waited for.
 *
 * `--warm` (with `--fresh`): each measured process first runs its mode once, untimed, on the set's
 * first namespace (into namespaces of its own), so that the timed run sees compiled code, as a
 * running `skiff server` does from its second restore on. Without it each run is a cold process,
 * which charges the restore for compiling more code than a loop of creates needs.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pMap from 'p-map';
import type { Backup } from '../src/api/index.ts';
import { planBackupForCluster } from '../src/backup/plan-for-cluster.ts';
import { runBackup } from '../src/backup/run-backup.ts';
import type { Cluster, KubeObject } from '../src/kube/index.ts';
import { DEFAULT_RESTORE_CONCURRENCY } from '../src/restore/apply/apply-plan.ts';
import { readBackupCatalogue } from '../src/restore/index.ts';
import type { BackupStore } from '../src/storage/index.ts';
import { kubeTime, systemClock } from '../src/util/clock.ts';
import {
  benchCluster,
  benchEnv,
  benchStore,
  deleteNamespaces,
  ensureObjects,
  environmentCpuByProcess,
  waitForQuietServers,
  mib,
} from './bench-env.ts';
// @ts-expect-error: plain JavaScript shared with bin/skiff.mjs; no declarations
import { SERVER_NODE_FLAGS } from '../bin/server-process.mjs';
import { bundledRun, withoutTsx } from './bundled.ts';

const { values } = parseArgs({
  options: {
    objects: { type: 'string', default: '10000' },
    runs: { type: 'string', default: '3' },
    spread: { type: 'string', default: '10' },
    fresh: { type: 'boolean', default: false },
    warm: { type: 'boolean', default: false },
    concurrency: { type: 'string' },
    /** Write a CPU profile of each measured run into this directory. */
    'cpu-prof-dir': { type: 'string' },
    /** V8 flags for the measured processes instead of the server's (SERVER_NODE_FLAGS), to compare flag sets. */
    'node-flags': { type: 'string' },
  },
});
const total = Number(values.objects);
const runs = Number(values.runs);
if (values.warm && !values.fresh)
  throw new Error('--warm needs --fresh: the warm-up writes into namespaces of its own');
const nodeFlags = values['node-flags']?.split(/\s+/).filter(Boolean) ?? (SERVER_NODE_FLAGS as string[]);
const concurrency = values.concurrency ? Number(values.concurrency) : DEFAULT_RESTORE_CONCURRENCY;
const env = benchEnv();
const cluster = benchCluster(env);
const prefix = `rbench-${total}`;
console.log(`measured processes run with: ${nodeFlags.join(' ') || '(no flags)'}`);
console.log(`creating ${total} objects (or reusing them)...`);
const namespaces = await ensureObjects(cluster, `skiff-rbench-${total}`, total, Number(values.spread));
const runScript = await bundledRun('restore-run');

async function backUp(store: BackupStore, name: string): Promise<void> {
  const spec = { includedNamespaces: namespaces, includedResources: ['namespaces', 'configmaps', 'secrets'] };
  const plan = await planBackupForCluster(cluster, spec);
  const backup: Backup = {
    apiVersion: 'velero.io/v1',
    kind: 'Backup',
    metadata: { name, namespace: 'velero' },
    spec,
    status: { phase: 'InProgress', startTimestamp: kubeTime(new Date()) },
  };
  const outcome = await runBackup({ cluster, store, clock: systemClock }, backup, plan);
  if (outcome.phase !== 'Completed')
    throw new Error(`bench backup ended ${outcome.phase ?? '?'}: ${outcome.failureReason ?? ''}`);
}

const SERVER_SET = ['uid', 'resourceVersion', 'creationTimestamp', 'generation', 'managedFields', 'selfLink'];

/**
 * The backed-up objects as a plain client would send them back: server-set fields and status
 * stripped. Each namespace's kube-root-ca.crt is left out: kube-controller-manager makes it.
 */
async function rawBodies(store: BackupStore, name: string, keepOwners = false): Promise<KubeObject[]> {
  const catalogue = await readBackupCatalogue(await store.getBackupContents(name));
  const out: KubeObject[] = [];
  try {
    for (const gr of catalogue.groupResources) {
      for (const entry of catalogue.entries(gr)) {
        if (entry.name === 'kube-root-ca.crt') continue;
        const obj = await catalogue.read(entry);
        for (const k of SERVER_SET.filter((f) => !keepOwners || f !== 'managedFields')) delete obj.metadata[k];
        delete obj.status;
        out.push(obj);
      }
    }
  } finally {
    await catalogue.dispose();
  }
  return out;
}

interface Run {
  mode: string;
  objects: number;
  seconds: number;
  cpuSeconds: number;
  /** CPU seconds of the timed part by thread kind (main, v8, pool, other). */
  threads?: Record<string, number>;
  /** CPU the environment's servers (API server, etcd, ...) used during the run, start-up included. */
  serverCpuSeconds: number;
  serverCpuByProcess?: Record<string, number>;
  peakRss: number;
  phases?: Record<string, number>;
  window?: { firstCreate: number; afterLastCreate: number; meanInFlight: number };
  gc?: { minorMs: number; minor: number; majorMs: number; major: number; otherMs: number; heapUsedMiB: number };
}

function measure(mode: 'raw' | 'raw-owned' | 'restore', args: string[]): Run {
  const prof = values['cpu-prof-dir'] ? ['--cpu-prof', '--cpu-prof-dir', values['cpu-prof-dir']] : [];
  // Run as `skiff server` runs backups and restores: with its V8 flags (bin/server-process.mjs).
  const byProcess = environmentCpuByProcess(env.runDir);
  const res = spawnSync(
    process.execPath,
    [
      ...nodeFlags,
      ...withoutTsx(process.execArgv),
      ...prof,
      runScript,
      '--mode',
      mode,
      '--concurrency',
      String(concurrency),
      ...args,
    ],
    { encoding: 'utf8', env: { ...process.env, SKIFF_TESTENV_RUN: env.runDir } },
  );
  if (res.status !== 0) throw new Error(`${mode} run failed: ${res.stderr}`);
  const run = JSON.parse(res.stdout.trim().split('\n').pop() ?? '{}') as Omit<Run, 'serverCpuSeconds'>;
  const after = environmentCpuByProcess(env.runDir);
  const serverCpuByProcess = Object.fromEntries(
    Object.entries(after).map(([k, v]) => [k, Math.round((v - (byProcess[k] ?? 0)) * 100) / 100]),
  );
  const serverCpuSeconds = Object.values(serverCpuByProcess).reduce((a, b) => a + b, 0);
  return { ...run, serverCpuSeconds, serverCpuByProcess };
}

async function emptied(c: Cluster): Promise<number> {
  const start = performance.now();
  await deleteNamespaces(c, namespaces);
  return (performance.now() - start) / 1000;
}

const store = await benchStore(env, prefix);
const backupName = `rbench-${Date.now()}`;
console.log(`backing up to MinIO (${backupName})...`);
await backUp(store, backupName);
const dir = await mkdtemp(join(tmpdir(), 'skiff-rbench-'));
const objectsFile = join(dir, 'objects.json');
await writeFile(objectsFile, JSON.stringify(await rawBodies(store, backupName)));
const ownedObjectsFile = join(dir, 'objects-owned.json');
await writeFile(ownedObjectsFile, JSON.stringify(await rawBodies(store, backupName, true)));

/** `--fresh`: a mapping of the set's namespaces to ones no run has used, in a file for the run. */
const freshTargets: string[] = [];
async function freshMapping(tag: string, flag = '--mapping-file'): Promise<string[]> {
  if (!values.fresh) return [];
  const stamp = Date.now().toString(36);
  const mapping = Object.fromEntries(namespaces.map((ns) => [ns, `${tag}${stamp}-${ns}`]));
  // A warm-up writes into the first namespace's target only.
  freshTargets.push(...(flag === '--mapping-file' ? Object.values(mapping) : Object.values(mapping).slice(0, 1)));
  const file = join(dir, `mapping-${tag}${stamp}.json`);
  await writeFile(file, JSON.stringify(mapping));
  return [flag, file];
}

/** `--warm`: the mapping of the measured process's untimed first run. */
async function warmMapping(tag: string): Promise<string[]> {
  return values.warm ? freshMapping(tag, '--warm-mapping-file') : [];
}

const raws: Run[] = [];
const owned: Run[] = [];
const restores: Run[] = [];
try {
  for (let i = 0; i < runs; i++) {
    const raw = async (): Promise<void> => {
      raws.push(
        measure('raw', ['--objects-file', objectsFile, ...(await freshMapping('a')), ...(await warmMapping('wa'))]),
      );
    };
    const rawOwned = async (): Promise<void> => {
      owned.push(
        measure('raw-owned', [
          ...['--objects-file', ownedObjectsFile],
          ...(await freshMapping('c')),
          ...(await warmMapping('wc')),
        ]),
      );
    };
    const restore = async (): Promise<void> => {
      restores.push(
        measure('restore', [
          ...['--backup', backupName, '--prefix', prefix],
          ...(await freshMapping('b')),
          ...(await warmMapping('wb')),
        ]),
      );
    };
    // Rotating which goes first: with --fresh the cluster holds 10,000 more objects after each
    // measured run, and the second of a pair always met the larger etcd (raw 8.8, 9.8, 12.0 s in
    // three runs as it grew), which counted against the restore.
    const order =
      [
        [raw, rawOwned, restore],
        [restore, rawOwned, raw],
        [rawOwned, restore, raw],
      ][i % 3] ?? [];
    const deletions: number[] = [];
    const settled: string[] = [];
    for (const step of order) {
      deletions.push(values.fresh ? 0 : await emptied(cluster));
      const quiet = await waitForQuietServers(env.runDir);
      settled.push(`${quiet.waitedSeconds.toFixed(1)} s (then ${quiet.cores.toFixed(2)} cores)`);
      await step();
    }
    console.log(
      `run ${i + 1} done, ${['raw', 'restore', 'raw-owned'][i % 3]} first (namespace deletion took ${deletions.map((d) => d.toFixed(1)).join(' s and ')} s; servers settled in ${settled.join(' and ')}; neither timed)`,
    );
  }
} finally {
  await rm(dir, { recursive: true, force: true });
  await store.deleteBackup(backupName);
}

// Both over the objects the raw run creates: the restore's items also count each namespace's
// kube-root-ca.crt, which with many small namespaces would flatter it.
const objects = raws[0]?.objects ?? 0;
const rate = (r: Run): number => objects / r.seconds;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const rawRate = median(raws.map(rate));
const restoreRate = median(restores.map(rate));
const ownedRate = median(owned.map(rate));
console.log(
  `objects: raw ${raws[0]?.objects ?? 0} (namespaces, ConfigMaps, Secrets), restore ${restores[0]?.objects ?? 0} items (also each namespace's kube-root-ca.crt); rates are over the raw objects; concurrency ${concurrency}`,
);
console.log(
  values.warm
    ? "warm: each measured process first ran its mode untimed on the set's first namespace"
    : 'cold: each run a fresh process, its first operation timed (--fresh --warm to time a second one)',
);
for (let i = 0; i < runs; i++) {
  const a = raws[i];
  const b = restores[i];
  const c = owned[i];
  if (!a || !b || !c) continue;
  const phases = Object.entries(b.phases ?? {})
    .map(([k, v]) => `${k} ${v.toFixed(2)} s`)
    .join(', ');
  const win = (r: Run): string =>
    r.window
      ? `first create at ${r.window.firstCreate.toFixed(2)} s, ${r.window.meanInFlight.toFixed(2)} in flight on average, ${r.window.afterLastCreate.toFixed(2)} s after the last`
      : '';
  console.log(`run ${i + 1} creates: raw ${win(a)}; restore ${win(b)}`);
  const gc = (r: Run): string =>
    r.gc
      ? `${r.gc.minor} scavenges ${r.gc.minorMs} ms, ${r.gc.major} full ${r.gc.majorMs} ms, incremental ${r.gc.otherMs} ms, heap ${r.gc.heapUsedMiB} MiB at the end`
      : '';
  const threads = (r: Run): string =>
    Object.entries(r.threads ?? {})
      .map(([k, v]) => `${k} ${v.toFixed(2)} s`)
      .join(', ');
  console.log(`run ${i + 1} client CPU by thread: raw ${threads(a)}; restore ${threads(b)}`);
  const servers = (r: Run): string =>
    Object.entries(r.serverCpuByProcess ?? {})
      .filter(([, v]) => v >= 0.05)
      .map(([k, v]) => `${k} ${v.toFixed(1)} s`)
      .join(', ');
  console.log(`run ${i + 1} servers' CPU: raw ${servers(a)}; raw-owned ${servers(c)}; restore ${servers(b)}`);
  console.log(`run ${i + 1} GC pauses: raw ${gc(a)}; restore ${gc(b)}`);
  console.log(
    `run ${i + 1}: raw create + managedFields patch ${rate(c).toFixed(0)} obj/s (${c.seconds.toFixed(2)} s, client CPU ${c.cpuSeconds.toFixed(1)} s, servers ${c.serverCpuSeconds.toFixed(1)} s)`,
  );
  console.log(
    `run ${i + 1}: raw create ${rate(a).toFixed(0)} obj/s (${a.seconds.toFixed(2)} s, client CPU ${a.cpuSeconds.toFixed(1)} s, servers ${a.serverCpuSeconds.toFixed(1)} s, peak ${mib(a.peakRss)}), restore ${rate(b).toFixed(0)} obj/s (${b.seconds.toFixed(2)} s: ${phases}; client CPU ${b.cpuSeconds.toFixed(1)} s, servers ${b.serverCpuSeconds.toFixed(1)} s; peak ${mib(b.peakRss)})`,
  );
}
console.log(
  `median: raw create ${rawRate.toFixed(0)} obj/s, restore ${restoreRate.toFixed(0)} obj/s, ratio restore/raw ${(restoreRate / rawRate).toFixed(2)} at the same concurrency (target >= 0.9)`,
);
console.log(
  `median: raw create + managedFields patch ${ownedRate.toFixed(0)} obj/s, ratio restore/that ${(restoreRate / ownedRate).toFixed(2)} (the requests a restore that keeps field owners sends)`,
);
console.log(`restore peak RSS: ${mib(Math.max(...restores.map((r) => r.peakRss)))}`);
if (freshTargets.length > 0) {
  // After the figures: deleting thousands of namespaces keeps the namespace controller busy for long.
  console.log(`deleting the ${freshTargets.length} namespaces the runs wrote into (not waited for)`);
  await pMap(freshTargets, (ns) => cluster.delete({ group: '', version: 'v1', resource: 'namespaces' }, ns), {
    concurrency: 16,
  });
}
