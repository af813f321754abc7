/**
 * `node --import tsx bench/restore-client.ts --backup NAME --prefix P [--mapping-file F] [--rounds 3]`
 * The restore's own client CPU, without its creates' round trips: a backup already in MinIO is
 * restored with reads (discovery, LISTs, the tarball) going to the environment and every write
 * answered at once in-process. What is left is what the restore adds to a raw CREATE's client CPU
 * (reading the backup, planning, logging, the resource list), minus the requests themselves, and
 * when its first create would have been sent (`firstCreate`, seconds from the start).
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { Restore } from '../src/api/index.ts';
import type { KubeObject, ResourceRef } from '../src/kube/index.ts';
import { runRestore } from '../src/restore/index.ts';
import type { RestoreTargetCluster } from '../src/restore/apply/target-cluster.ts';
import { planBackupForCluster } from '../src/backup/plan-for-cluster.ts';
import { runBackup } from '../src/backup/run-backup.ts';
import { systemClock } from '../src/util/clock.ts';
import { loadTestEnv } from '../test/helpers/testenv.ts';
import { benchCluster, benchStore } from './bench-env.ts';

const { values } = parseArgs({
  options: {
    backup: { type: 'string' },
    prefix: { type: 'string' },
    'mapping-file': { type: 'string' },
    rounds: { type: 'string', default: '3' },
  },
});
const env = loadTestEnv();
const cluster = benchCluster(env);
const store = await benchStore(env, values.prefix ?? 'bench');
if (!values.backup) {
  // A backup of the bench:restore set (its namespaces must exist), made once and kept.
  const namespaces = Array.from({ length: 10 }, (_, i) => `skiff-rbench-10000-${i}`);
  const spec = { includedNamespaces: namespaces, includedResources: ['namespaces', 'configmaps', 'secrets'] };
  const plan = await planBackupForCluster(cluster, spec);
  const name = `rclient-${Date.now()}`;
  const outcome = await runBackup(
    { cluster, store, clock: systemClock },
    {
      apiVersion: 'velero.io/v1',
      kind: 'Backup',
      metadata: { name, namespace: 'velero' },
      spec,
      status: { phase: 'InProgress' },
    },
    plan,
  );
  console.log(`backup ${name}: ${outcome.phase ?? '?'}`);
  values.backup = name;
}
const mapping = values['mapping-file']
  ? (JSON.parse(await readFile(values['mapping-file'], 'utf8')) as Record<string, string>)
  : undefined;
let bodyBytes = 0;
/** When the round's first write was sent (its time to first create). */
let firstWrite: number | undefined;
const writes: RestoreTargetCluster = {
  create: (_rt: ResourceRef, obj: KubeObject) => {
    firstWrite ??= performance.now();
    bodyBytes += JSON.stringify(obj).length;
    return Promise.resolve({ ...obj, status: { phase: 'Active' } });
  },
  createOnly: (_rt: ResourceRef, obj: KubeObject) => {
    firstWrite ??= performance.now();
    bodyBytes += JSON.stringify(obj).length;
    return Promise.resolve();
  },
  find: () => Promise.resolve(undefined),
  patch: (_rt, _t, _p, patch) => Promise.resolve(patch as KubeObject),
  patchOnly: () => Promise.resolve(),
};
for (let i = 0; i < Number(values.rounds); i++) {
  bodyBytes = 0;
  firstWrite = undefined;
  const restore: Restore = {
    apiVersion: 'velero.io/v1',
    kind: 'Restore',
    metadata: { name: `rclient-${Date.now()}`, namespace: 'velero' },
    spec: { backupName: values.backup ?? '', ...(mapping ? { namespaceMapping: mapping } : {}) },
  };
  const cpu = process.cpuUsage();
  const start = performance.now();
  const outcome = await runRestore({ cluster, store, clock: systemClock, writeCluster: writes as never }, restore);
  const used = process.cpuUsage(cpu);
  // Set by the writes above, which TypeScript's narrowing does not see.
  const sent = firstWrite as number | undefined;
  await store.deleteRestore(restore.metadata.name ?? '');
  console.log(
    JSON.stringify({
      phase: outcome.phase,
      items: outcome.progress?.itemsRestored,
      seconds: +((performance.now() - start) / 1000).toFixed(2),
      cpuSeconds: +((used.user + used.system) / 1e6).toFixed(2),
      firstCreate: sent === undefined ? null : +((sent - start) / 1000).toFixed(2),
      bodyBytes,
    }),
  );
}
