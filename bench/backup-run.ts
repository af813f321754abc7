/**
 * One measured run, in its own process so its memory is its own:
 *   list          — a bare paginated LIST of configmaps and secrets in the bench namespaces, one
 *                   (type, namespace) at a time
 *   list-parallel — the same LISTs, as many at a time as a backup runs (LIST_CONCURRENCY)
 *   backup        — a Skiff backup of the same objects to the MinIO location
 * Prints one JSON line: {mode, objects, seconds, peakRss}.
 */
import { parseArgs } from 'node:util';
import { planBackupForCluster } from '../src/backup/plan-for-cluster.ts';
import { LIST_CONCURRENCY } from '../src/backup/collect/collect-items.ts';
import { runBackup } from '../src/backup/run-backup.ts';
import { mergeBounded } from '../src/util/async.ts';
import type { Backup } from '../src/api/index.ts';
import { backupStoreForLocation, validateLocation } from '../src/storage/index.ts';
import { kubeTime, systemClock } from '../src/util/clock.ts';
import { benchCluster, rssSampler } from './bench-env.ts';
import { loadTestEnv } from '../test/helpers/testenv.ts';

const { values } = parseArgs({
  options: { mode: { type: 'string' }, namespaces: { type: 'string' }, prefix: { type: 'string' } },
});
const env = loadTestEnv();
const cluster = benchCluster(env);
const namespaces = (values.namespaces ?? '').split(',');
const types = [
  { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true, verbs: [] },
  { group: '', version: 'v1', resource: 'secrets', kind: 'Secret', namespaced: true, verbs: [] },
];

let cleanup = (): Promise<void> => Promise.resolve();
const rss = rssSampler();
let start = performance.now();
let objects = 0;
if (values.mode === 'list') {
  for (const ns of namespaces)
    for (const t of types) for await (const _ of cluster.list(t, { namespace: ns, pageSize: 500 })) objects++;
} else if (values.mode === 'list-parallel') {
  // The units a backup lists: one per (type, namespace), LIST_CONCURRENCY of them at once.
  const units = types.flatMap((t) =>
    namespaces.map((ns) => () => cluster.listPages(t, { namespace: ns, pageSize: 500 })),
  );
  for await (const page of mergeBounded(units, LIST_CONCURRENCY)) objects += page.length;
} else {
  const name = `bench-${Date.now()}`;
  const store = await backupStoreForLocation(
    {
      metadata: { namespace: 'velero' },
      spec: {
        provider: 'aws',
        objectStorage: { bucket: env.s3.bucket, prefix: values.prefix ?? 'bench' },
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
  const spec = { includedNamespaces: namespaces, includedResources: ['configmaps', 'secrets'] };
  // The server keeps one store per location, which its location controller validates
  // periodically (LocationResolver), so a backup meets a client that has set itself up: its
  // first request, ~35 ms of one-off work in a fresh process, is not part of a backup.
  await validateLocation(store);
  // Timed from planning to the uploaded metadata: what a user waits for. As the server does,
  // the location is validated again while the backup is planned.
  start = performance.now();
  const [plan] = await Promise.all([planBackupForCluster(cluster, spec), validateLocation(store)]);
  const backup: Backup = {
    apiVersion: 'velero.io/v1',
    kind: 'Backup',
    metadata: { name, namespace: 'velero' },
    spec,
    status: { phase: 'InProgress', startTimestamp: kubeTime(new Date()) },
  };
  cleanup = () => store.deleteBackup(name);
  const outcome = await runBackup({ cluster, store, clock: systemClock }, backup, plan);
  if (outcome.phase !== 'Completed')
    throw new Error(`bench backup ended ${outcome.phase ?? '?'}: ${outcome.failureReason ?? ''}`);
  objects = outcome.progress?.itemsBackedUp ?? 0;
}
const seconds = (performance.now() - start) / 1000;
if (values.mode !== 'list') await cleanup();
console.log(JSON.stringify({ mode: values.mode, objects, seconds, peakRss: rss.stop() }));
