import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { backupController, failInterruptedBackups } from '../controllers/backup-controller.ts';
import { backupQueueController } from '../controllers/backup-queue-controller.ts';
import { backupSyncController } from '../controllers/backup-sync-controller.ts';
import { Controller, type ControllerSpec } from '../controllers/controller.ts';
import { deleteBackupController } from '../controllers/delete-backup-controller.ts';
import { gcFrequencyMs } from '../deletion/gc-decision.ts';
import { gcController } from '../controllers/gc-controller.ts';
import { downloadRequestController } from '../controllers/download-request-controller.ts';
import { locationController } from '../controllers/location-controller.ts';
import { LocationResolver } from '../controllers/locations.ts';
import { restoreController } from '../controllers/restore-controller.ts';
import { RunningOperations } from '../controllers/running-operations.ts';
import { scheduleController } from '../controllers/schedule-controller.ts';
import { serverStatusController } from '../controllers/server-status-controller.ts';
import { runLocationApprovals } from '../tenant/location-approval-controller.ts';
import { Cluster } from '../kube/cluster.ts';
import { KubeClient } from '../kube/client.ts';
import { isAlreadyExists } from '../kube/errors.ts';
import { parseRestorePriorities } from '../restore/index.ts';
import { systemClock } from '../util/clock.ts';
import { createLogger, type Logger } from '../util/log.ts';
import { parseDuration } from '../util/duration.ts';
import { errorMessage, SkiffError } from '../util/errors.ts';
import { sweepDeadScratchDirs } from '../util/scratch-dir.ts';
import { Readiness, serveMetricsAndHealth, type HealthServer } from './health.ts';
import { candidateIdentity, DEFAULT_LEASE_NAME, LeaderElector } from './leader-election.ts';
import { ServerMetrics } from './metrics.ts';
import { ensureCrds } from './ensure-crds.ts';
import {
  backupRepositoryController,
  ensureRepositoryPassword,
  repositoryWorkRoot,
} from '../volumes/repository/index.ts';
import { defaultUploaderBinaries } from '../volumes/uploader/binaries.ts';
import { countObjectsEvery } from './object-counts.ts';
import { Feature, featureEnabled, featureWarnings } from './features.ts';
import type { ServerOptions } from './options.ts';
import { stopOnSignals } from '../util/stop-on-signals.ts';
import { tenantExecutionControllers } from '../tenant/exec/index.ts';
import { tenantSyncCheck } from '../tenant/exec/tenant-sync.ts';
import { startViewApi, type StartedViewApi } from '../tenant/view/index.ts';

const NAMESPACES = { group: '', version: 'v1', resource: 'namespaces' };

/** Leadership went to another server: every controller must stop at once (the process exits). */
export class LeadershipLostError extends SkiffError {
  readonly code = 'LeadershipLost';
  constructor(lease: string) {
    super(`leadership lost: lease ${lease} is held by another server or could not be renewed; exiting`);
  }
}

/** For callers that run the server in-process (tests). */
export interface ServerHooks {
  /** The metrics address is bound: its real port when port 0 was asked for. */
  onMetricsListening?: (address: AddressInfo) => void;
  /** The view API is serving: its address and certificate. */
  onViewApiListening?: (view: { address: AddressInfo; certPem: string }) => void;
  /** Another server leads and this one stands by; or this one leads, its start-up repairs done and its controllers starting. */
  onRole?: (role: 'leader' | 'standby') => void;
}

/**
 * `skiff server`: the controllers of one namespace against one cluster. Runs until
 * SIGTERM/SIGINT (or `signal`), then stops watching and returns. With leader election (the
 * default) only the holder of the namespace's Lease runs the controllers; the others stand by.
 * Rejects with LeadershipLostError, without waiting for the controllers' work in flight, when
 * leadership is lost: the caller must then end the process, as client-go's callers do.
 */
export async function runServer(opts: ServerOptions, signal?: AbortSignal, hooks: ServerHooks = {}): Promise<void> {
  const log = createLogger('skiff-server', opts.logLevel);
  const cluster = new Cluster(KubeClient.fromKubeconfig({ kubeconfig: opts.kubeconfig, context: opts.kubecontext }));
  const stop = stopOnSignals(signal);
  const metrics = new ServerMetrics(new Registry());
  const readiness = new Readiness();
  let http: HealthServer | undefined;
  let view: StartedViewApi | undefined;
  // A killed server or CLI leaves its spools behind; without this the disk fills a tarball at a time.
  const swept = await sweepDeadScratchDirs().catch((err: unknown) => {
    log.warn({ err: errorMessage(err) }, 'could not remove the scratch folders of stopped processes');
    return [];
  });
  if (swept.length > 0) log.info({ folders: swept }, 'removed the scratch folders of stopped processes');
  try {
    if (opts.metricsAddress) {
      http = await serveMetricsAndHealth(opts.metricsAddress, metrics, readiness);
      const { address, port } = http.address;
      log.info(
        { address: address.includes(':') ? `[${address}]:${port}` : `${address}:${port}` },
        'serving /metrics, /healthz and /readyz',
      );
      hooks.onMetricsListening?.(http.address);
    }
    // Every replica may install the CRDs (a forced server-side apply, the same from each) and
    // needs the namespace, where the Lease lives.
    const crds = await ensureCrds(cluster);
    log.info({ changed: crds.filter((c) => c.action !== 'unchanged').map((c) => c.name) }, 'CRDs ensured');
    await cluster.discover(true);
    if (!(await cluster.find(NAMESPACES, opts.namespace))) {
      await cluster
        .create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: opts.namespace } })
        .catch((err: unknown) => {
          if (!isAlreadyExists(err)) throw err;
        });
    }
    // Every replica serves the view API (after the namespace: its certificate's Secret lives
    // there): it only reads, and the Service may pick any of them.
    if (opts.viewApiBindAddress) {
      view = await startViewApi(
        { cluster, namespace: opts.namespace, log: log.child({ component: 'view-api' }) },
        {
          bindAddress: opts.viewApiBindAddress,
          certFile: opts.viewApiCert,
          keyFile: opts.viewApiKey,
          credentialsFile: opts.credentialsFile,
        },
      );
      log.info({ port: view.address.port, address: view.address.address }, 'serving the view.skiff.dev API');
      hooks.onViewApiListening?.({ address: view.address, certPem: view.certPem });
    }
    const elector = opts.leaderElect === false ? undefined : leaderElector(cluster, opts, log);
    const standingBy = (): void => {
      readiness.standingBy();
      hooks.onRole?.('standby');
    };
    if (elector && !(await elector.acquire(stop.signal, standingBy))) return;
    // Renewal goes on until the controllers have stopped, in-flight work included: a graceful
    // stop must not let a standby start while a backup still runs here.
    const holding = new AbortController();
    const lost = elector?.holdUntilLost(holding.signal);
    const controllers = runAsLeader({
      cluster,
      opts,
      log,
      metrics,
      readiness,
      signal: stop.signal,
      onLeading: () => hooks.onRole?.('leader'),
    });
    controllers.catch(() => undefined);
    try {
      const first = await Promise.race([
        controllers.then(() => 'stopped' as const),
        lost ?? new Promise<never>(() => {}),
      ]);
      if (first === 'lost') {
        stop.abort();
        throw new LeadershipLostError(`${opts.namespace}/${opts.leaderElectResourceName ?? DEFAULT_LEASE_NAME}`);
      }
      holding.abort();
      await lost;
      await elector?.release();
    } finally {
      holding.abort();
    }
  } finally {
    await view?.close();
    await http?.close();
    stop.release();
    log.info('skiff server stopped');
  }
}

function leaderElector(cluster: Cluster, opts: ServerOptions, log: Logger): LeaderElector {
  return new LeaderElector(
    cluster,
    {
      namespace: opts.namespace,
      name: opts.leaderElectResourceName ?? DEFAULT_LEASE_NAME,
      identity: candidateIdentity(),
      leaseDurationMs: parseDuration(opts.leaderElectLeaseDuration ?? '15s'),
      renewDeadlineMs: parseDuration(opts.leaderElectRenewDeadline ?? '10s'),
      retryPeriodMs: parseDuration(opts.leaderElectRetryPeriod ?? '2s'),
    },
    systemClock,
    log,
  );
}

interface LeaderContext {
  cluster: Cluster;
  opts: ServerOptions;
  log: Logger;
  metrics: ServerMetrics;
  readiness: Readiness;
  signal: AbortSignal;
  onLeading: () => void;
}

/** What only the leader does: the start-up repairs, then the controllers until `signal` aborts. */
async function runAsLeader({
  cluster,
  opts,
  log,
  metrics,
  readiness,
  signal,
  onLeading,
}: LeaderContext): Promise<void> {
  const clock = systemClock;
  const namespace = opts.namespace;
  const locations = new LocationResolver(cluster, namespace, opts.credentialsFile);
  for (const warning of featureWarnings(opts.features ?? [])) log.warn(warning);
  const enableApiGroupVersions = featureEnabled(opts.features, Feature.EnableAPIGroupVersions);
  // Only the leader: a standby would fail the backup its leader is running.
  const interrupted = await failInterruptedBackups({ cluster, namespace, log, clock, locations });
  if (interrupted > 0) log.warn({ count: interrupted }, 'backups interrupted by a restart were marked Failed');

  if (await ensureRepositoryPassword(cluster, namespace)) log.info('created the repository password secret');
  const repositoryContext = {
    cluster,
    namespace,
    credentialsFile: opts.credentialsFile,
    workRoot: repositoryWorkRoot(namespace),
    binaries: defaultUploaderBinaries(),
  };

  const backupRuns = new RunningOperations();
  const specs: ControllerSpec[] = [
    backupQueueController({
      cluster,
      namespace,
      log,
      concurrentBackups: opts.concurrentBackups ?? 1,
      runs: backupRuns,
    }),
    backupController({
      cluster,
      namespace,
      locations,
      clock,
      log,
      metrics,
      defaultTtl: opts.defaultBackupTtl ?? '720h',
      defaultLocation: opts.defaultBackupStorageLocation ?? 'default',
      pageSize: opts.clientPageSize ?? 500,
      enableApiGroupVersions,
      runs: backupRuns,
      ...(opts.itemBlockWorkerCount ? { itemBlockWorkers: opts.itemBlockWorkerCount } : {}),
      volumes: {
        defaultVolumesToFsBackup: opts.defaultVolumesToFsBackup ?? false,
        uploaderType: opts.uploaderType ?? 'kopia',
        fsBackupTimeout: opts.fsBackupTimeout,
      },
    }),
    restoreController({
      cluster,
      namespace,
      locations,
      clock,
      log,
      metrics,
      ...(opts.restoreResourcePriorities?.length
        ? { priorities: parseRestorePriorities(opts.restoreResourcePriorities.join(',')) }
        : {}),
      ...(opts.restoreBackendTimeout ? { backendTimeoutMs: parseDuration(opts.restoreBackendTimeout) } : {}),
      // Velero's --fs-backup-timeout bounds pod volume restores as well as backups.
      ...(opts.fsBackupTimeout ? { podVolumeTimeoutMs: parseDuration(opts.fsBackupTimeout) } : {}),
      enableApiGroupVersions,
    }),
    locationController({
      cluster,
      namespace,
      locations,
      clock,
      log,
      metrics,
      validationFrequency: opts.storeValidationFrequency ?? '1m',
    }),
    downloadRequestController({ cluster, namespace, locations, clock, log }),
    deleteBackupController({
      cluster,
      namespace,
      locations,
      clock,
      log,
      repositories: repositoryContext,
      metrics: {
        attempt: (schedule) => metrics.backupDeletionAttempted(schedule),
        success: (schedule) => metrics.backupDeletionFinished(schedule, true),
        failure: (schedule) => metrics.backupDeletionFinished(schedule, false),
      },
    }),
    gcController({
      cluster,
      namespace,
      locations,
      clock,
      log,
      frequencyMs: gcFrequencyMs(parseDuration(opts.garbageCollectionFrequency ?? '1h')),
    }),
    serverStatusController({ cluster, namespace, clock }),
    scheduleController({
      cluster,
      namespace,
      clock,
      log,
      metrics,
      skipImmediately: opts.scheduleSkipImmediately ?? false,
    }),
    backupSyncController({
      cluster,
      namespace,
      locations,
      clock,
      log,
      defaultSyncPeriod: opts.backupSyncPeriod ?? '1m',
      // Tenant locations are synced only where tenant seals can be checked.
      checkTenantBackup: tenantSyncCheck(cluster, namespace, opts.tenantOperations),
    }),
    backupRepositoryController({
      ...repositoryContext,
      clock,
      log,
      defaultMaintenanceFrequency: opts.defaultRepoMaintainFrequency,
    }),
    ...(await tenantExecutionControllers(
      { cluster, namespace, locations, clock, log, slots: opts.concurrentBackups, repositories: repositoryContext },
      opts.tenantOperations,
    )),
  ].filter((s) => !(opts.disableControllers ?? []).includes(s.name));
  readiness.leading(specs.map((s) => s.name));
  log.info({ namespace, controllers: specs.map((s) => s.name) }, 'skiff server started');
  onLeading();
  await Promise.all([
    countObjectsEvery(cluster, namespace, metrics, signal, log),
    runLocationApprovals(cluster, signal, log.child({ controller: 'tenant-location-approval' })),
    ...specs.map((s) =>
      new Controller(cluster, s, log.child({ controller: s.name })).run(signal, () => readiness.informerSynced(s.name)),
    ),
  ]);
}
