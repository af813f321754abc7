/**
 * `npm run bench:scale -- --objects 200000`
 * Backs up and restores a growing data set through a running `skiff server`, started as a user
 * starts it (`node bin/skiff.mjs server`, after `skiff install --no-server`), and samples the RSS
 * of the server's whole process tree every 200 ms. The sizes are 10,000, 50,000 and 200,000
 * objects, in that order, up to `--objects` (which is run last when it is none of them).
 *
 * The data set: ConfigMaps and Secrets over 100 namespaces, plus 2,000 namespaces holding one
 * ConfigMap and one Secret each (fewer below 10,000 objects); those count in the size. Each size
 * adds to the objects the previous one made.
 *
 * Each size: a Backup of every namespace of the set, then a Restore of it with a namespaceMapping
 * to namespaces of that size's own (`r<size>-<namespace>`, absent before it), then a check that
 * every object is back and identical, streamed with paginated LISTs. The set itself stays, to grow
 * and to compare against. The restored copies are deleted only at the end, and not waited for:
 * the namespace controller took ~350 s to delete 500 namespaces on the development machine, and
 * deleting between sizes would either add that wait or run it beside the next measurement. Fresh
 * target namespaces make every restore start from an empty target, as deleting the set and
 * restoring it in place would, without deleting 2,100 namespaces before each restore.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import pMap from 'p-map';
import { Kinds, resourceRef, type Backup, type BackupStorageLocation, type Restore } from '../src/api/index.ts';
import type { Cluster, ResourceType } from '../src/kube/index.ts';
import { buildCli } from '../scripts/build.ts';
import { restorableView } from '../test/helpers/restore-server.ts';
import { treeRss } from '../test/helpers/process-tree.ts';
import { benchCluster, benchEnv, deleteNamespaces, ensureObjects, mib, rssSampler } from './bench-env.ts';

const DEFAULT_SIZES = [10_000, 50_000, 200_000];
const BIG_NAMESPACES = 100;
const SMALL_NAMESPACES = 2000;
const PREFIX = 'skscale';

const { values } = parseArgs({ options: { objects: { type: 'string', default: '200000' } } });
const largest = Number(values.objects);
if (!Number.isInteger(largest) || largest < 1000) throw new Error(`--objects must be a whole number >= 1000`);
const sizes = [...DEFAULT_SIZES.filter((s) => s < largest), largest];
// Two objects per small namespace, and no more than 40 % of the smallest size in them.
const smallNamespaces = Math.min(SMALL_NAMESPACES, Math.floor((sizes[0] ?? largest) * 0.2));

const root = join(import.meta.dirname, '..');
const env = benchEnv();
const cluster = benchCluster(env);
const work = mkdtempSync(join(tmpdir(), 'skiff-scale-'));
let completed = false;
// Its own per run: Backups and Restores it leaves behind carry finalizers only a server removes.
const serverNs = `${PREFIX}-server-${Date.now().toString(36)}`;

function core(resource: string, kind: string): ResourceType {
  return { group: '', version: 'v1', resource, kind, namespaced: true, verbs: [] };
}
const TYPES = [core('configmaps', 'ConfigMap'), core('secrets', 'Secret')];
const NAMESPACES = { group: '', version: 'v1', resource: 'namespaces' };

function elapsed(start: number): string {
  return `${((performance.now() - start) / 1000).toFixed(0)} s`;
}

/** Runs `skiff ...` as a user would; fails with its output when it exits non-zero. */
function skiffCli(args: string[]): void {
  const res = spawnSync(process.execPath, [join(root, 'bin', 'skiff.mjs'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, KUBECONFIG: env.kubeconfig },
  });
  if (res.status !== 0) throw new Error(`skiff ${args.join(' ')} exited ${res.status}: ${res.stdout}${res.stderr}`);
}

/** The set's ConfigMaps and Secrets at `size`: the large namespaces hold the rest evenly. */
function objectsAt(size: number): number {
  return Math.ceil((size - smallNamespaces * 2) / BIG_NAMESPACES) * BIG_NAMESPACES + smallNamespaces * 2;
}

/** Grows the data set to `size` objects; returns its namespaces. */
async function growTo(size: number): Promise<string[]> {
  const start = performance.now();
  let created = 0;
  let shown = 0;
  const onCreated = (n: number): void => {
    created += n;
    if (created - shown >= 5000) {
      shown = created;
      console.log(`  created ${created} objects (${elapsed(start)})`);
    }
  };
  const small = await ensureObjects(cluster, `${PREFIX}-small`, smallNamespaces * 2, smallNamespaces, {
    namespaceConcurrency: 16,
    onCreated,
  });
  const big = await ensureObjects(cluster, `${PREFIX}-big`, size - smallNamespaces * 2, BIG_NAMESPACES, {
    namespaceConcurrency: 1,
    onCreated,
  });
  console.log(`  data set at ${size} objects: ${created} created now (${elapsed(start)})`);
  return [...big, ...small];
}

/** `skiff install --no-server` into the server's namespace, then `node bin/skiff.mjs server`. */
async function startServer(): Promise<{ pid: number; stop: () => Promise<void> }> {
  const creds = join(work, 'creds');
  writeFileSync(
    creds,
    `[default]\naws_access_key_id=${env.s3.accessKeyId}\naws_secret_access_key=${env.s3.secretAccessKey}\n`,
  );
  skiffCli([
    ...['install', '-n', serverNs, '--provider', 'aws', '--bucket', env.s3.bucket, '--prefix', `scale-${Date.now()}`],
    ...['--secret-file', creds, '--use-volume-snapshots=false', '--no-server'],
    ...['--backup-location-config', `region=${env.s3.region},s3ForcePathStyle=true,s3Url=${env.s3.endpoint}`],
  ]);
  const log = createWriteStream(join(work, 'server.log'));
  const child = spawn(
    process.execPath,
    [join(root, 'bin', 'skiff.mjs'), 'server', '-n', serverNs, '--metrics-address', ''],
    {
      env: { ...process.env, KUBECONFIG: env.kubeconfig },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (;;) {
    if (child.exitCode !== null) throw new Error(`skiff server exited ${child.exitCode}; see ${log.path.toString()}`);
    const bsl = (await cluster.find(resourceRef(Kinds.BackupStorageLocation), 'default', serverNs)) as
      BackupStorageLocation | undefined;
    if (bsl?.status?.phase === 'Available') break;
    await sleep(200);
  }
  return {
    pid: child.pid ?? 0,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

const TERMINAL = new Set(['Completed', 'PartiallyFailed', 'Failed', 'FailedValidation']);

/** Creates `obj` (a Backup or a Restore) and polls it every 100 ms until the server has finished it. */
async function runToEnd<T extends Backup | Restore>(kind: 'Backup' | 'Restore', obj: T): Promise<T> {
  const ref = resourceRef(kind === 'Backup' ? Kinds.Backup : Kinds.Restore);
  await cluster.create(ref, obj);
  for (;;) {
    const now = (await cluster.get(ref, obj.metadata.name ?? '', serverNs)) as T;
    if (TERMINAL.has(now.status?.phase ?? '')) return now;
    await sleep(100);
  }
}

interface Measured {
  items: number;
  seconds: number;
  peakRss: number;
}

async function measured<T extends Backup | Restore>(
  serverPid: number,
  kind: 'Backup' | 'Restore',
  obj: T,
  items: (done: T) => number,
): Promise<Measured> {
  const rss = rssSampler(() => treeRss(serverPid), 200);
  const start = performance.now();
  const done = await runToEnd(kind, obj);
  const seconds = (performance.now() - start) / 1000;
  const peakRss = rss.stop();
  if (done.status?.phase !== 'Completed')
    throw new Error(
      `${kind} ${obj.metadata.name ?? ''} ended ${done.status?.phase ?? '?'}: ${JSON.stringify(done.status)}`,
    );
  return { items: items(done), seconds, peakRss };
}

/**
 * Every ConfigMap and Secret of the set is in its mapped namespace, identical but for what the
 * API server sets. Pages of both namespaces are read in step (a LIST returns names in the same
 * order), so nothing holds more than a page of each. Returns how many objects matched.
 */
async function verify(namespaces: string[], mapped: (ns: string) => string): Promise<number> {
  let matched = 0;
  await pMap(
    namespaces,
    async (ns) => {
      for (const type of TYPES) {
        const opts = { labelSelector: 'bench=yes', pageSize: 500 };
        const restored = cluster.list(type, { ...opts, namespace: mapped(ns) });
        for await (const original of cluster.list(type, { ...opts, namespace: ns })) {
          const copy = await restored.next();
          const name = `${type.resource} ${ns}/${original.metadata.name ?? ''}`;
          if (copy.done) throw new Error(`${name} was not restored`);
          const expected = restorableView(original);
          expected.metadata.namespace = mapped(ns);
          if (!isDeepStrictEqual(restorableView(copy.value), expected))
            throw new Error(
              `${name} came back different:\n${JSON.stringify(copy.value)}\nexpected\n${JSON.stringify(expected)}`,
            );
          matched++;
        }
        const extra = await restored.next();
        if (!extra.done)
          throw new Error(`${mapped(ns)} holds ${extra.value.metadata.name ?? ''}, which was never created`);
      }
    },
    { concurrency: 8 },
  );
  return matched;
}

async function existing(c: Cluster, namespaces: string[]): Promise<string[]> {
  const found = await pMap(namespaces, async (ns) => ((await c.find(NAMESPACES, ns)) ? ns : undefined), {
    concurrency: 16,
  });
  return found.filter((ns): ns is string => ns !== undefined);
}

interface SizeResult {
  size: number;
  backup: Measured;
  restore: Measured;
  verified: number;
}

console.log(
  `sizes: ${sizes.join(', ')}; ${smallNamespaces} small namespaces of 2 objects, ${BIG_NAMESPACES} large ones`,
);
// As a user would after `npm run build`: bin/skiff.mjs runs the bundle, not tsx.
await buildCli();
const server = await startServer();
console.log(`skiff server running (pid ${server.pid}); its log: ${join(work, 'server.log')}`);
const results: SizeResult[] = [];
const restoredCopies: string[] = [];
try {
  await sleep(5000); // let start-up settle: informers synced, first validation done
  const idle = treeRss(server.pid);
  console.log(`idle server tree RSS: ${mib(idle)}`);
  for (const size of sizes) {
    console.log(`\n== ${size} objects`);
    const namespaces = await growTo(size);
    const mapped = (ns: string): string => `r${size}-${ns}`;
    const targets = namespaces.map(mapped);
    await deleteNamespaces(cluster, await existing(cluster, targets));
    const name = `scale-${size}-${Date.now()}`;
    const backup = await measured<Backup>(
      server.pid,
      'Backup',
      {
        apiVersion: 'velero.io/v1',
        kind: 'Backup',
        metadata: { name, namespace: serverNs },
        spec: {
          includedNamespaces: [`${PREFIX}-big-*`, `${PREFIX}-small-*`],
          includedResources: ['namespaces', 'configmaps', 'secrets'],
        },
      },
      (b) => b.status?.progress?.itemsBackedUp ?? 0,
    );
    console.log(
      `  backup: ${backup.items} items in ${backup.seconds.toFixed(1)} s, peak tree RSS ${mib(backup.peakRss)}`,
    );
    const restore = await measured<Restore>(
      server.pid,
      'Restore',
      {
        apiVersion: 'velero.io/v1',
        kind: 'Restore',
        metadata: { name, namespace: serverNs },
        spec: { backupName: name, namespaceMapping: Object.fromEntries(namespaces.map((ns) => [ns, mapped(ns)])) },
      },
      (r) => r.status?.progress?.itemsRestored ?? 0,
    );
    console.log(
      `  restore: ${restore.items} items in ${restore.seconds.toFixed(1)} s, peak tree RSS ${mib(restore.peakRss)}`,
    );
    const start = performance.now();
    const verified = await verify(namespaces, mapped);
    if (verified > objectsAt(size)) {
      // The set only grows: a kept environment may still hold a larger one from an earlier run.
      throw new Error(
        `${verified} objects verified where the ${size}-object set has ${objectsAt(size)}: the environment holds a larger set from an earlier run; start a fresh one (npm run env:down && npm run env:up)`,
      );
    }
    if (verified !== objectsAt(size)) throw new Error(`${verified} objects verified, ${objectsAt(size)} expected`);
    console.log(`  verified: all ${verified} ConfigMaps and Secrets are back and identical (${elapsed(start)})`);
    results.push({ size, backup, restore, verified });
    restoredCopies.push(...targets);
  }
  console.log(`\nidle server tree RSS before the first backup: ${mib(idle)}`);
  console.log('objects | backup obj/s | backup peak tree RSS | restore obj/s | restore peak tree RSS');
  for (const r of results) {
    console.log(
      `${r.size} | ${(r.backup.items / r.backup.seconds).toFixed(0)} (${r.backup.items} items, ${r.backup.seconds.toFixed(1)} s) | ${mib(r.backup.peakRss)} | ${(r.restore.items / r.restore.seconds).toFixed(0)} (${r.restore.items} items, ${r.restore.seconds.toFixed(1)} s) | ${mib(r.restore.peakRss)}`,
    );
  }
  console.log(
    'items count namespaces and their kube-root-ca.crt ConfigMaps too; every size was verified object by object.',
  );
  completed = true;
} finally {
  await server.stop();
  // The server's log is what explains a failed run; after a good one nothing in it (its S3
  // credentials included) is worth leaving in the temp folder.
  if (completed) rmSync(work, { recursive: true, force: true });
  else console.log(`the server's log is kept: ${join(work, 'server.log')}`);
  // Deleted in the background by the namespace controller; a later run's targets are checked first.
  await pMap(restoredCopies, (ns) => cluster.delete(NAMESPACES, ns), { concurrency: 16 });
  console.log(`deleting the ${restoredCopies.length} restored namespaces (not waited for)`);
}
