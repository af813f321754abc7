/**
 * One measured run, in its own process so its memory is its own:
 *   list          — a bare paginated LIST of configmaps and secrets in the bench namespaces, one
 *                   (type, namespace) at a time
 *   list-parallel — the same LISTs, as many at a time as a backup runs (LIST_CONCURRENCY)
 *   backup        — a Skiff backup of the same objects to the MinIO location
 * With --warm, each first runs once, untimed (see below), and the second run is measured.
 * Prints one JSON line: {mode, objects, seconds, cpuSeconds, peakRss}; cpuSeconds is this process's
 * CPU (user + system) in the timed part.
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import { planBackupForCluster } from '../src/backup/plan-for-cluster.ts';
import { LIST_CONCURRENCY } from '../src/backup/collect/collect-items.ts';
import { runBackup } from '../src/backup/run-backup.ts';
import { mergeBounded } from '../src/util/async.ts';
import type { Backup } from '../src/api/index.ts';
import { validateLocation } from '../src/storage/index.ts';
import { kubeTime, systemClock } from '../src/util/clock.ts';
import { benchCluster, benchStore, rssSampler, threadCpuSeconds, threadCpuSince } from './bench-env.ts';
import { loadTestEnv } from '../test/helpers/testenv.ts';
import { formatTimeline, requestTimeline } from './timeline.ts';
import { PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';

const { values } = parseArgs({
  options: {
    mode: { type: 'string' },
    namespaces: { type: 'string' },
    prefix: { type: 'string' },
    warm: { type: 'boolean', default: false },
    /** Writes a V8 CPU profile of the measured run (not the process's start-up) to this file. */
    profile: { type: 'string' },
    /** Writes the timed part's request timeline (timeline.ts) to this file. */
    timeline: { type: 'string' },
  },
});
const timeline = values.timeline ? requestTimeline() : undefined;
/** Garbage collections in the timed part: count and pause ms by kind (1 scavenge, 4 mark-compact, ...). */
const gc = new Map<number, { count: number; ms: number }>();
let gcOn = false;
new PerformanceObserver((list) => {
  if (!gcOn) return;
  for (const e of list.getEntries()) {
    const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? 0;
    const g = gc.get(kind) ?? { count: 0, ms: 0 };
    g.count++;
    g.ms += e.duration;
    gc.set(kind, g);
  }
}).observe({ entryTypes: ['gc'] });
const env = loadTestEnv();
const cluster = benchCluster(env);
const namespaces = (values.namespaces ?? '').split(',');
const types = [
  { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true, verbs: [] },
  { group: '', version: 'v1', resource: 'secrets', kind: 'Secret', namespaced: true, verbs: [] },
];

const rss = rssSampler();
let start = performance.now();
let seconds = 0;
let cpuStart = process.cpuUsage();
let cpuSeconds = 0;
let threadsStart = threadCpuSeconds();
let threads: Record<string, number> = {};
const cpuSince = (from: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(from);
  return (used.user + used.system) / 1e6;
};

/** A bare paginated LIST of each (type, namespace), one at a time. */
async function listOneAtATime(nss: string[]): Promise<number> {
  let n = 0;
  for (const ns of nss)
    for (const t of types) for await (const _ of cluster.list(t, { namespace: ns, pageSize: 500 })) n++;
  return n;
}

/** The units a backup lists: one per (type, namespace), LIST_CONCURRENCY of them at once. */
async function listParallel(nss: string[]): Promise<number> {
  let n = 0;
  const units = types.flatMap((t) => nss.map((ns) => () => cluster.listPages(t, { namespace: ns, pageSize: 500 })));
  for await (const page of mergeBounded(units, LIST_CONCURRENCY)) n += page.length;
  return n;
}

const store = values.mode === 'backup' ? await benchStore(env, values.prefix ?? 'bench') : undefined;
if (store && timeline) {
  const put = store.putBackupContents.bind(store);
  store.putBackupContents = (name, stream) => {
    if (typeof stream === 'object' && 'once' in stream)
      stream.once('end', () => timeline.mark('tarball stream read to its end'));
    return put(name, stream);
  };
}

/**
 * A Skiff backup of the namespaces' ConfigMaps and Secrets, timed from planning to the uploaded
 * metadata: what a user waits for. As the server does, the location is validated again while
 * the backup is planned. The backup is deleted afterwards, untimed.
 */
async function backUp(nss: string[], timed: boolean): Promise<number> {
  if (!store) throw new Error('no store');
  const name = `bench-${Date.now()}`;
  const spec = { includedNamespaces: nss, includedResources: ['configmaps', 'secrets'] };
  if (timed) {
    start = performance.now();
    cpuStart = process.cpuUsage();
    startTimed();
  }
  const [plan] = await Promise.all([planBackupForCluster(cluster, spec), validateLocation(store)]);
  if (timed) timeline?.mark('planned and location checked');
  const backup: Backup = {
    apiVersion: 'velero.io/v1',
    kind: 'Backup',
    metadata: { name, namespace: 'velero' },
    spec,
    status: { phase: 'InProgress', startTimestamp: kubeTime(new Date()) },
  };
  const outcome = await runBackup({ cluster, store, clock: systemClock }, backup, plan);
  if (timed) await endTimed();
  await store.deleteBackup(name);
  if (outcome.phase !== 'Completed')
    throw new Error(`bench backup ended ${outcome.phase ?? '?'}: ${outcome.failureReason ?? ''}`);
  return outcome.progress?.itemsBackedUp ?? 0;
}

/** Ends the timed part: its wall and CPU time, and the profile when one is taken. */
async function endTimed(): Promise<void> {
  seconds = (performance.now() - start) / 1000;
  cpuSeconds = cpuSince(cpuStart);
  threads = threadCpuSince(threadsStart);
  gcOn = false;
  if (timeline && values.timeline) {
    timeline.mark('end');
    const lines = formatTimeline({ events: timeline.events(), marks: timeline.marks() });
    await writeFile(values.timeline, `${lines.join('\n')}\n`);
  }
  if (!profiler || !values.profile) return;
  const { profile } = await profiler.post('Profiler.stop');
  await writeFile(values.profile, JSON.stringify(profile));
  profiler.disconnect();
}

/** Starts the timeline and the GC count with the timed part. */
function startTimed(): void {
  threadsStart = threadCpuSeconds();
  timeline?.start();
  gc.clear();
  gcOn = true;
}

/** The in-process profiler, started just before the measured run: start-up is not in the profile. */
async function startProfile(): Promise<Session> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return session;
}

const run = (nss: string[], timed: boolean): Promise<number> =>
  values.mode === 'list'
    ? listOneAtATime(nss)
    : values.mode === 'list-parallel'
      ? listParallel(nss)
      : backUp(nss, timed);

// The server keeps one store per location, which its location controller validates
// periodically (LocationResolver), so a backup meets a client that has set itself up: its
// first request, ~35 ms of one-off work in a fresh process, is not part of a backup.
if (store) await validateLocation(store);
// --warm: a running server has compiled its code and opened its connections before most
// backups, which a fresh process has not (V8 compiling the backup's code took ~250 ms of CPU at
// 10,000 objects; one namespace's worth of warm-up was not enough for V8 to finish). Each mode
// then runs once over the same namespaces, untimed, and the second run is measured.
if (values.warm) await run(namespaces, false);
const profiler = values.profile ? await startProfile() : undefined;
start = performance.now();
cpuStart = process.cpuUsage();
startTimed();
const objects = await run(namespaces, true);
if (values.mode !== 'backup') await endTimed();
const gcs = Object.fromEntries([...gc].map(([kind, g]) => [kind, { count: g.count, ms: Math.round(g.ms) }]));
console.log(JSON.stringify({ mode: values.mode, objects, seconds, cpuSeconds, peakRss: rss.stop(), gc: gcs, threads }));
