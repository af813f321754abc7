/**
 * Node agents for the test cluster (contract §6): one real `skiff node-agent` process per kwok
 * node, over that node's host folder `<run>/nodes/<node>`, in its own process group so a test
 * can kill it together with the kopia or restic it is running, as a node failure would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import type { Cluster } from '../../src/kube/index.ts';
import { skiffBinEnv } from './skiff-bin-env.ts';
import { startTestServer, type TestServer } from './skiff-server.ts';
import { loadTestEnv } from './testenv.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'skiff.mjs');
const READY_TIMEOUT_MS = 60_000;

export interface NodeAgentsOptions {
  /** The Skiff server namespace (where PVBs and PVRs live). */
  namespace: string;
  /** Which kwok nodes get an agent (default: all). */
  nodes?: string[];
  /** Extra `skiff node-agent` flags, e.g. `['--concurrency', '2']`. */
  args?: string[];
  /** Another cluster's kubeconfig and node roots (cluster B); default cluster A's. */
  cluster?: { kubeconfig: string; nodeRoot: (node: string) => string };
}

export interface NodeAgents {
  nodes: string[];
  /** The host root of a node: its kubelet pods are under `var/lib/kubelet/pods`. */
  hostRoot(node: string): string;
  /** The process ID of a node's agent (its process tree holds the kopia or restic it runs). */
  pid(node: string): number | undefined;
  /** Logs (stdout and stderr) of a node's agent so far, for failure messages. */
  logs(node: string): string;
  /** Kills a node's agent and everything it started (SIGKILL to its process group). */
  kill(node: string): Promise<void>;
  /** Starts a killed or stopped agent again and waits until it is ready. */
  restart(node: string): Promise<void>;
  /** Stops every agent (SIGTERM, then SIGKILL after 10 s). */
  stop(): Promise<void>;
}

/** The uploader binaries of the test environment, for the agents and the in-process server. */
export function useTestUploaderBinaries(): { kopia: string; restic: string } {
  const env = loadTestEnv();
  process.env.SKIFF_KOPIA_BINARY ??= join(env.bin, 'kopia');
  process.env.SKIFF_RESTIC_BINARY ??= '/usr/bin/restic';
  return { kopia: process.env.SKIFF_KOPIA_BINARY, restic: process.env.SKIFF_RESTIC_BINARY };
}

export async function startNodeAgents(options: NodeAgentsOptions): Promise<NodeAgents> {
  const env = loadTestEnv();
  const binaries = useTestUploaderBinaries();
  const nodes = options.nodes ?? env.nodes;
  const kubeconfig = options.cluster?.kubeconfig ?? env.kubeconfig;
  const nodeRoot = options.cluster?.nodeRoot ?? env.nodeRoot;
  const scratch = mkdtempSync(join(tmpdir(), 'skiff-node-agents-'));
  const running = new Map<string, ChildProcess>();
  const output = new Map<string, string>();

  const start = (node: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [
          BIN,
          'node-agent',
          '--node',
          node,
          '--host-root',
          nodeRoot(node),
          '-n',
          options.namespace,
          '--scratch-dir',
          scratch,
          '--kopia-binary',
          binaries.kopia,
          '--restic-binary',
          binaries.restic,
          '--log-level',
          process.env.SKIFF_LOG_LEVEL ?? 'info',
          ...(options.args ?? []),
        ],
        {
          cwd: ROOT,
          env: skiffBinEnv({ ...process.env, KUBECONFIG: kubeconfig }),
          stdio: ['ignore', 'pipe', 'pipe'],
          detached: true,
        },
      );
      running.set(node, child);
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        reject(
          new Error(`node agent on ${node} not ready after ${READY_TIMEOUT_MS / 1000}s:\n${output.get(node) ?? ''}`),
        );
      }, READY_TIMEOUT_MS);
      const append = (chunk: Buffer): void => {
        const text = (output.get(node) ?? '') + chunk.toString();
        output.set(node, text.length > 200_000 ? text.slice(-200_000) : text);
        if (!settled && text.includes(`node agent ready on ${node}`)) {
          settled = true;
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', append);
      child.stderr?.on('data', append);
      child.on('exit', (code, signal) => {
        if (running.get(node) === child) running.delete(node);
        if (!settled) {
          settled = true;
          clearTimeout(timer);
          reject(
            new Error(
              `node agent on ${node} exited (${code ?? signal}) before it was ready:\n${output.get(node) ?? ''}`,
            ),
          );
        }
      });
    });

  const exited = (child: ChildProcess): Promise<void> =>
    child.exitCode !== null || child.signalCode !== null
      ? Promise.resolve()
      : new Promise((resolve) => child.once('exit', () => resolve()));

  const kill = async (node: string): Promise<void> => {
    const child = running.get(node);
    if (!child?.pid) return;
    const done = exited(child);
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await done;
  };

  try {
    await Promise.all(nodes.map((n) => start(n)));
  } catch (err) {
    // The caller gets no handle to stop them: without this, the agents that did start kept the
    // test process (and the run) waiting on their pipes until the run's timeout.
    await Promise.all([...running.keys()].map((n) => kill(n)));
    rmSync(scratch, { recursive: true, force: true });
    throw err;
  }
  return {
    nodes,
    hostRoot: (node) => nodeRoot(node),
    pid: (node) => running.get(node)?.pid,
    logs: (node) => output.get(node) ?? '',
    kill,
    restart: async (node) => {
      await kill(node);
      await start(node);
    },
    stop: async () => {
      await Promise.all(
        [...running.entries()].map(async ([node, child]) => {
          if (!child.pid) return;
          const done = exited(child);
          child.kill('SIGTERM');
          const t = setTimeout(() => void kill(node), 10_000);
          await done;
          clearTimeout(t);
        }),
      );
      // The agents' repository caches: about 2 GiB after the large-file tests.
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}

/**
 * For a suite that needs a Skiff server and a node agent on every kwok node: starts both before
 * the suite and stops them after it. Read `server` and `agents` inside tests, once started.
 */
export function useServerWithNodeAgents(cluster: Cluster): {
  readonly server: TestServer;
  readonly agents: NodeAgents;
} {
  let server: TestServer | undefined;
  let agents: NodeAgents | undefined;
  before(async () => {
    useTestUploaderBinaries();
    server = await startTestServer(cluster);
    agents = await startNodeAgents({ namespace: server.namespace });
  });
  after(async () => {
    await agents?.stop();
    await server?.stop();
  });
  return {
    get server(): TestServer {
      if (!server) throw new Error('the test server is not started yet (use it inside a test)');
      return server;
    },
    get agents(): NodeAgents {
      if (!agents) throw new Error('the node agents are not started yet (use them inside a test)');
      return agents;
    },
  };
}
