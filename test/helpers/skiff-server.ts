import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Kinds, resourceRef, type Backup, type BackupSpec } from '../../src/api/index.ts';
import type { Cluster } from '../../src/kube/index.ts';
import type { ServerOptions } from '../../src/server/options.ts';
import { runServer } from '../../src/server/server.ts';
import { errorMessage } from '../../src/util/errors.ts';
import { repositoryWorkRoot } from '../../src/volumes/repository/open.ts';
import { backupStoreForLocation, type BackupStore } from '../../src/storage/index.ts';
import { core, waitFor } from './cluster.ts';
import { uniqueName } from './names.ts';
import { loadTestEnv } from './testenv.ts';

/** A Skiff server running in this process against the test cluster, in its own namespace. */
export interface TestServer {
  namespace: string;
  /** Prefix inside the test bucket used by the `default` location. */
  prefix: string;
  /** Root directory of the `local` filesystem location. */
  fsRoot: string;
  /** `http://127.0.0.1:<port>` of /metrics, /healthz and /readyz, when asked for with `metrics`. */
  metricsUrl?: string;
  /** Where the view API serves (`viewApi: true`): a host address (not loopback), its port and certificate. */
  viewApi?: { host: string; port: number; certPem: string };
  /** Stops the server and starts a new one in the same namespace (a restart), with these options. */
  restart(overrides?: TestServerOptions): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Server options for this test (e.g. a GC frequency of seconds, disabled controllers, the
 * kubeconfig of cluster B), plus the test's own settings.
 */
export interface TestServerOptions extends Partial<ServerOptions> {
  /** Prefix of the `default` location, e.g. another server's, to share its backups (default: a fresh one). */
  prefix?: string;
  /** Serve /metrics, /healthz and /readyz on a free loopback port. */
  metrics?: boolean;
  /** Serve the view API on a free port of the host's first non-loopback address (endpoints may not be loopback). */
  viewApi?: boolean;
}

/** The host's first non-internal IPv4 address: the API server reaches an aggregated API there. */
export function hostAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  throw new Error('this host has no non-loopback IPv4 address for the API server to reach the view API at');
}

export async function startTestServer(cluster: Cluster, options: TestServerOptions = {}): Promise<TestServer> {
  const env = loadTestEnv();
  const namespace = uniqueName('skiff');
  const prefix = options.prefix ?? uniqueName('backups');
  const fsRoot = mkdtempSync(join(tmpdir(), 'skiff-fs-'));
  let metricsUrl: string | undefined;
  let viewApi: TestServer['viewApi'];
  const start = (
    next: TestServerOptions,
  ): { controller: AbortController; running: Promise<void>; role: Promise<void> } => {
    const { prefix: _prefix, metrics, viewApi: withView, ...serverOptions } = next;
    const viewHost = withView ? hostAddress() : '';
    const controller = new AbortController();
    const role = Promise.withResolvers<undefined>();
    const running = runServer(
      {
        namespace,
        kubeconfig: env.kubeconfig,
        logLevel: process.env.SKIFF_LOG_LEVEL ?? 'warn',
        storeValidationFrequency: '10s',
        ...(metrics ? { metricsAddress: '127.0.0.1:0' } : {}),
        ...(withView ? { viewApiBindAddress: `${viewHost}:0` } : {}),
        ...serverOptions,
      },
      controller.signal,
      {
        onMetricsListening: (address) => (metricsUrl = `http://127.0.0.1:${address.port}`),
        onViewApiListening: ({ address, certPem }) => (viewApi = { host: viewHost, port: address.port, certPem }),
        onRole: () => role.resolve(undefined),
      },
    );
    running.catch(() => undefined);
    return { controller, running, role: untilRole(running, role.promise) };
  };
  let current = start(options);
  // The server has created its namespace before it takes a role.
  await current.role;
  await cluster.create(core('secrets'), {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'cloud-credentials', namespace },
    stringData: {
      cloud: `[default]\naws_access_key_id=${env.s3.accessKeyId}\naws_secret_access_key=${env.s3.secretAccessKey}\n`,
    },
  });
  await createLocation(cluster, namespace, 'default', s3LocationSpec(prefix));
  await createLocation(cluster, namespace, 'local', {
    provider: 'filesystem',
    objectStorage: { bucket: 'skiff' },
    config: { path: fsRoot, createBucket: 'true' },
  });
  return {
    namespace,
    prefix,
    fsRoot,
    get metricsUrl() {
      return metricsUrl;
    },
    get viewApi() {
      return viewApi;
    },
    restart: async (next = options) => {
      current.controller.abort();
      await current.running.catch(() => undefined);
      current = start(next);
      await current.role;
    },
    stop: async () => {
      current.controller.abort();
      await current.running.catch(() => undefined);
      await cluster.delete(core('namespaces'), namespace);
      // The filesystem location and the server's repository clients (kopia caches) are per test
      // server: left behind, a day of test runs filled the disk.
      rmSync(fsRoot, { recursive: true, force: true });
      removeWorkRoots(namespace);
    },
  };
}

/**
 * Resolves once the server leads with its controllers started, or stands by; rejects if it stops
 * first. Returning earlier let a test's next step race the new server's start-up repairs (which
 * fail an InProgress Backup they find) and its first passes.
 */
async function untilRole(running: Promise<void>, role: Promise<undefined>): Promise<void> {
  const stopped = running.then(
    () => Promise.reject(new Error('the test server stopped before it started its controllers')),
    (err: unknown) => Promise.reject(new Error(`the test server failed to start: ${errorMessage(err)}`)),
  );
  stopped.catch(() => undefined);
  await Promise.race([role, stopped]);
}

/**
 * The server's repository work root, and those its tests opened beside it to check a repository
 * on their own (`<namespace>-check`, `-verify`): a run of the suite left a dozen of these in /tmp.
 */
function removeWorkRoots(namespace: string): void {
  const own = repositoryWorkRoot(namespace);
  const parent = dirname(own);
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  const prefix = `${basename(own)}-`;
  for (const name of names)
    if (name === basename(own) || name.startsWith(prefix)) rmSync(join(parent, name), { recursive: true, force: true });
}

export function s3LocationSpec(
  prefix: string,
  overrides: { bucket?: string; credentialName?: string } = {},
): Record<string, unknown> {
  const env = loadTestEnv();
  return {
    provider: 'aws',
    objectStorage: { bucket: overrides.bucket ?? env.s3.bucket, prefix },
    config: { region: env.s3.region, s3Url: env.s3.endpoint, s3ForcePathStyle: 'true' },
    credential: { name: overrides.credentialName ?? 'cloud-credentials', key: 'cloud' },
  };
}

export async function createLocation(
  cluster: Cluster,
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
): Promise<void> {
  await cluster.create(resourceRef(Kinds.BackupStorageLocation), {
    apiVersion: 'velero.io/v1',
    kind: 'BackupStorageLocation',
    metadata: { name, namespace },
    spec,
  });
}

const TERMINAL = new Set(['Completed', 'PartiallyFailed', 'Failed', 'FailedValidation']);

/** Creates a Backup and waits until the server has finished with it. */
export async function backupAndWait(
  cluster: Cluster,
  namespace: string,
  name: string,
  spec: BackupSpec,
  timeoutMs = 120_000,
): Promise<Backup> {
  await cluster.create(resourceRef(Kinds.Backup), {
    apiVersion: 'velero.io/v1',
    kind: 'Backup',
    metadata: { name, namespace },
    spec,
  });
  return waitFor(
    `backup ${name} to finish`,
    async () => {
      const b = (await cluster.get(resourceRef(Kinds.Backup), name, namespace)) as Backup;
      return TERMINAL.has(b.status?.phase ?? '') ? b : undefined;
    },
    timeoutMs,
  );
}

/** The BackupStore of the `default` (MinIO) location of a test server. */
export function defaultStore(server: TestServer): Promise<BackupStore> {
  return storeAtPrefix(server, server.prefix);
}

/** A BackupStore on the test bucket at `prefix`, as a location with `s3LocationSpec(prefix)` opens it. */
export function storeAtPrefix(server: TestServer, prefix: string): Promise<BackupStore> {
  return backupStoreForLocation(
    { metadata: { namespace: server.namespace }, spec: s3LocationSpec(prefix) as never },
    {
      readSecretKey: () => {
        const env = loadTestEnv();
        return Promise.resolve(
          `[default]\naws_access_key_id=${env.s3.accessKeyId}\naws_secret_access_key=${env.s3.secretAccessKey}\n`,
        );
      },
    },
  );
}
