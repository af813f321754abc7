/**
 * One measured run, in its own process so its memory is its own:
 *   raw     — a parallel CREATE of the backed-up namespaces, ConfigMaps and Secrets (bodies read
 *             from `--objects-file` before the clock starts), `--concurrency` in flight
 *   restore — a Skiff restore (`runRestore`) of `--backup`, timed from start to the uploaded results
 * The namespaces are gone when either starts. Prints one JSON line:
 * {mode, objects, seconds, peakRss, phases?}.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import pMap from 'p-map';
import type { Restore } from '../src/api/index.ts';
import type { KubeObject, ResourceRef } from '../src/kube/index.ts';
import { runRestore } from '../src/restore/index.ts';
import { systemClock } from '../src/util/clock.ts';
import { loadTestEnv } from '../test/helpers/testenv.ts';
import { benchCluster, benchStore, rssSampler } from './bench-env.ts';

const { values } = parseArgs({
  options: {
    mode: { type: 'string' },
    'objects-file': { type: 'string' },
    backup: { type: 'string' },
    prefix: { type: 'string' },
    concurrency: { type: 'string' },
    /** JSON map of source → target namespace: both modes write into the targets. */
    'mapping-file': { type: 'string' },
  },
});
const env = loadTestEnv();
const cluster = benchCluster(env);
const concurrency = values.concurrency ? Number(values.concurrency) : undefined;
const mapping = values['mapping-file']
  ? (JSON.parse(await readFile(values['mapping-file'], 'utf8')) as Record<string, string>)
  : undefined;

/** The object as it is created in its mapped namespace (raw mode's side of `namespaceMapping`). */
function mapped(o: KubeObject): KubeObject {
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
  /** Seconds spent in each part of the run (restore only). */
  phases?: Record<string, number>;
}

/** Namespaces first (their objects need them), then everything else, each step `concurrency` wide. */
async function rawCreate(): Promise<Measured> {
  const objects = (JSON.parse(await readFile(values['objects-file'] ?? '', 'utf8')) as KubeObject[]).map(mapped);
  // The restore's own request path for creates (the answer is read to the end, never parsed): a baseline on a
  // costlier path would credit the restore with the difference.
  const create = (o: KubeObject): Promise<void> => cluster.createOnly(core(RESOURCE_OF_KIND[o.kind] ?? ''), o);
  const start = performance.now();
  const cpu = process.cpuUsage();
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
  return { objects: objects.length, seconds: (performance.now() - start) / 1000, cpuSeconds: cpuSince(cpu) };
}

async function skiffRestore(): Promise<Measured> {
  const store = await benchStore(env, values.prefix ?? 'bench');
  const name = `rbench-${Date.now()}`;
  const restore: Restore = {
    apiVersion: 'velero.io/v1',
    kind: 'Restore',
    metadata: { name, namespace: 'velero' },
    spec: { backupName: values.backup ?? '', ...(mapping ? { namespaceMapping: mapping } : {}) },
  };
  // The first progress report comes when the plan is ready, the last after the last item.
  let applyStart: number | undefined;
  let applyEnd = 0;
  const start = performance.now();
  const cpu = process.cpuUsage();
  const outcome = await runRestore(
    { cluster, store, clock: systemClock, ...(concurrency !== undefined ? { concurrency } : {}) },
    restore,
    () => {
      applyStart ??= performance.now();
      applyEnd = performance.now();
    },
  );
  const end = performance.now();
  const cpuSeconds = cpuSince(cpu);
  await store.deleteRestore(name);
  if (outcome.phase !== 'Completed')
    throw new Error(`bench restore ended ${outcome.phase ?? '?'}: ${outcome.failureReason ?? ''}`);
  const planned = applyStart ?? end;
  return {
    objects: outcome.progress?.itemsRestored ?? 0,
    seconds: (end - start) / 1000,
    cpuSeconds,
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
const measured = values.mode === 'raw' ? await rawCreate() : await skiffRestore();
console.log(JSON.stringify({ mode: values.mode, ...measured, peakRss: rss.stop() }));
