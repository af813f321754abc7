import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The running test environment, as `npm run env:up` describes it in `<run>/env`
 * (KEY=value lines). Integration tests read it; they never start their own servers.
 */
export interface TestEnv {
  runDir: string;
  kubeconfig: string;
  /** kubeconfig of user `skiff-restricted` in group `skiff-tenants`: no RBAC grants by default. */
  restrictedKubeconfig: string;
  s3: { endpoint: string; bucket: string; region: string; accessKeyId: string; secretAccessKey: string };
  nodes: string[];
  /** The folder of the environment's binaries (kubectl, helm, ...); see `envTool`. */
  bin: string;
  /** Host root of a kwok node: `<run>/nodes/<node>` (holds var/lib/kubelet/pods/...). */
  nodeRoot: (node: string) => string;
  /** The CSI test stack (scripts/testenv/csi.sh, CSI-CONTRACT); helpers in `csi.ts`. */
  csi: { driver: string; storageClass: string; storageClassImmediate: string; snapshotClass: string };
}

export function testEnvRunDir(): string {
  return resolve(process.env.SKIFF_TESTENV_RUN ?? join(import.meta.dirname, '..', '..', '.testenv'));
}

export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m?.[1] !== undefined && m[2] !== undefined) out[m[1]] = m[2].replace(/^'(.*)'$/, '$1');
  }
  return out;
}

/** The env file's keys, and a reader that fails naming a missing key. */
function readEnv(runDir: string): { need: (key: string) => string; has: (key: string) => boolean } {
  let text: string;
  try {
    text = readFileSync(join(runDir, 'env'), 'utf8');
  } catch {
    throw new Error(`no test environment at ${runDir}: run 'npm run env:up' first (or run the tests with 'npm test')`);
  }
  const e = parseEnvFile(text);
  return {
    need: (k) => {
      const v = e[k];
      if (!v) throw new Error(`test environment file ${join(runDir, 'env')} lacks ${k}`);
      return v;
    },
    has: (k) => Boolean(e[k]),
  };
}

export function loadTestEnv(runDir = testEnvRunDir()): TestEnv {
  const { need, has } = readEnv(runDir);
  return {
    runDir,
    kubeconfig: need('KUBECONFIG'),
    restrictedKubeconfig: need('SKIFF_RESTRICTED_KUBECONFIG'),
    s3: {
      endpoint: need('SKIFF_S3_ENDPOINT'),
      bucket: need('SKIFF_S3_BUCKET'),
      region: need('SKIFF_S3_REGION'),
      accessKeyId: need('AWS_ACCESS_KEY_ID'),
      secretAccessKey: need('AWS_SECRET_ACCESS_KEY'),
    },
    nodes: need('SKIFF_NODES').split(','),
    bin: need('SKIFF_TESTENV_BIN'),
    nodeRoot: (node) => join(runDir, 'nodes', node),
    // Read on use: scripts/test-phases.sh runs the files that need no CSI in an environment without it.
    get csi() {
      if (has('SKIFF_TESTENV_CORE')) {
        throw new Error(
          'the test environment runs without the CSI stack (SKIFF_TESTENV_CORE=1): scripts/test-phases.sh ran this file ' +
            'in a core group; make it match LATE_PATTERN there',
        );
      }
      return {
        driver: need('SKIFF_CSI_DRIVER'),
        storageClass: need('SKIFF_CSI_STORAGE_CLASS'),
        storageClassImmediate: need('SKIFF_CSI_STORAGE_CLASS_IMMEDIATE'),
        snapshotClass: need('SKIFF_CSI_SNAPSHOT_CLASS'),
      };
    },
  };
}

/** One control plane of the test environment, with its kwok nodes and their topology labels. */
export interface TestCluster {
  kubeconfig: string;
  nodes: string[];
  /** `topology.kubernetes.io/region` of every node. */
  region: string;
  /** The distinct `topology.kubernetes.io/zone` values of the nodes, in node order. */
  zones: string[];
}

/** Cluster A: the one `up.sh` starts and every test uses (`KUBECONFIG`). */
export function testClusterA(runDir = testEnvRunDir()): TestCluster {
  const { need } = readEnv(runDir);
  return {
    kubeconfig: need('KUBECONFIG'),
    nodes: need('SKIFF_NODES').split(','),
    region: need('SKIFF_REGION'),
    zones: need('SKIFF_ZONES').split(','),
  };
}

/**
 * Cluster B, a second control plane in another region beside cluster A, sharing its MinIO.
 * Started on first use (`scripts/testenv/up-cluster-b.sh`; idempotent, a few seconds) so
 * that runs without cross-cluster tests do not pay for it; `env:down` stops it. With `csi: true`
 * it also runs the CSI test stack (the same driver and classes as cluster A).
 */
export function testClusterB(runDir = testEnvRunDir(), opts: { csi?: boolean } = {}): TestCluster {
  const script = join(import.meta.dirname, '..', '..', 'scripts/testenv/up-cluster-b.sh');
  const res = spawnSync('bash', opts.csi ? [script, '--csi'] : [script], {
    env: { ...process.env, SKIFF_TESTENV_RUN: runDir },
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  if (res.status !== 0) {
    throw new Error(
      `cluster B did not start (scripts/testenv/up-cluster-b.sh exited ${res.status ?? res.signal}): ${res.stderr}`,
    );
  }
  const { need } = readEnv(runDir);
  return {
    kubeconfig: need('SKIFF_B_KUBECONFIG'),
    nodes: need('SKIFF_B_NODES').split(','),
    region: need('SKIFF_B_REGION'),
    zones: need('SKIFF_B_ZONES').split(','),
  };
}
