/**
 * `npm run bench:datamover -- --size 2GiB` (issue 16): the speed of a CSI snapshot data-movement backup of one
 * volume against `kopia snapshot create` run directly on the same directory, in the same run. `--agent-arg` (any
 * number) is passed to the node agents, e.g. `--agent-arg=--data-mover-memory-limit=88MiB`. Every kopia run is
 * measured with GNU time (CPU time, RSS): on a loaded machine the wall-clock ratio is noisy.
 *
 * Skiff's figure is end to end through the real path, timed from the Backup's creation to its Completed phase:
 * a `snapshotMoveData` backup of a namespace holding one claim of the test CSI class, so the VolumeSnapshot, the
 * DataUpload, the clone, the mover claim and pod, and the node agent's connection to the namespace's repository
 * and its kopia upload all count. Each side writes into a fresh repository of its own in the same bucket, so
 * neither deduplicates against the other; both repositories are created before the clock starts, as a
 * namespace's is after its first backup. The data is random: half the size in one large file, the rest in 4 MiB
 * files. The page cache is emptied before the direct run that is the baseline and before the backup: the mover
 * reads a clone whose pages were never cached, so both read from the disk (a run from the cache is shown too).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { DataUpload } from '../src/api/index.ts';
import { DATA_UPLOAD_TYPE } from '../src/backup/csi/data-uploads.ts';
import { ensureRepository } from '../src/volumes/repository/index.ts';
import { bundle, CLI_BUNDLE } from '../scripts/build.ts';
import { adminCluster, createNamespace, deleteNamespaceAndWait } from '../test/helpers/cluster.ts';
import { createCsiVolumePod } from '../test/helpers/csi-volume-pod.ts';
import { uniqueName } from '../test/helpers/names.ts';
import { startNodeAgents, useTestUploaderBinaries, type NodeAgents } from '../test/helpers/node-agents.ts';
import { backupAndWait, startTestServer } from '../test/helpers/skiff-server.ts';
import { loadTestEnv } from '../test/helpers/testenv.ts';
import { PhaseTracer } from './datamover-phases.ts';
import { describeWindow, runProcesses, usageSnapshot, type UsageSnapshot } from './env-usage.ts';
import { commandLine, descendants } from '../test/helpers/process-tree.ts';
import { describeRun, recordingWrapper } from './tool-usage.ts';
import { deletePrefix, dropPageCache, kopiaDirect, makeTree, parseSize } from './volume-data.ts';

/** The agents' `data mover step` log lines (and the claim, upload and end), as seconds since `startEpoch`. */
function agentSteps(agents: NodeAgents, startEpoch: number): string[] {
  const wanted = /data mover step|uploading the snapshot|snapshot data moved|snapshot exposed|accepted/;
  const rows: [number, string][] = [];
  for (const node of agents.nodes) {
    for (const line of agents.logs(node).split('\n')) {
      if (!line.startsWith('{') || !wanted.test(line)) continue;
      try {
        const o = JSON.parse(line) as { time?: number; msg?: string; step?: string };
        if (o.time === undefined || o.time < startEpoch) continue;
        rows.push([
          o.time,
          `    ${((o.time - startEpoch) / 1000).toFixed(2).padStart(7)} s  ${node}: ${o.step ?? o.msg ?? ''}`,
        ]);
      } catch {
        // Not a log record.
      }
    }
  }
  return rows.sort((a, b) => a[0] - b[0]).map(([, l]) => l);
}

/**
 * Every 100 ms, whether a `kopia snapshot create` of a directory runs under `roots`: a usage snapshot is pushed
 * when it is first seen and when it is gone (the window in which kopia reads).
 */
function kopiaWindow(roots: number[], usage: () => UsageSnapshot, into: UsageSnapshot[]): NodeJS.Timeout {
  return setInterval(() => {
    const running = roots
      .flatMap((pid) => descendants(pid))
      .some((pid) => {
        const cmd = commandLine(pid);
        return cmd[0]?.endsWith('kopia') === true && cmd[1] === 'snapshot' && !cmd.some((a) => a.startsWith('--stdin'));
      });
    if (into.length < 2 && running === (into.length === 0)) into.push(usage());
  }, 100);
}

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '2GiB' },
    // Passed on to each node agent, e.g. `--agent-arg=--data-mover-memory-limit=88MiB`.
    'agent-arg': { type: 'string', multiple: true, default: [] },
  },
});
const size = parseSize(values.size);

const env = loadTestEnv();
// The agents log each data mover step at debug level: the bench prints them.
process.env.SKIFF_LOG_LEVEL ??= 'debug';
// Every kopia run, the bench's and the node agents', goes through a wrapper that records its CPU time and RSS.
const toolDir = await mkdtemp(join(env.runDir, 'bench-datamover-tools-'));
const kopia = await recordingWrapper(useTestUploaderBinaries().kopia, toolDir);
process.env.SKIFF_KOPIA_BINARY = kopia.binary;
const binaries = useTestUploaderBinaries();
const cluster = adminCluster();
const mb = (bytes: number, seconds: number): number => bytes / 1e6 / seconds;

// As a user would after `npm run build`: bin/skiff.mjs runs the bundle, not tsx.
await bundle(join(import.meta.dirname, '..', 'src', 'cli', 'main.ts'), CLI_BUNDLE);
const server = await startTestServer(cluster);
const node = env.nodes[0] ?? '';
const agents = await startNodeAgents({ namespace: server.namespace, args: values['agent-arg'] });
const ns = uniqueName('bench-dm');
const directPrefix = uniqueName('bench-dm-direct');
const work = join(env.runDir, 'bench-datamover', ns);
await mkdir(work, { recursive: true });
try {
  await createNamespace(cluster, ns);
  const { dir } = await createCsiVolumePod(cluster, env, ns, {
    node,
    size: `${Math.ceil((size * 1.2) / 1024 ** 3) || 1}Gi`,
  });
  process.stderr.write(`writing ${values.size} of random data into ${dir}...\n`);
  await makeTree(dir, size);
  // The data mover reads the snapshot's clone: new files whose pages are not cached. Run directly from the
  // page cache the data was just written into, kopia would be measured against memory, not the disk. So the
  // baseline is a direct run with the cache emptied first (as before the backup); the cached run is shown too.
  const warmSeconds = await kopiaDirect(env, binaries, dir, join(work, 'direct-warm'), `${directPrefix}/warm`);
  process.stderr.write(`kopia direct, data in the page cache: ${warmSeconds.toFixed(2)} s\n`);
  const coldCache = await dropPageCache();
  if (!coldCache) process.stderr.write('could not empty the page cache (not root?): the direct run reads from it\n');
  // What else of the run uses the two cores while each side's kopia reads (the direct run: nothing, it should be).
  const processes = runProcesses(env.runDir, {
    'bench+server': process.pid,
    ...Object.fromEntries(agents.nodes.map((n) => [`agent ${n}`, agents.pid(n)])),
  });
  const csiStorage = join(env.runDir, 'csi-storage');
  const usage = (): UsageSnapshot => usageSnapshot(processes, csiStorage);
  const directUsage: UsageSnapshot[] = [];
  const directSampler = kopiaWindow([process.pid], usage, directUsage);
  const directSeconds = await kopiaDirect(env, binaries, dir, join(work, 'direct'), `${directPrefix}/cold`);
  clearInterval(directSampler);
  process.stderr.write(`kopia direct: ${directSeconds.toFixed(2)} s\n`);
  const directRun = (await kopia.runs()).at(-1);
  // The direct run's repository was created untimed; so is the namespace's (as after its first backup).
  await ensureRepository(cluster, server.namespace, { volumeNamespace: ns, location: 'default', type: 'kopia' });
  await dropPageCache();

  const runsBefore = (await kopia.runs()).length;
  const loadBefore = loadavg()[0] ?? 0;

  const name = uniqueName('b');
  const phases = new PhaseTracer(cluster, server.namespace, ns);
  phases.run();
  await new Promise((r) => setTimeout(r, 500)); // the watches have started
  phases.begin();
  const start = performance.now();
  const startEpoch = Date.now();
  // The mover's `kopia snapshot create` window, from the agents' process trees every 100 ms.
  const moverUsage: UsageSnapshot[] = [];
  const sampler = kopiaWindow(
    agents.nodes.map((n) => agents.pid(n) ?? 0),
    usage,
    moverUsage,
  );
  const backup = await backupAndWait(
    cluster,
    server.namespace,
    name,
    { includedNamespaces: [ns], snapshotMoveData: true },
    4 * 3600_000,
  );
  const skiffSeconds = (performance.now() - start) / 1000;
  clearInterval(sampler);
  await phases.stop();
  if (backup.status?.phase !== 'Completed') throw new Error(`the backup ended ${backup.status?.phase}`);
  const [du] = await (async () => {
    const out: DataUpload[] = [];
    for await (const o of cluster.list(DATA_UPLOAD_TYPE, { namespace: server.namespace })) out.push(o as DataUpload);
    return out;
  })();

  console.log(`\nbench:datamover  ${values.size} (${size} bytes) of random data, kopia, MinIO on loopback\n`);
  for (const [what, s] of [
    ['kopia snapshot create (direct, cached)', warmSeconds],
    [`kopia snapshot create (direct${coldCache ? ', from disk' : ''})`, directSeconds],
    ['skiff backup, snapshotMoveData', skiffSeconds],
  ] as const)
    console.log(`  ${what.padEnd(34)} ${s.toFixed(2).padStart(7)} s  ${mb(size, s).toFixed(0).padStart(5)} MB/s`);
  console.log(`\n  skiff / kopia direct (speed): ${(directSeconds / skiffSeconds).toFixed(2)}x   (target >= 0.90x)`);
  console.log(`  skiff / kopia direct from the page cache: ${(warmSeconds / skiffSeconds).toFixed(2)}x`);
  console.log(
    `  load average (1 min): ${loadBefore.toFixed(1)} before the backup, ${(loadavg()[0] ?? 0).toFixed(1)} after`,
  );
  const moverRuns = (await kopia.runs()).slice(runsBefore);
  const moverSnapshot = moverRuns.find((r) => /^snapshot create /.test(r.args) && !r.args.includes('--stdin-file'));
  console.log(`\n  kopia snapshot create, as measured by GNU time:`);
  console.log(`    direct:          ${describeRun(directRun)}`);
  console.log(`    data mover's:    ${describeRun(moverSnapshot)}`);
  if (directRun && moverSnapshot)
    console.log(
      `    CPU time ratio (direct / mover): ${(directRun.cpuSeconds / moverSnapshot.cpuSeconds).toFixed(2)}x`,
    );
  console.log(`  while kopia read (within 0.1 s), the rest of the run:`);
  console.log(`    direct:          ${describeWindow(directUsage[0], directUsage[1])}`);
  console.log(`    data mover's:    ${describeWindow(moverUsage[0], moverUsage[1])}`);
  console.log(`  every kopia run of the moved-data backup:`);
  for (const r of moverRuns) {
    const what =
      r.args.split(' ').slice(0, 2).join(' ') + (r.args.includes('--stdin-file') ? ' (directory times)' : '');
    console.log(`    ${what.padEnd(34)} ${describeRun(r)}`);
  }
  console.log(`\n  where the moved-data backup's time went (as watched from the cluster):`);
  for (const line of phases.report()) console.log(line);
  console.log(`  the node agents' steps (their log's times, debug level):`);
  for (const line of agentSteps(agents, startEpoch)) console.log(line);
  console.log(
    `  DataUpload: snapshot ${du?.status?.snapshotID ?? '?'}, ${du?.status?.progress?.totalBytes ?? 0} bytes, node ${du?.status?.node ?? '?'}`,
  );
} finally {
  await agents.stop();
  await server.stop();
  await deleteNamespaceAndWait(cluster, ns).catch(() => undefined);
  await rm(work, { recursive: true, force: true });
  await rm(toolDir, { recursive: true, force: true });
  await Promise.all([deletePrefix(env, directPrefix), deletePrefix(env, server.prefix)]);
}
