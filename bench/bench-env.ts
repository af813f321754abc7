import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pMap from 'p-map';
import { Cluster, isNotFound, KubeClient, resourcePath, type KubeObject } from '../src/kube/index.ts';
import { backupStoreForLocation, type BackupStore } from '../src/storage/index.ts';
import { loadTestEnv, type TestEnv } from '../test/helpers/testenv.ts';

const root = join(import.meta.dirname, '..');

/** Starts (or reuses) the local environment; benchmarks run against the same real servers as the tests. */
export function benchEnv(): TestEnv {
  const res = spawnSync('bash', [join(root, 'scripts/testenv/up.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (res.status !== 0) throw new Error('the test environment did not start (scripts/testenv/up.sh failed)');
  return loadTestEnv();
}

export function benchCluster(env: TestEnv): Cluster {
  return new Cluster(KubeClient.fromKubeconfig({ kubeconfig: env.kubeconfig }));
}

const core = (resource: string): { group: string; version: string; resource: string } => ({
  group: '',
  version: 'v1',
  resource,
});

/** How `ensureObjects` creates: namespaces at a time, and a callback with each namespace's new objects. */
export interface EnsureOptions {
  /** Namespaces filled at once, each with 32 creates in flight (default 2). */
  namespaceConcurrency?: number;
  onCreated?: (objects: number) => void;
}

/**
 * N objects (half ConfigMaps, half Secrets, ~200-byte payloads) spread over `spread`
 * namespaces named `<prefix>-<i>`. Namespaces already holding some of the set are reused: each
 * records how many objects it holds, and only the missing ones are created, so a set can grow.
 */
export async function ensureObjects(
  cluster: Cluster,
  prefix: string,
  total: number,
  spread: number,
  opts: EnsureOptions = {},
): Promise<string[]> {
  const namespaces = Array.from({ length: spread }, (_, i) => `${prefix}-${i}`);
  const perNs = Math.ceil(total / spread);
  await pMap(
    namespaces,
    async (ns) => {
      const existing = await cluster.find(core('namespaces'), ns);
      const held = Number(existing?.metadata.annotations?.['skiff.dev/bench-objects'] ?? 0);
      if (held >= perNs) return;
      if (!existing)
        await cluster.create(core('namespaces'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
      const payload = 'x'.repeat(200);
      await pMap(
        Array.from({ length: perNs - held }, (_, i) => held + i),
        async (i) => {
          const obj: KubeObject =
            i % 2 === 0
              ? {
                  apiVersion: 'v1',
                  kind: 'ConfigMap',
                  metadata: { name: `cm-${i}`, namespace: ns, labels: { bench: 'yes' } },
                  data: { payload },
                }
              : {
                  apiVersion: 'v1',
                  kind: 'Secret',
                  metadata: { name: `secret-${i}`, namespace: ns, labels: { bench: 'yes' } },
                  stringData: { payload },
                };
          await cluster.create(core(i % 2 === 0 ? 'configmaps' : 'secrets'), obj).catch((err: unknown) => {
            if (!(err instanceof Error && err.message.includes('AlreadyExists'))) throw err;
          });
        },
        { concurrency: 32 },
      );
      await cluster.patch(core('namespaces'), { name: ns }, 'merge', {
        metadata: { annotations: { 'skiff.dev/bench-objects': String(perNs) } },
      });
      opts.onCreated?.(perNs - held);
    },
    { concurrency: opts.namespaceConcurrency ?? 2 },
  );
  return namespaces;
}

/**
 * Samples RSS so a run can report its peak (maxRSS of the process would include start-up):
 * this process's by default, or what `read` returns (e.g. a server's whole process tree).
 */
export function rssSampler(read: () => number = () => process.memoryUsage.rss(), everyMs = 20): { stop: () => number } {
  let peak = read();
  const t = setInterval(() => (peak = Math.max(peak, read())), everyMs);
  return {
    stop: () => {
      clearInterval(t);
      return Math.max(peak, read());
    },
  };
}

export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}

/** A BackupStore on the environment's MinIO bucket under `prefix`, as a BackupStorageLocation would give. */
export async function benchStore(env: TestEnv, prefix: string): Promise<BackupStore> {
  return backupStoreForLocation(
    {
      metadata: { namespace: 'velero' },
      spec: {
        provider: 'aws',
        objectStorage: { bucket: env.s3.bucket, prefix },
        config: { region: env.s3.region, s3Url: env.s3.endpoint, s3ForcePathStyle: 'true' },
        credential: { name: 'x', key: 'cloud' },
      },
    },
    {
      readSecretKey: () =>
        Promise.resolve(
          `[default]\naws_access_key_id=${env.s3.accessKeyId}\naws_secret_access_key=${env.s3.secretAccessKey}\n`,
        ),
    },
  );
}

/**
 * Deletes the namespaces and waits until they are gone. Their ConfigMaps and Secrets are
 * removed first with one DELETE of the collection each, so the namespace controller has
 * little left to do (it would otherwise delete thousands of objects with backoff between passes).
 */
export async function deleteNamespaces(cluster: Cluster, namespaces: string[], timeoutMs = 10 * 60_000): Promise<void> {
  await pMap(
    namespaces,
    async (ns) => {
      for (const resource of ['configmaps', 'secrets']) {
        await cluster.client
          .request({ method: 'DELETE', path: resourcePath(core(resource), ns) })
          .catch((err: unknown) => {
            if (!isNotFound(err)) throw err;
          });
      }
      await cluster.delete(core('namespaces'), ns);
    },
    { concurrency: 4 },
  );
  const deadline = Date.now() + timeoutMs;
  for (const ns of namespaces) {
    while ((await cluster.find(core('namespaces'), ns)) !== undefined) {
      if (Date.now() > deadline) throw new Error(`namespace ${ns} still exists after ${timeoutMs} ms`);
      await sleep(250);
    }
  }
}

/**
 * CPU seconds (user + system) used so far by the environment's servers: every process whose
 * command line names the environment's directory (etcd, kube-apiserver, MinIO, the controllers).
 * Read before and after a run, it gives the server-side cost of what the run asked for, which
 * load from other processes distorts less than wall time. Linux only (/proc); 0 elsewhere.
 */
export function environmentCpuSeconds(runDir: string): number {
  return Object.values(environmentCpuByProcess(runDir)).reduce((a, b) => a + b, 0);
}

/** `environmentCpuSeconds` by process name (kube-apiserver, etcd, minio, ...), to tell which server a run costs. */
export function environmentCpuByProcess(runDir: string): Record<string, number> {
  const out: Record<string, number> = {};
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return out;
  }
  for (const pid of pids) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(runDir)) continue;
      // Fields after the command name in parentheses; utime and stime are the 14th and 15th.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out[name] = (out[name] ?? 0) + (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

/**
 * Waits until the environment's servers are nearly idle: under `maxCores` of CPU over a
 * half-second window, for at most `limitMs`. Why: a measured run that starts while the servers
 * still work for something else (an earlier bench's namespaces being deleted, the controllers
 * catching up on 10,000 new objects) pays for that work, and which side of a pair it hits varies.
 * Returns the seconds waited and the servers' last rate (in cores).
 */
export async function waitForQuietServers(
  runDir: string,
  { maxCores = 0.25, limitMs = 60_000 }: { maxCores?: number; limitMs?: number } = {},
): Promise<{ waitedSeconds: number; cores: number }> {
  const windowMs = 500;
  const start = performance.now();
  for (;;) {
    const before = environmentCpuSeconds(runDir);
    await sleep(windowMs);
    const cores = (environmentCpuSeconds(runDir) - before) / (windowMs / 1000);
    const waitedSeconds = (performance.now() - start) / 1000;
    if (cores < maxCores || waitedSeconds * 1000 >= limitMs) return { waitedSeconds, cores };
  }
}

/** USER_HZ: 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * CPU seconds (user + system) of this process's threads so far, summed by kind: the main thread
 * (`main`), V8's helper threads (`v8`: mostly garbage collection, some compiling), libuv's
 * thread pool (`pool`: zlib, fs) and the rest (`other`: inspector, signal and I/O threads).
 * From /proc/self/task; empty where /proc is absent.
 */
export function threadCpuSeconds(): Record<string, number> {
  const out: Record<string, number> = {};
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return out;
  }
  for (const tid of tids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    const open = stat.indexOf('(');
    const close = stat.lastIndexOf(')');
    const name = stat.slice(open + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    const seconds = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
    const kind =
      tid === String(process.pid)
        ? 'main'
        : name.startsWith('V8') || name.startsWith('DelayedTask')
          ? 'v8'
          : name.startsWith('libuv')
            ? 'pool'
            : 'other';
    out[kind] = (out[kind] ?? 0) + seconds;
  }
  return out;
}

/** The CPU of each kind of thread since `from` (threadCpuSeconds), rounded to 10 ms. */
export function threadCpuSince(from: Record<string, number>): Record<string, number> {
  const now = threadCpuSeconds();
  return Object.fromEntries(Object.entries(now).map(([k, v]) => [k, Math.round((v - (from[k] ?? 0)) * 100) / 100]));
}
