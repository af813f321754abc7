/**
 * `npm run bench:fs -- --size 2GiB [--uploader restic|kopia] [--runs N]` (issue 14): the speed of
 * Skiff's file-system backup of one volume, against the tool run directly on the same directory
 * and against reading it (`cat` to /dev/null), in the same run. With `--runs N`, N runs in a row,
 * each with its own data, namespace and repositories (the restore in the last), and a summary
 * with the median ratio: one run on this machine varies by about ±10 %.
 *
 * Skiff's figure is end to end through the real path: a PodVolumeBackup created for a running
 * pod's node-local claim, picked up by a `skiff node-agent` process, which runs the uploader
 * into a fresh repository in MinIO; timed from the PVB's creation to its Completed phase. The
 * direct run uses another fresh repository in the same bucket, so neither deduplicates against
 * the other. The data is random (nothing compresses or deduplicates): half the size in one
 * large file, the rest in 4 MiB files. Peak RSS is that of the node agent's whole process
 * tree (the agent and the uploader it runs), sampled every 100 ms, as `ps` sees it, with the
 * peak of each part and its anonymous and file-backed share; the agent runs the CLI bundle
 * (`npm run build`), as a user's image does.
 * Extra `skiff node-agent` flags (e.g. `--uploader-memory-limit=off`) may follow `--agent-args`.
 *
 * Fairness: the direct run's repository is created and connected untimed, so the agent first backs
 * up another, 1 MiB volume of the namespace (untimed, printed): it connects then and stays connected,
 * as after any namespace's first backup. Each timed run starts after a `sync`. The PVB's phases, the
 * tool processes the agent ran and the CPU on both sides are printed (`fs-phases.ts`).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { PodVolumeBackup } from '../src/api/index.ts';
import { waitForObject } from '../src/kube/wait-object.ts';
import { ensureRepository } from '../src/volumes/repository/index.ts';
import { createUploader } from '../src/volumes/uploader/index.ts';
import { adminCluster, createNamespace, deleteNamespaceAndWait } from '../test/helpers/cluster.ts';
import { uniqueName } from '../test/helpers/names.ts';
import { startNodeAgents, useTestUploaderBinaries } from '../test/helpers/node-agents.ts';
import {
  createPodVolumeBackup,
  createPodVolumeRestore,
  PVB,
  waitForPodVolumeBackup,
  waitForPodVolumeRestore,
} from '../test/helpers/pod-volume-objects.ts';
import { commandLine, descendants, rssOf, rssPartsOf } from '../test/helpers/process-tree.ts';
import { buildCli } from '../scripts/build.ts';
import { startTestServer } from '../test/helpers/skiff-server.ts';
import { loadTestEnv } from '../test/helpers/testenv.ts';
import { createVolumePod } from '../test/helpers/volume-pods.ts';
import { describeWindow, runProcesses, usageSnapshot, type UsageSnapshot } from './env-usage.ts';
import { PhaseTimeline } from './fs-phases.ts';
import {
  benchTarget,
  deletePrefix,
  DIRECT_PASSWORD,
  kopiaDirect,
  lastTimedCpu,
  makeTree,
  parseSize,
  timed,
} from './volume-data.ts';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '2GiB' },
    uploader: { type: 'string', default: 'restic' },
    /** Runs in a row, each with its own data, namespace and repositories; the summary gives the median ratio. */
    runs: { type: 'string', default: '1' },
    'agent-args': { type: 'string', default: '' },
  },
});
const size = parseSize(values.size);
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs "${values.runs}" is not a whole number of at least 1`);
const uploader = ((u: string): 'kopia' | 'restic' => {
  if (u !== 'kopia' && u !== 'restic') throw new Error(`--uploader "${u}" is not kopia or restic`);
  return u;
})(values.uploader);

const env = loadTestEnv();
const binaries = useTestUploaderBinaries();
const cluster = adminCluster();
const mb = (bytes: number, seconds: number): number => bytes / 1e6 / seconds;
const MiB = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

async function catAll(dir: string): Promise<number> {
  const files = [join(dir, 'large.bin'), ...(await readdir(join(dir, 'files'))).map((f) => join(dir, 'files', f))];
  return timed('sh', ['-c', 'cat "$@" > /dev/null', 'cat', ...files]);
}

const directRoot = uniqueName('bench-fs-direct');

/** The tool run directly: a fresh repository (initialised untimed), then one timed backup. */
async function direct(dir: string, work: string, run: number): Promise<number> {
  const prefix = `${directRoot}/${uploader}-${run}`;
  const workDir = join(work, 'direct');
  if (uploader === 'kopia') return kopiaDirect(env, binaries, dir, workDir, prefix);
  await createUploader(
    { type: 'restic', target: benchTarget(env, prefix), password: DIRECT_PASSWORD, workDir },
    binaries,
  ).initOrConnect();
  return timed(
    binaries.restic,
    ['backup', '.', `--cache-dir=${join(workDir, 'cache')}`, '--option=s3.bucket-lookup=path'],
    {
      cwd: dir,
      env: {
        ...process.env,
        AWS_ACCESS_KEY_ID: env.s3.accessKeyId,
        AWS_SECRET_ACCESS_KEY: env.s3.secretAccessKey,
        RESTIC_PASSWORD: DIRECT_PASSWORD,
        RESTIC_REPOSITORY: `s3:${env.s3.endpoint}/${env.s3.bucket}/${prefix}`,
      },
    },
  );
}

/**
 * Peak RSS of a process tree and of its parts: the agent itself and each program below it, by name,
 * each with its anonymous and file-backed share at its peak (`rssPartsOf`).
 */
class TreePeak {
  total = 0;
  readonly parts = new Map<string, { rss: number; anon: number; file: number }>();
  constructor(private readonly pid: number) {}
  sample(): void {
    const byName = new Map<string, { rss: number; anon: number; file: number }>();
    const add = (name: string, pid: number): void => {
      const { anon, file } = rssPartsOf(pid);
      const was = byName.get(name) ?? { rss: 0, anon: 0, file: 0 };
      byName.set(name, { rss: was.rss + rssOf(pid), anon: was.anon + anon, file: was.file + file });
    };
    add('node agent', this.pid);
    for (const p of descendants(this.pid)) {
      const name = commandLine(p)[0]?.split('/').pop();
      if (name === undefined) continue; // gone while we looked
      add(name, p);
    }
    this.total = Math.max(
      this.total,
      [...byName.values()].reduce((a, b) => a + b.rss, 0),
    );
    for (const [name, part] of byName) if (part.rss > (this.parts.get(name)?.rss ?? 0)) this.parts.set(name, part);
  }
  describe(): string {
    return [...this.parts]
      .map(([name, p]) => `${name} ${MiB(p.rss)} (anon ${MiB(p.anon)}, file ${MiB(p.file)})`)
      .join(', ');
  }
}

// As a user would after `npm run build`: bin/skiff.mjs runs the bundle, not tsx.
await buildCli();
const server = await startTestServer(cluster);
const node = env.nodes[0] ?? '';
const agentArgs = values['agent-args'].split(/\s+/).filter((a) => a !== '');
const agents = await startNodeAgents({ namespace: server.namespace, nodes: [node], args: agentArgs });
/** What one run measured, for the summary of several. */
interface RunFigures {
  directSeconds: number;
  skiffSeconds: number;
  treePeak: number;
}

/**
 * One run: a fresh namespace with its own tree, the tool direct into its own repository, then
 * the PodVolumeBackup; the restore too when `restore` (the last run), as before.
 */
async function oneRun(run: number, restore: boolean): Promise<RunFigures> {
  const ns = uniqueName('bench-fs');
  const work = join(env.runDir, 'bench-fs', ns);
  await mkdir(work, { recursive: true });
  try {
    return await measureRun(run, restore, ns, work);
  } finally {
    // Each run writes twice the tree's size into MinIO: gone before the next run starts.
    await deleteNamespaceAndWait(cluster, ns).catch(() => undefined);
    await rm(work, { recursive: true, force: true });
    await Promise.all([
      deletePrefix(env, `${directRoot}/${uploader}-${run}`),
      deletePrefix(env, `${server.prefix}/${uploader}/${ns}`),
    ]);
  }
}

async function measureRun(run: number, restore: boolean, ns: string, work: string): Promise<RunFigures> {
  await createNamespace(cluster, ns);
  const pod = await createVolumePod(cluster, ns, 'app', { claims: ['data', 'warmup'], node });
  const dir = await pod.volumeDir('data');
  process.stderr.write(`writing ${values.size} of random data into ${dir}...\n`);
  await makeTree(dir, size);
  await catAll(dir); // warm the page cache, so every contender reads from memory alike
  const catSeconds = await catAll(dir);
  process.stderr.write(`cat: ${catSeconds.toFixed(2)} s\n`);
  // Each timed run starts with nothing dirty in the page cache: otherwise the kernel writes back
  // the tree just written (or the previous run's 2 GiB in MinIO) during the next run.
  await timed('sync', []);
  // What the rest of the run (API server, etcd, MinIO, the agent, this process with its polling) uses of the
  // two cores during each timed run: CPU they take is CPU the tool does not get.
  // The agent is this process's child: its CPU counts under this process's name (and apart in the PVB's phases).
  const processes = runProcesses(env.runDir, { 'bench+server+agent': process.pid });
  const usage = (): UsageSnapshot => usageSnapshot(processes, join(env.runDir, 'csi-storage'));
  const directUsage = [usage()];
  const directSeconds = await direct(dir, work, run);
  directUsage.push(usage());
  const directCpu = lastTimedCpu();
  process.stderr.write(`${uploader} direct: ${directSeconds.toFixed(2)} s, CPU ${directCpu.toFixed(2)} s\n`);

  await ensureRepository(cluster, server.namespace, { volumeNamespace: ns, location: 'default', type: uploader });
  const repoIdentifier =
    uploader === 'restic' ? `s3:${env.s3.endpoint}/${env.s3.bucket}/${server.prefix}/restic/${ns}` : '';
  // The direct run's repository was created and connected before its timed run; the agent's
  // counterpart is a first backup of another, small volume of the namespace (untimed): the
  // agent connects to the repository then and stays connected, as it is for every backup of a
  // namespace after its first. That first backup's time is printed, connection included.
  const warmupDir = await pod.volumeDir('warmup');
  await makeTree(warmupDir, 1024 * 1024);
  const agentPid = agents.pid(node) ?? 0;
  const warmupPhases = new PhaseTimeline(agentPid);
  const warmupSampler = setInterval(() => warmupPhases.sample(), 100);
  const warmupStart = performance.now();
  warmupPhases.begin();
  const warmup = await createPodVolumeBackup(cluster, server.namespace, {
    pod,
    volume: 'warmup',
    uploaderType: uploader,
    repoIdentifier,
  });
  const warmed = await waitForPodVolumeBackup(cluster, server.namespace, warmup, 10 * 60_000);
  if (warmed.status?.phase !== 'Completed')
    throw new Error(`the warm-up PodVolumeBackup failed: ${warmed.status?.message}`);
  const warmupSeconds = (performance.now() - warmupStart) / 1000;
  warmupPhases.end();
  clearInterval(warmupSampler);
  await timed('sync', []);
  const peak = new TreePeak(agentPid);
  const phases = new PhaseTimeline(agentPid);
  peak.sample();
  const sampler = setInterval(() => {
    peak.sample();
    phases.sample();
  }, 100);
  const skiffUsage = [usage()];
  const start = performance.now();
  phases.begin();
  const name = await createPodVolumeBackup(cluster, server.namespace, {
    pod,
    volume: 'data',
    uploaderType: uploader,
    repoIdentifier,
  });
  phases.mark('PVB created');
  // Watched, not polled: a GET every 100 ms cost the API server and this process CPU that the
  // direct run, which nothing observes, did not pay (2 cores: CPU the uploader then lacks).
  const pvb = await waitForObject(cluster, PVB, { name, namespace: server.namespace }, (obj) => {
    const seen = obj as PodVolumeBackup | undefined;
    const phase = seen?.status?.phase ?? '';
    if (phase !== '') phases.mark(`PVB ${phase}`);
    if ((seen?.status?.progress?.bytesDone ?? 0) > 0) phases.mark('PVB first progress');
    return seen && ['Completed', 'Failed'].includes(phase) ? seen : undefined;
  });
  if (!pvb) throw new Error(`the PodVolumeBackup ${name} is gone`);
  const skiffSeconds = (performance.now() - start) / 1000;
  skiffUsage.push(usage());
  phases.end();
  clearInterval(sampler);
  if (pvb.status?.phase !== 'Completed') throw new Error(`the PodVolumeBackup failed: ${pvb.status?.message}`);

  const rows = [
    ['cat > /dev/null', catSeconds],
    [`${uploader} direct`, directSeconds],
    [`skiff PVB (${uploader}, node agent)`, skiffSeconds],
  ] as const;
  console.log(
    `\nbench:fs  ${values.size} (${size} bytes) of random data, uploader ${uploader}, MinIO on loopback; run ${run} of ${runs}\n`,
  );
  for (const [what, s] of rows)
    console.log(`  ${what.padEnd(34)} ${s.toFixed(2).padStart(7)} s  ${mb(size, s).toFixed(0).padStart(5)} MB/s`);
  console.log(
    `\n  skiff / ${uploader} direct (speed): ${(directSeconds / skiffSeconds).toFixed(2)}x   (target >= 0.90x)`,
  );
  console.log(`  ${uploader} direct / cat (speed):   ${(catSeconds / directSeconds).toFixed(2)}x`);
  console.log(
    `  first PVB of the agent in this repository (1 MiB, connection included): ${warmupSeconds.toFixed(2)} s`,
  );
  for (const line of warmupPhases.report()) console.log(line);
  console.log(`  ${uploader} direct CPU: ${directCpu.toFixed(2)} s; the PVB's phases (seconds since its creation):`);
  for (const line of phases.report()) console.log(line);
  console.log(`  while each timed run ran, the rest of the run (MinIO included; ${uploader} itself left out):`);
  console.log(`    ${uploader} direct: ${describeWindow(directUsage[0], directUsage[1])}`);
  console.log(`    skiff PVB:    ${describeWindow(skiffUsage[0], skiffUsage[1])}`);
  console.log(
    `  node agent tree peak RSS: ${MiB(peak.total)} (target <= 200 MiB; peaks of the parts: ${peak.describe()})`,
  );
  if (agentArgs.length > 0) console.log(`  node agent flags: ${agentArgs.join(' ')}`);
  console.log(
    `  PVB: snapshot ${pvb.status.snapshotID}, ${pvb.status.progress?.totalBytes} bytes, ${pvb.status.incrementalBytes} sent`,
  );

  const figures = { directSeconds, skiffSeconds, treePeak: peak.total };
  if (!restore) return figures;
  // The memory target holds for restores too: the snapshot into a second pod's new claim on the
  // same node (data-only, so no restore-wait container is needed).
  const target = await createVolumePod(cluster, ns, 'restored', { claims: ['restored'], node });
  await timed('sync', []);
  const restorePeak = new TreePeak(agentPid);
  const restorePhases = new PhaseTimeline(agentPid);
  const restoreSampler = setInterval(() => {
    restorePeak.sample();
    restorePhases.sample();
  }, 100);
  const restoreStart = performance.now();
  restorePhases.begin();
  const pvrName = await createPodVolumeRestore(cluster, server.namespace, {
    pod: target,
    volume: 'restored',
    backup: pvb,
    sourceNamespace: ns,
    restoreUID: randomUUID(),
    annotations: { 'skiff.io/data-only': 'true' },
    uploaderSettings: {},
  });
  const pvr = await waitForPodVolumeRestore(cluster, server.namespace, pvrName, 60 * 60_000);
  const restoreSeconds = (performance.now() - restoreStart) / 1000;
  restorePhases.end();
  clearInterval(restoreSampler);
  if (pvr.status?.phase !== 'Completed') throw new Error(`the PodVolumeRestore failed: ${pvr.status?.message}`);
  console.log(
    `  restore (PVR): ${restoreSeconds.toFixed(2)} s, ${mb(size, restoreSeconds).toFixed(0)} MB/s; node agent tree peak RSS: ${MiB(restorePeak.total)} (${restorePeak.describe()})`,
  );
  for (const line of restorePhases.report()) console.log(line);
  return figures;
}

const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

try {
  const figures: RunFigures[] = [];
  for (let run = 1; run <= runs; run++) figures.push(await oneRun(run, run === runs));
  if (runs > 1) {
    const ratios = figures.map((f) => f.directSeconds / f.skiffSeconds);
    console.log(`\nbench:fs  ${runs} runs, uploader ${uploader}, ${values.size}`);
    console.log(`  skiff / ${uploader} direct per run: ${ratios.map((r) => r.toFixed(2)).join(', ')}`);
    console.log(
      `  median ${median(ratios).toFixed(2)}x (target >= 0.90x); ${uploader} direct ${median(figures.map((f) => f.directSeconds)).toFixed(2)} s, skiff ${median(figures.map((f) => f.skiffSeconds)).toFixed(2)} s (medians)`,
    );
    console.log(
      `  node agent tree peak RSS, highest of the runs: ${MiB(Math.max(...figures.map((f) => f.treePeak)))} (target <= 200 MiB)`,
    );
  }
} finally {
  await agents.stop();
  await server.stop();
  await Promise.all([deletePrefix(env, directRoot), deletePrefix(env, server.prefix)]);
}
