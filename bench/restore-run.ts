/**
 * One measured run, in its own process so its memory is its own:
 *   raw     — a parallel CREATE of the backed-up namespaces, ConfigMaps and Secrets (bodies read
 *             from `--objects-file` before the clock starts), `--concurrency` in flight
 *   raw-owned — the same CREATE, each followed by the merge patch that puts the object's backed-up
 *             `managedFields` back (a create gives every field to its own manager): the two
 *             requests any restore that keeps field owners sends per object, Velero's included
 *   restore — a Skiff restore (`runRestore`) of `--backup`, timed from start to the uploaded results
 * The namespaces are gone when either starts. Prints one JSON line:
 * {mode, objects, seconds, peakRss, phases?}.
 *
 * `--warm-mapping-file F`: before the timed run, the same mode runs once untimed on the objects of
 * the set's first namespace, written into F's target for it, as a running server has compiled its
 * code before the restore it is asked for. Both modes warm up alike (a tenth of the set at the
 * default spread).
 */
import { readFile } from 'node:fs/promises';
import { constants as perfConstants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pMap from 'p-map';
import type { Restore } from '../src/api/index.ts';
import type { KubeObject, ResourceRef } from '../src/kube/index.ts';
import { runRestore } from '../src/restore/index.ts';
import { systemClock } from '../src/util/clock.ts';
import { validateLocation } from '../src/storage/index.ts';
import { loadTestEnv } from '../test/helpers/testenv.ts';
import { benchCluster, benchStore, rssSampler, threadCpuSeconds, threadCpuSince } from './bench-env.ts';

const { values } = parseArgs({
  options: {
    mode: { type: 'string' },
    'objects-file': { type: 'string' },
    backup: { type: 'string' },
    prefix: { type: 'string' },
    concurrency: { type: 'string' },
    /** JSON map of source → target namespace: both modes write into the targets. */
    'mapping-file': { type: 'string' },
    /** The mapping of an untimed warm-up run first (see above). */
    'warm-mapping-file': { type: 'string' },
  },
});
const env = loadTestEnv();
const cluster = benchCluster(env);
const concurrency = values.concurrency ? Number(values.concurrency) : undefined;
async function readMapping(file: string | undefined): Promise<Record<string, string> | undefined> {
  return file ? (JSON.parse(await readFile(file, 'utf8')) as Record<string, string>) : undefined;
}
const mapping = await readMapping(values['mapping-file']);
const warmMapping = await readMapping(values['warm-mapping-file']);

/** The object as it is created in its mapped namespace (raw mode's side of `namespaceMapping`). */
function mapped(o: KubeObject, mapping: Record<string, string> | undefined): KubeObject {
  if (!mapping) return o;
  if (o.kind === 'Namespace') {
    // The API server sets this label from the name; a stale one is rejected.
    const { 'kubernetes.io/metadata.name': _stale, ...labels } = o.metadata.labels ?? {};
    return { ...o, metadata: { ...o.metadata, name: mapping[o.metadata.name ?? ''], labels } };
  }
  return { ...o, metadata: { ...o.metadata, namespace: mapping[o.metadata.namespace ?? ''] } };
}

const core = (resource: string): ResourceRef => ({ group: '', version: 'v1', resource });
const RESOURCE_OF_KIND: Record<string, string> = {
  Namespace: 'namespaces',
  ConfigMap: 'configmaps',
  Secret: 'secrets',
};

interface Measured {
  objects: number;
  seconds: number;
  /** CPU seconds (user + system) this process spent in the timed part. */
  cpuSeconds: number;
  /** CPU seconds of the timed part by thread kind (bench-env.ts threadCpuSeconds: main, v8, pool, other). */
  threads: Record<string, number>;
  /** Seconds spent in each part of the run (restore only). */
  phases?: Record<string, number>;
  /** The timed part's creates, from `timeline` (both modes). */
  window?: CreateWindow;
  /** Garbage collection in the timed part (both modes), from `gcTime`. */
  gc?: GcTime;
}

interface GcTime {
  /** Milliseconds of main-thread pause in young-generation collections (scavenges). */
  minorMs: number;
  minor: number;
  /** Milliseconds of main-thread pause in full (mark-compact) collections. */
  majorMs: number;
  major: number;
  /** Milliseconds of incremental marking steps and weak callbacks. */
  otherMs: number;
  /** Heap used at the end of the timed part, before any collection it may trigger (MiB). */
  heapUsedMiB: number;
}

/**
 * Main-thread GC pauses of the timed part, by kind: a process holding more live data collects
 * more under the server's small young generation and heap growth (ADR 0004), so this tells
 * whether one mode pays more for collection than the other.
 */
const gcTime = (() => {
  let t: GcTime = { minorMs: 0, minor: 0, majorMs: 0, major: 0, otherMs: 0, heapUsedMiB: 0 };
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries() as (PerformanceEntry & { detail?: { kind?: number } })[]) {
      const kind = e.detail?.kind;
      if (kind === perfConstants.NODE_PERFORMANCE_GC_MINOR) {
        t.minor++;
        t.minorMs += e.duration;
      } else if (kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) {
        t.major++;
        t.majorMs += e.duration;
      } else t.otherMs += e.duration;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    reset(): void {
      t = { minorMs: 0, minor: 0, majorMs: 0, major: 0, otherMs: 0, heapUsedMiB: 0 };
    },
    /** The figures so far; the observer reports a little late, so read after a turn of the loop. */
    async read(): Promise<GcTime> {
      const heapUsedMiB = process.memoryUsage().heapUsed / 1024 / 1024;
      await new Promise((resolve) => setTimeout(resolve, 50));
      const round = (ms: number): number => Math.round(ms);
      return {
        ...t,
        minorMs: round(t.minorMs),
        majorMs: round(t.majorMs),
        otherMs: round(t.otherMs),
        heapUsedMiB: Math.round(heapUsedMiB),
      };
    },
  };
})();

interface CreateWindow {
  /** Seconds from the start to the first create sent. */
  firstCreate: number;
  /** Seconds from the last create's answer to the end. */
  afterLastCreate: number;
  /** Creates in flight on average between the first one sent and the last one answered. */
  meanInFlight: number;
}

/**
 * Counts this process's creates in flight over time (both modes go through `cluster`), to tell
 * whether a run keeps its window full and how long it spends before its first create and after
 * its last one.
 */
const timeline = (() => {
  let inFlight = 0;
  let since = 0;
  let area = 0;
  let first: number | undefined;
  let last = 0;
  const change = (by: number): void => {
    const now = performance.now();
    area += inFlight * (now - since);
    since = now;
    inFlight += by;
    if (by > 0) first ??= now;
    else last = now;
  };
  const counted =
    <A extends unknown[], R>(f: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      change(1);
      try {
        return await f(...args);
      } finally {
        change(-1);
      }
    };
  cluster.create = counted(cluster.create.bind(cluster));
  cluster.createOnly = counted(cluster.createOnly.bind(cluster));
  return {
    reset(): void {
      area = 0;
      first = undefined;
      since = performance.now();
    },
    window(start: number, end: number): CreateWindow {
      const from = first ?? end;
      return {
        firstCreate: (from - start) / 1000,
        afterLastCreate: (end - last) / 1000,
        meanInFlight: last > from ? area / (last - from) : 0,
      };
    },
  };
})();

/** Namespaces first (their objects need them), then everything else, each step `concurrency` wide. */
async function rawCreate(): Promise<Measured> {
  const all = JSON.parse(await readFile(values['objects-file'] ?? '', 'utf8')) as KubeObject[];
  if (warmMapping) {
    const [first] = Object.keys(warmMapping);
    const inFirst = all.filter((o) => (o.kind === 'Namespace' ? o.metadata.name : o.metadata.namespace) === first);
    await createAll(inFirst.map((o) => mapped(o, warmMapping)));
  }
  const objects = all.map((o) => mapped(o, mapping));
  timeline.reset();
  gcTime.reset();
  const start = performance.now();
  const threadsStart = threadCpuSeconds();
  const cpu = process.cpuUsage();
  await createAll(objects);
  const end = performance.now();
  const cpuSeconds = cpuSince(cpu);
  const threads = threadCpuSince(threadsStart);
  return {
    objects: objects.length,
    seconds: (end - start) / 1000,
    cpuSeconds,
    threads,
    window: timeline.window(start, end),
    gc: await gcTime.read(),
  };
}

async function createAll(objects: KubeObject[]): Promise<void> {
  // The restore's own request path for creates (the answer is read to the end, never parsed) and for
  // its managedFields patch: a baseline on a costlier path would credit the restore with the difference.
  const create = async (o: KubeObject): Promise<void> => {
    const type = core(RESOURCE_OF_KIND[o.kind] ?? '');
    await cluster.createOnly(type, o);
    const managedFields = o.metadata.managedFields;
    if (values.mode !== 'raw-owned' || !managedFields?.length) return;
    const target = { name: o.metadata.name ?? '', namespace: o.metadata.namespace };
    await cluster.patchOnly(type, target, 'merge', { metadata: { managedFields } });
  };
  await pMap(
    objects.filter((o) => o.kind === 'Namespace'),
    create,
    { concurrency: concurrency ?? 1 },
  );
  await pMap(
    objects.filter((o) => o.kind !== 'Namespace'),
    create,
    { concurrency: concurrency ?? 1 },
  );
}

function restoreOf(name: string, spec: Partial<Restore['spec']>): Restore {
  return {
    apiVersion: 'velero.io/v1',
    kind: 'Restore',
    metadata: { name, namespace: 'velero' },
    spec: { backupName: values.backup ?? '', ...spec },
  };
}

async function skiffRestore(): Promise<Measured> {
  const store = await benchStore(env, values.prefix ?? 'bench');
  // The server keeps one store per location, which its location controller validates
  // periodically and the restore controller again before each restore (restore-source.ts), so
  // a restore meets an S3 client that has set itself up, as bench:backup's runs do
  // (backup-run.ts): its first request's one-off work is not part of a restore.
  await validateLocation(store);
  const depsBase = { cluster, store, clock: systemClock, ...(concurrency !== undefined ? { concurrency } : {}) };
  if (warmMapping) {
    const [first = ''] = Object.keys(warmMapping);
    const warm = `rbench-warm-${Date.now()}`;
    const spec = { includedNamespaces: [first], namespaceMapping: { [first]: warmMapping[first] ?? first } };
    const outcome = await runRestore(depsBase, restoreOf(warm, spec));
    await store.deleteRestore(warm);
    if (outcome.phase !== 'Completed') throw new Error(`bench warm-up restore ended ${outcome.phase ?? '?'}`);
  }
  const name = `rbench-${Date.now()}`;
  const restore = restoreOf(name, mapping ? { namespaceMapping: mapping } : {});
  // The first progress report comes when the plan is ready, the last after the last item.
  let applyStart: number | undefined;
  let applyEnd = 0;
  timeline.reset();
  gcTime.reset();
  const start = performance.now();
  const threadsStart = threadCpuSeconds();
  const cpu = process.cpuUsage();
  const outcome = await runRestore(depsBase, restore, () => {
    applyStart ??= performance.now();
    applyEnd = performance.now();
  });
  const end = performance.now();
  const cpuSeconds = cpuSince(cpu);
  const threads = threadCpuSince(threadsStart);
  const gc = await gcTime.read();
  await store.deleteRestore(name);
  if (outcome.phase !== 'Completed')
    throw new Error(`bench restore ended ${outcome.phase ?? '?'}: ${outcome.failureReason ?? ''}`);
  const planned = applyStart ?? end;
  return {
    objects: outcome.progress?.itemsRestored ?? 0,
    seconds: (end - start) / 1000,
    cpuSeconds,
    threads,
    window: timeline.window(start, end),
    gc,
    phases: {
      'read+plan': (planned - start) / 1000,
      apply: (applyEnd - planned) / 1000,
      'upload results': (end - Math.max(applyEnd, planned)) / 1000,
    },
  };
}

function cpuSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

const rss = rssSampler();
const allocations = await allocationSampler(process.env.SKIFF_BENCH_ALLOC_DIR);
const measured = values.mode === 'restore' ? await skiffRestore() : await rawCreate();
await allocations?.stop(values.mode ?? 'run');
console.log(JSON.stringify({ mode: values.mode, ...measured, peakRss: rss.stop() }));

/**
 * `SKIFF_BENCH_ALLOC_DIR=DIR`: a V8 sampling heap profile of the whole run, collected objects
 * included, written to DIR as `<mode>-<pid>.heapprofile` (open in Chrome's DevTools): what each
 * mode allocates, which drives how often it collects.
 */
async function allocationSampler(
  dir: string | undefined,
): Promise<{ stop: (tag: string) => Promise<void> } | undefined> {
  if (!dir) return undefined;
  const { Session } = await import('node:inspector/promises');
  const { writeFile } = await import('node:fs/promises');
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 16384,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  return {
    async stop(tag: string): Promise<void> {
      const { profile } = await session.post('HeapProfiler.stopSampling');
      await writeFile(`${dir}/${tag}-${process.pid}.heapprofile`, JSON.stringify(profile));
      session.disconnect();
    },
  };
}
