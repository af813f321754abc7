/** `skiff server`: runs the controllers (reference §10.2 for the flag names and defaults). */
import { Command } from '@commander-js/extra-typings';
import type { ServerOptions } from '../../server/options.ts';
import { leaseTimingProblems } from '../../server/lease.ts';
import { LeadershipLostError, runServer } from '../../server/server.ts';
import { parseDuration } from '../../util/duration.ts';
import { CliContext } from '../context.ts';
import { throwIfProblems } from '../errors.ts';
import {
  parseCountFlag,
  parseDurationFlag,
  parseIntFlag,
  parseLogLevel,
  parseOptionalBool,
  ProblemCollector,
  splitList,
} from '../flags.ts';
import { disableControllersProblems } from '../../server/controller-names.ts';
import { featureProblems } from '../../server/features.ts';
import { fsBackupServerOptions, type FsBackupServerFlags } from './volume-flags.ts';
import { volumeServerOptions } from '../../volumes/server-flags.ts';

export interface ServerFlags extends FsBackupServerFlags {
  defaultBackupTtl?: string | undefined;
  defaultBackupStorageLocation?: string | undefined;
  credentialsFile?: string | undefined;
  restoreResourcePriorities?: string | undefined;
  restoreBackendTimeout?: string | undefined;
  clientPageSize?: string | undefined;
  storeValidationFrequency?: string | undefined;
  backupSyncPeriod?: string | undefined;
  metricsAddress?: string | undefined;
  logLevel?: string | undefined;
  scheduleSkipImmediately?: string | boolean | undefined;
  leaderElect?: string | boolean | undefined;
  leaderElectLeaseDuration?: string | undefined;
  leaderElectRenewDeadline?: string | undefined;
  leaderElectRetryPeriod?: string | undefined;
  leaderElectResourceName?: string | undefined;
  garbageCollectionFrequency?: string | undefined;
  disableControllers?: string | undefined;
  features?: string | undefined;
  concurrentBackups?: string | undefined;
  itemBlockWorkerCount?: string | undefined;
  uploaderType?: string | undefined;
  defaultRepoMaintainFrequency?: string | undefined;
  tenantOperations?: string | boolean | undefined;
  viewApiBindAddress?: string | undefined;
  viewApiCert?: string | undefined;
  viewApiKey?: string | undefined;
}

/** Flags → ServerOptions, checked: durations, numbers and the log level fail here, not later in the server. */
export function serverOptions(ctx: CliContext, flags: ServerFlags): ServerOptions {
  const p = new ProblemCollector();
  const ttl = p.attempt(() => parseDurationFlag(flags.defaultBackupTtl, '--default-backup-ttl'));
  p.attempt(() => parseDurationFlag(flags.storeValidationFrequency, '--store-validation-frequency'));
  p.attempt(() => parseDurationFlag(flags.backupSyncPeriod, '--backup-sync-period'));
  const backendTimeout = p.attempt(() => parseDurationFlag(flags.restoreBackendTimeout, '--restore-backend-timeout'));
  // 0 lists without paging, as in Velero (where it is the default).
  const pageSize = p.attempt(() => parseIntFlag(flags.clientPageSize, '--client-page-size'));
  const controllers = controllerOptions(p, flags);
  const concurrency = concurrencyOptions(p, flags);
  const logLevel = p.attempt(() => parseLogLevel(flags.logLevel));
  const skipImmediately = p.attempt(() =>
    parseOptionalBool(flags.scheduleSkipImmediately, '--schedule-skip-immediately'),
  );
  const tenantOperations = p.attempt(() => parseOptionalBool(flags.tenantOperations ?? true, '--tenant-operations'));
  const view = viewApiOptions(p, flags);
  const election = leaderElectionOptions(p, flags);
  const features = featureOptions(p, flags);
  const fsBackup = fsBackupServerOptions(p, flags);
  const volumes = volumeServerOptions(flags);
  for (const problem of volumes.problems) p.add(problem);
  throwIfProblems(p.problems);
  const priorities = splitList(
    flags.restoreResourcePriorities === undefined ? undefined : [flags.restoreResourcePriorities],
  );
  return {
    namespace: ctx.namespace,
    ...(ctx.flags.kubeconfig ? { kubeconfig: ctx.flags.kubeconfig } : {}),
    ...(ctx.flags.kubecontext ? { kubecontext: ctx.flags.kubecontext } : {}),
    ...(ttl !== undefined ? { defaultBackupTtl: ttl } : {}),
    ...(flags.defaultBackupStorageLocation ? { defaultBackupStorageLocation: flags.defaultBackupStorageLocation } : {}),
    ...(flags.credentialsFile ? { credentialsFile: flags.credentialsFile } : {}),
    ...(priorities ? { restoreResourcePriorities: priorities } : {}),
    ...(backendTimeout !== undefined ? { restoreBackendTimeout: backendTimeout } : {}),
    ...(pageSize !== undefined ? { clientPageSize: pageSize } : {}),
    ...(flags.storeValidationFrequency ? { storeValidationFrequency: flags.storeValidationFrequency } : {}),
    ...(flags.backupSyncPeriod ? { backupSyncPeriod: flags.backupSyncPeriod } : {}),
    ...(flags.metricsAddress !== undefined ? { metricsAddress: flags.metricsAddress } : {}),
    ...(skipImmediately !== undefined ? { scheduleSkipImmediately: skipImmediately } : {}),
    // On unless --tenant-operations=false (the flag's default is true).
    tenantOperations: tenantOperations !== false,
    ...controllers,
    ...concurrency,
    ...view,
    ...(logLevel ? { logLevel } : {}),
    ...election,
    ...features,
    ...fsBackup,
    ...volumes.options,
  };
}

/** `--view-api-*`: the certificate needs its key, and both need an address to serve on. */
function viewApiOptions(
  p: ProblemCollector,
  flags: ServerFlags,
): Pick<ServerOptions, 'viewApiBindAddress' | 'viewApiCert' | 'viewApiKey'> {
  if (!flags.viewApiCert !== !flags.viewApiKey) p.add('--view-api-cert and --view-api-key go together');
  if ((flags.viewApiCert || flags.viewApiKey) && !flags.viewApiBindAddress) {
    p.add('--view-api-cert and --view-api-key need --view-api-bind-address (the view API is off without it)');
  }
  const address = flags.viewApiBindAddress;
  if (address !== undefined && !/^(\[[0-9a-fA-F:.]+\]|[^:]*):\d{1,5}$/.test(address)) {
    p.add(`--view-api-bind-address "${address}" is not host:port (e.g. :8443 or 10.0.0.5:8443)`);
  }
  return {
    ...(address ? { viewApiBindAddress: address } : {}),
    ...(flags.viewApiCert ? { viewApiCert: flags.viewApiCert } : {}),
    ...(flags.viewApiKey ? { viewApiKey: flags.viewApiKey } : {}),
  };
}

/** `--features`: each name checked (src/server/features.ts). */
function featureOptions(p: ProblemCollector, flags: ServerFlags): Pick<ServerOptions, 'features'> {
  const features = splitList(flags.features === undefined ? undefined : [flags.features]);
  for (const problem of featureProblems(features ?? [])) p.add(problem);
  return features?.length ? { features } : {};
}

type LeaderElectionOptions = Pick<
  ServerOptions,
  | 'leaderElect'
  | 'leaderElectLeaseDuration'
  | 'leaderElectRenewDeadline'
  | 'leaderElectRetryPeriod'
  | 'leaderElectResourceName'
>;

/** The `--leader-elect*` flags (Kubernetes' names), with the timings checked against each other. */
function leaderElectionOptions(p: ProblemCollector, flags: ServerFlags): LeaderElectionOptions {
  const leaderElect = p.attempt(() => parseOptionalBool(flags.leaderElect, '--leader-elect'));
  const lease = p.attempt(() => ({
    leaseDuration: parseDurationFlag(flags.leaderElectLeaseDuration, '--leader-elect-lease-duration'),
    renewDeadline: parseDurationFlag(flags.leaderElectRenewDeadline, '--leader-elect-renew-deadline'),
    retryPeriod: parseDurationFlag(flags.leaderElectRetryPeriod, '--leader-elect-retry-period'),
  }));
  if (!lease) return {};
  if (leaderElect !== false) {
    const timings = {
      leaseDurationMs: parseDuration(lease.leaseDuration ?? '15s'),
      renewDeadlineMs: parseDuration(lease.renewDeadline ?? '10s'),
      retryPeriodMs: parseDuration(lease.retryPeriod ?? '2s'),
    };
    for (const problem of leaseTimingProblems(timings)) p.add(problem);
  }
  return {
    ...(leaderElect !== undefined ? { leaderElect } : {}),
    ...(lease.leaseDuration ? { leaderElectLeaseDuration: lease.leaseDuration } : {}),
    ...(lease.renewDeadline ? { leaderElectRenewDeadline: lease.renewDeadline } : {}),
    ...(lease.retryPeriod ? { leaderElectRetryPeriod: lease.retryPeriod } : {}),
    ...(flags.leaderElectResourceName ? { leaderElectResourceName: flags.leaderElectResourceName } : {}),
  };
}

/** The flags that choose which controllers run and how often garbage collection looks. */
function controllerOptions(
  p: ProblemCollector,
  flags: ServerFlags,
): Pick<ServerOptions, 'garbageCollectionFrequency' | 'disableControllers'> {
  const gcFrequency = p.attempt(() =>
    parseDurationFlag(flags.garbageCollectionFrequency, '--garbage-collection-frequency'),
  );
  const disabled = splitList(flags.disableControllers === undefined ? undefined : [flags.disableControllers]);
  for (const problem of disableControllersProblems(disabled ?? [])) p.add(problem);
  return {
    ...(gcFrequency !== undefined ? { garbageCollectionFrequency: gcFrequency } : {}),
    ...(disabled?.length ? { disableControllers: disabled } : {}),
  };
}

/** `--concurrent-backups` and `--item-block-worker-count` (reference §3.4, §10.2): whole numbers from 1. */
function concurrencyOptions(
  p: ProblemCollector,
  flags: ServerFlags,
): Pick<ServerOptions, 'concurrentBackups' | 'itemBlockWorkerCount'> {
  const concurrentBackups = p.attempt(() => parseCountFlag(flags.concurrentBackups, '--concurrent-backups'));
  const itemBlockWorkerCount = p.attempt(() => parseCountFlag(flags.itemBlockWorkerCount, '--item-block-worker-count'));
  return {
    ...(concurrentBackups !== undefined ? { concurrentBackups } : {}),
    ...(itemBlockWorkerCount !== undefined ? { itemBlockWorkerCount } : {}),
  };
}

export function serverCommand() {
  return new Command('server')
    .description('Run the Skiff server: the controllers that carry out backups, deletions and downloads')
    .option('--default-backup-ttl <duration>', 'TTL of backups that set none', '720h')
    .option('--default-backup-storage-location <name>', 'location of backups that name none', 'default')
    .option(
      '--credentials-file <file>',
      'AWS credentials file for locations without spec.credential or spec.config.credentialProcess (without it: the AWS default chain)',
    )
    .option('--restore-resource-priorities <list>', 'resources restored first, comma-separated')
    .option(
      '--restore-backend-timeout <duration>',
      'how long, in all, a restore waits for the Services of its webhooks and APIServices to have a ready endpoint',
      '1m',
    )
    .option(
      '--client-page-size <n>',
      'page size of list calls to the API server; 0 lists each type in one answer, held in memory whole',
      '500',
    )
    .option('--store-validation-frequency <duration>', 'how often locations are validated', '1m')
    .option('--backup-sync-period <duration>', 'how often backups in each location are synced (0 disables)', '1m')
    .option('--schedule-skip-immediately [bool]', 'schedules without spec.skipImmediately skip their first run')
    .option('--metrics-address <host:port>', 'address for /metrics, /healthz and /readyz (empty disables)', ':8085')
    .option('--log-level <level>', 'trace, debug, info, warn (or warning), error, fatal (or panic)', 'info')
    .option('--leader-elect [bool]', 'run the controllers only while holding the Lease (false: single server)', 'true')
    .option(
      '--leader-elect-lease-duration <duration>',
      'how long a standby waits before taking an unrenewed lease',
      '15s',
    )
    .option('--leader-elect-renew-deadline <duration>', 'how long the leader retries renewing before it exits', '10s')
    .option('--leader-elect-retry-period <duration>', 'how often candidates try to acquire or renew', '2s')
    .option('--leader-elect-resource-name <name>', 'name of the Lease in the server namespace', 'skiff-server')
    .option('--garbage-collection-frequency <duration>', 'how often expired backups are looked for (0 = 1h)', '1h')
    .option(
      '--disable-controllers <names>',
      'controllers not to run, comma-separated (e.g. gc,restore); backup-operations and backup-finalizer only with backup, restore-operations and restore-finalizer only with restore (their work runs inside those)',
    )
    .option('--features <list>', 'server features, comma-separated (EnableAPIGroupVersions)')
    .option('--concurrent-backups <n>', 'backups of disjoint namespaces that run at once; the others queue', '1')
    .option(
      '--item-block-worker-count <n>',
      'resource listings (one type in one namespace, with the items they pull in) one backup runs at once (default: 3)',
    )
    .option(
      '--default-volumes-to-fs-backup [bool]',
      'back up every pod volume from the file system unless a backup says otherwise',
      'false',
    )
    .option('--fs-backup-timeout <duration>', 'how long a backup waits for its pod volume backups', '240m')
    .option('--uploader-type <type>', 'uploader of new file-system backups: kopia or restic', 'kopia')
    .option(
      '--default-repo-maintain-frequency <duration>',
      'how often repositories are maintained, for every repository (default: 1h kopia, 168h restic)',
    )
    .option(
      '--tenant-operations [bool]',
      'run the TenantBackups and TenantRestores of every namespace (one server per cluster)',
      'true',
    )
    .option(
      '--view-api-bind-address <host:port>',
      'serve the view.skiff.dev aggregated API (tenants read their logs and details through the API server), e.g. :8443',
    )
    .option(
      '--view-api-cert <file>',
      'PEM serving certificate of the view API (default: a self-signed one, kept in the Secret skiff-view-api-tls)',
    )
    .option('--view-api-key <file>', 'PEM key of --view-api-cert')
    .addHelpText(
      'after',
      `
Examples:
  skiff server
  skiff server --view-api-bind-address :8443                # tenants' logs through the API server (skiff install --view-api)
  skiff server -n team-tools --tenant-operations=false   # a second server; tenants are served by the first
  skiff server --default-volumes-to-fs-backup --fs-backup-timeout 6h   # opt-out FSB by default
  skiff server --uploader-type restic --default-repo-maintain-frequency 24h
  skiff server -n backups --default-backup-ttl 168h --metrics-address 127.0.0.1:8085 --log-level debug
  skiff server --backup-sync-period 5m
  skiff server --restore-backend-timeout 3m               # slow-starting webhook backends
  skiff server --leader-elect=false                       # one server only: no Lease
  skiff server --leader-elect-lease-duration 30s --leader-elect-renew-deadline 20s
  skiff server --garbage-collection-frequency 10m
  skiff server --disable-controllers gc,backup-deletion    # keep every backup, expired or not
  skiff server --features EnableAPIGroupVersions           # back up every API version; restore picks one
  skiff server --concurrent-backups 4 --item-block-worker-count 2

Two or more servers against one cluster and namespace elect a leader through the Lease
skiff-server (coordination.k8s.io/v1): only the leader runs backups and restores; the others
stand by and take over within the lease duration when it dies. A leader that loses the lease
exits with status 1 so that its supervisor restarts it as a standby.

Backups whose namespaces do not overlap run at once, up to --concurrent-backups; the others
wait in phase Queued with status.queuePosition (shown by 'skiff backup get'), oldest first,
then go ReadyToStart and InProgress. A backup of every namespace, or one that names
cluster-scoped resources, overlaps every other. Restores into disjoint namespaces run at once;
a restore into a namespace another restore is writing stays New with a queue position until
that one is done.`,
    )
    .action(async (flags, cmd) => {
      try {
        await runServer(serverOptions(CliContext.fromCommand(cmd), flags));
      } catch (err) {
        if (!(err instanceof LeadershipLostError)) throw err;
        // As client-go's callers do: work in flight cannot be stopped safely, so the process ends
        // at once and its supervisor (the Deployment, or bin/skiff.mjs's parent) restarts it.
        console.error(`Error: ${err.message}`);
        process.exit(1);
      }
    });
}
