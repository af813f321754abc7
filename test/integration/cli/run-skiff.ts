/** Runs the `skiff` binary as a user would, against the test cluster. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Kinds, resourceRef, type BackupStorageLocation } from '../../../src/api/index.ts';
import type { Cluster } from '../../../src/kube/index.ts';
import { waitFor } from '../../helpers/cluster.ts';
import { skiffBinEnv } from '../../helpers/skiff-bin-env.ts';
import { loadTestEnv } from '../../helpers/testenv.ts';

export const ROOT = join(import.meta.dirname, '..', '..', '..');
const BIN = join(ROOT, 'bin', 'skiff.mjs');

export interface SkiffResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = skiffBinEnv({ ...process.env, KUBECONFIG: loadTestEnv().kubeconfig, ...extra });
  // The CLI must get its namespace from -n in these tests, never from the runner's environment.
  delete env.VELERO_NAMESPACE;
  return env;
}

export function skiff(args: readonly string[], opts: { cwd?: string } = {}): Promise<SkiffResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd ?? ROOT,
      env: childEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Like `skiff`, but fails the test with both streams when the exit code is not 0. */
export async function skiffOk(args: readonly string[], opts: { cwd?: string } = {}): Promise<SkiffResult> {
  const r = await skiff(args, opts);
  if (r.code !== 0) {
    throw new Error(`skiff ${args.join(' ')} exited ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  }
  return r;
}

/**
 * `skiff server` as a child process; `stop()` sends SIGTERM and waits for it to exit. `env` adds
 * to (or overrides) the environment, e.g. KUBECONFIG of another user. With `ownProcessGroup`, the
 * process leads its own group, so that a test can kill it together with any process it starts
 * (`process.kill(-child.pid, 'SIGKILL')`), as a node failure would. `node` runs it under another
 * Node than this one (e.g. the machine's own, too old for Skiff).
 */
export function startSkiffServer(
  args: readonly string[],
  opts: { ownProcessGroup?: boolean; env?: Record<string, string>; node?: string } = {},
): {
  child: ChildProcess;
  logs: () => string;
  stop: () => Promise<void>;
} {
  // Tenant operations off unless asked for: a server that runs them executes every TenantBackup in the cluster,
  // and would race the tenant files' own servers (their lane in scripts/test-phases.sh).
  const tenant = args.some((a) => a.startsWith('--tenant-operations')) ? [] : ['--tenant-operations=false'];
  const child = spawn(opts.node ?? process.execPath, [BIN, 'server', ...tenant, ...args], {
    cwd: ROOT,
    env: childEnv(opts.env ?? {}),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: opts.ownProcessGroup ?? false,
  });
  let logs = '';
  child.stdout?.on('data', (c: Buffer) => (logs += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (logs += c.toString()));
  return {
    child,
    logs: () => logs,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('close', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * `skiff install` with a filesystem location in `fsRoot`, then `skiff server` in `namespace`,
 * ready once the server has validated the default location.
 */
export async function installAndStartServer(
  cluster: Cluster,
  namespace: string,
  fsRoot: string,
): Promise<ReturnType<typeof startSkiffServer>> {
  await skiffOk([
    ...['install', '-n', namespace, '--provider', 'filesystem', '--bucket', 'skiff'],
    ...['--backup-location-config', `path=${fsRoot},createBucket=true`, '--use-volume-snapshots=false'],
    // The server runs here, as a process: no Deployment, ServiceAccount or RBAC in the cluster.
    '--no-server',
  ]);
  const server = startSkiffServer(['-n', namespace, '--metrics-address', '', '--store-validation-frequency', '10s']);
  await waitFor(
    'the default location to be Available',
    async () => {
      const bsl = (await cluster.get(
        resourceRef(Kinds.BackupStorageLocation),
        'default',
        namespace,
      )) as BackupStorageLocation;
      return bsl.status?.phase === 'Available';
    },
    90_000,
  ).catch((err: unknown) => {
    throw new Error(`${String(err)}\nserver output:\n${server.logs()}`);
  });
  return server;
}
