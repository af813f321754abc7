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

export function loadTestEnv(runDir = testEnvRunDir()): TestEnv {
  let text: string;
  try {
    text = readFileSync(join(runDir, 'env'), 'utf8');
  } catch {
    throw new Error(`no test environment at ${runDir}: run 'npm run env:up' first (or run the tests with 'npm test')`);
  }
  const e = parseEnvFile(text);
  const need = (k: string): string => {
    const v = e[k];
    if (!v) throw new Error(`test environment file ${join(runDir, 'env')} lacks ${k}`);
    return v;
  };
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
  };
}
