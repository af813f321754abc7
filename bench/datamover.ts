/**
 * `npm run bench:datamover -- --size 2GiB` (issue 16): the speed of a CSI snapshot data-movement backup of one
 * volume against `kopia snapshot create` run directly on the same directory, in the same run.
 *
 * Skiff's figure is end to end through the real path, timed from the Backup's creation to its Completed phase:
 * a `snapshotMoveData` backup of a namespace holding one claim of the test CSI class, so the VolumeSnapshot, the
 * DataUpload, the clone, the mover claim and pod, and the node agent's kopia upload into a fresh repository in
 * MinIO all count. The direct run uses another fresh repository in the same bucket, so neither deduplicates
 * against the other. The data is random: half the size in one large file, the rest in 4 MiB files.
 */
import { spawn } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { DataUpload } from '../src/api/index.ts';
import { DATA_UPLOAD_TYPE } from '../src/backup/csi/data-uploads.ts';
import { createUploader, type RepositoryTarget } from '../src/volumes/uploader/index.ts';
import { bundle, CLI_BUNDLE } from '../scripts/build.ts';
import { adminCluster, createNamespace, deleteNamespaceAndWait } from '../test/helpers/cluster.ts';
import { createCsiVolumePod } from '../test/helpers/csi-volume-pod.ts';
import { uniqueName } from '../test/helpers/names.ts';
import { startNodeAgents, useTestUploaderBinaries } from '../test/helpers/node-agents.ts';
import { backupAndWait, startTestServer } from '../test/helpers/skiff-server.ts';
import { loadTestEnv } from '../test/helpers/testenv.ts';
import { PhaseTracer } from './datamover-phases.ts';
import { deletePrefix, makeTree } from './volume-data.ts';

const { values } = parseArgs({ options: { size: { type: 'string', default: '2GiB' } } });
const UNITS: Record<string, number> = { KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, B: 1 };
const sizeMatch = /^(\d+(?:\.\d+)?)(B|KiB|MiB|GiB)$/.exec(values.size);
if (!sizeMatch) throw new Error(`--size "${values.size}" is not a size such as 2GiB or 512MiB`);
const size = Math.round(Number(sizeMatch[1]) * (UNITS[sizeMatch[2] ?? 'B'] ?? 1));

const env = loadTestEnv();
const binaries = useTestUploaderBinaries();
const cluster = adminCluster();
const mb = (bytes: number, seconds: number): number => bytes / 1e6 / seconds;
const PASSWORD = 'static-passw0rd';

/** `kopia snapshot create <dir>` into a fresh repository (initialised untimed); returns the seconds it took. */
async function kopiaDirect(dir: string, work: string, prefix: string): Promise<number> {
  const target: RepositoryTarget = {
    kind: 's3',
    bucket: env.s3.bucket,
    prefix,
    endpoint: env.s3.endpoint,
    region: env.s3.region,
    forcePathStyle: true,
    insecureSkipTLSVerify: false,
    credentials: { accessKeyId: env.s3.accessKeyId, secretAccessKey: env.s3.secretAccessKey },
  };
  await createUploader({ type: 'kopia', target, password: PASSWORD, workDir: work }, binaries).initOrConnect();
  const start = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(binaries.kopia, ['snapshot', 'create', dir], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        ...process.env,
        AWS_ACCESS_KEY_ID: env.s3.accessKeyId,
        AWS_SECRET_ACCESS_KEY: env.s3.secretAccessKey,
        KOPIA_PASSWORD: PASSWORD,
        KOPIA_CONFIG_PATH: join(work, 'repository.config'),
        KOPIA_CACHE_DIRECTORY: join(work, 'cache'),
        KOPIA_LOG_DIR: join(work, 'logs'),
        KOPIA_CHECK_FOR_UPDATES: 'false',
      },
    });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-2000)));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`kopia exited ${code}: ${err}`))));
  });
  return (performance.now() - start) / 1000;
}

// As a user would after `npm run build`: bin/skiff.mjs runs the bundle, not tsx.
await bundle(join(import.meta.dirname, '..', 'src', 'cli', 'main.ts'), CLI_BUNDLE);
const server = await startTestServer(cluster);
const node = env.nodes[0] ?? '';
const agents = await startNodeAgents({ namespace: server.namespace });
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
  const directSeconds = await kopiaDirect(dir, join(work, 'direct'), directPrefix);
  process.stderr.write(`kopia direct: ${directSeconds.toFixed(2)} s\n`);

  const name = uniqueName('b');
  const phases = new PhaseTracer(cluster, server.namespace, ns);
  phases.run();
  await new Promise((r) => setTimeout(r, 500)); // the watches have started
  phases.begin();
  const start = performance.now();
  const backup = await backupAndWait(
    cluster,
    server.namespace,
    name,
    { includedNamespaces: [ns], snapshotMoveData: true },
    4 * 3600_000,
  );
  const skiffSeconds = (performance.now() - start) / 1000;
  await phases.stop();
  if (backup.status?.phase !== 'Completed') throw new Error(`the backup ended ${backup.status?.phase}`);
  const [du] = await (async () => {
    const out: DataUpload[] = [];
    for await (const o of cluster.list(DATA_UPLOAD_TYPE, { namespace: server.namespace })) out.push(o as DataUpload);
    return out;
  })();

  console.log(`\nbench:datamover  ${values.size} (${size} bytes) of random data, kopia, MinIO on loopback\n`);
  for (const [what, s] of [
    ['kopia snapshot create (direct)', directSeconds],
    ['skiff backup, snapshotMoveData', skiffSeconds],
  ] as const)
    console.log(`  ${what.padEnd(34)} ${s.toFixed(2).padStart(7)} s  ${mb(size, s).toFixed(0).padStart(5)} MB/s`);
  console.log(`\n  skiff / kopia direct (speed): ${(directSeconds / skiffSeconds).toFixed(2)}x   (target >= 0.90x)`);
  console.log(`\n  where the moved-data backup's time went (as watched from the cluster):`);
  for (const line of phases.report()) console.log(line);
  console.log(
    `  DataUpload: snapshot ${du?.status?.snapshotID ?? '?'}, ${du?.status?.progress?.totalBytes ?? 0} bytes, node ${du?.status?.node ?? '?'}`,
  );
} finally {
  await agents.stop();
  await server.stop();
  await deleteNamespaceAndWait(cluster, ns).catch(() => undefined);
  await rm(work, { recursive: true, force: true });
  await Promise.all([deletePrefix(env, directPrefix), deletePrefix(env, server.prefix)]);
}
