import { createServer, type Server } from 'node:http';
import { installCrds } from '../api/index.ts';
import { backupController, failInterruptedBackups } from '../controllers/backup-controller.ts';
import { Controller, type ControllerSpec } from '../controllers/controller.ts';
import { deleteBackupController } from '../controllers/delete-backup-controller.ts';
import { gcFrequencyMs } from '../deletion/gc-decision.ts';
import { gcController } from '../controllers/gc-controller.ts';
import { downloadRequestController } from '../controllers/download-request-controller.ts';
import { locationController } from '../controllers/location-controller.ts';
import { LocationResolver } from '../controllers/locations.ts';
import { restoreController } from '../controllers/restore-controller.ts';
import { serverStatusController } from '../controllers/server-status-controller.ts';
import { Cluster } from '../kube/cluster.ts';
import { KubeClient } from '../kube/client.ts';
import { parseRestorePriorities } from '../restore/index.ts';
import { systemClock } from '../util/clock.ts';
import { parseDuration } from '../util/duration.ts';
import { createLogger } from '../util/log.ts';
import type { ServerOptions } from './options.ts';

const NAMESPACES = { group: '', version: 'v1', resource: 'namespaces' };

/**
 * `skiff server`: the controllers of one namespace against one cluster. Runs until
 * SIGTERM/SIGINT (or `signal`), then stops watching and returns.
 */
export async function runServer(opts: ServerOptions, signal?: AbortSignal): Promise<void> {
  const log = createLogger('skiff-server', opts.logLevel);
  const cluster = new Cluster(
    KubeClient.fromKubeconfig({
      ...(opts.kubeconfig ? { kubeconfig: opts.kubeconfig } : {}),
      ...(opts.kubecontext ? { context: opts.kubecontext } : {}),
    }),
  );
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  signal?.addEventListener('abort', onSignal);

  const crds = await installCrds(cluster);
  log.info({ changed: crds.filter((c) => c.action !== 'unchanged').map((c) => c.name) }, 'CRDs ensured');
  await cluster.discover(true);
  if (!(await cluster.find(NAMESPACES, opts.namespace))) {
    await cluster.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: opts.namespace } });
  }
  const clock = systemClock;
  const namespace = opts.namespace;
  const locations = new LocationResolver(cluster, namespace, opts.credentialsFile);
  const interrupted = await failInterruptedBackups({ cluster, namespace, log, clock });
  if (interrupted > 0) log.warn({ count: interrupted }, 'backups interrupted by a restart were marked Failed');

  const specs: ControllerSpec[] = [
    backupController({
      cluster,
      namespace,
      locations,
      clock,
      log,
      defaultTtl: opts.defaultBackupTtl ?? '720h',
      defaultLocation: opts.defaultBackupStorageLocation ?? 'default',
      pageSize: opts.clientPageSize ?? 500,
    }),
    restoreController({
      cluster,
      namespace,
      locations,
      clock,
      log,
      ...(opts.restoreResourcePriorities?.length
        ? { priorities: parseRestorePriorities(opts.restoreResourcePriorities.join(',')) }
        : {}),
    }),
    locationController({
      cluster,
      namespace,
      locations,
      clock,
      log,
      validationFrequency: opts.storeValidationFrequency ?? '1m',
    }),
    downloadRequestController({ cluster, namespace, locations, clock, log }),
    deleteBackupController({ cluster, namespace, locations, clock, log }),
    gcController({
      cluster,
      namespace,
      locations,
      clock,
      log,
      frequencyMs: gcFrequencyMs(parseDuration(opts.garbageCollectionFrequency ?? '1h')),
    }),
    serverStatusController({ cluster, namespace, clock }),
  ].filter((s) => !(opts.disableControllers ?? []).includes(s.name));
  const health = opts.metricsAddress ? serveHealth(opts.metricsAddress) : undefined;
  log.info({ namespace, controllers: specs.map((s) => s.name) }, 'skiff server started');
  try {
    await Promise.all(specs.map((s) => new Controller(cluster, s, log.child({ controller: s.name })).run(stop.signal)));
  } finally {
    health?.close();
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    log.info('skiff server stopped');
  }
}

/** `/healthz` for liveness probes on the metrics address. */
function serveHealth(address: string): Server {
  const [host, port] = address.includes(':')
    ? [address.slice(0, address.lastIndexOf(':')), address.slice(address.lastIndexOf(':') + 1)]
    : ['127.0.0.1', address];
  const server = createServer((req, res) => {
    res.writeHead(req.url === '/healthz' ? 200 : 404, { 'content-type': 'text/plain' });
    res.end(req.url === '/healthz' ? 'ok\n' : 'not found\n');
  });
  server.listen(Number(port), host || '127.0.0.1');
  return server;
}
