/** `skiff server`: runs the controllers (reference §10.2 for the flag names and defaults). */
import { Command } from '@commander-js/extra-typings';
import type { ServerOptions } from '../../server/options.ts';
import { runServer } from '../../server/server.ts';
import { CliContext } from '../context.ts';
import { throwIfProblems } from '../errors.ts';
import { disableControllersProblems } from '../../server/controller-names.ts';
import { parseDurationFlag, parseIntFlag, ProblemCollector, splitList } from '../flags.ts';

export interface ServerFlags {
  defaultBackupTtl?: string | undefined;
  defaultBackupStorageLocation?: string | undefined;
  credentialsFile?: string | undefined;
  restoreResourcePriorities?: string | undefined;
  clientPageSize?: string | undefined;
  storeValidationFrequency?: string | undefined;
  metricsAddress?: string | undefined;
  logLevel?: string | undefined;
  garbageCollectionFrequency?: string | undefined;
  disableControllers?: string | undefined;
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'warning', 'error', 'fatal'];

/** Flags → ServerOptions, checked: durations, numbers and the log level fail here, not later in the server. */
export function serverOptions(ctx: CliContext, flags: ServerFlags): ServerOptions {
  const p = new ProblemCollector();
  const ttl = p.attempt(() => parseDurationFlag(flags.defaultBackupTtl, '--default-backup-ttl'));
  p.attempt(() => parseDurationFlag(flags.storeValidationFrequency, '--store-validation-frequency'));
  const pageSize = p.attempt(() => parseIntFlag(flags.clientPageSize, '--client-page-size'));
  if (pageSize === 0) p.add('--client-page-size must be at least 1');
  const controllers = controllerOptions(p, flags);
  if (flags.logLevel && !LOG_LEVELS.includes(flags.logLevel)) {
    p.add(`--log-level "${flags.logLevel}" is not one of ${LOG_LEVELS.join(', ')}`);
  }
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
    ...(pageSize !== undefined ? { clientPageSize: pageSize } : {}),
    ...(flags.storeValidationFrequency ? { storeValidationFrequency: flags.storeValidationFrequency } : {}),
    ...(flags.metricsAddress !== undefined ? { metricsAddress: flags.metricsAddress } : {}),
    ...controllers,
    ...(flags.logLevel ? { logLevel: flags.logLevel === 'warning' ? 'warn' : flags.logLevel } : {}),
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

export function serverCommand() {
  return new Command('server')
    .description('Run the Skiff server: the controllers that carry out backups, deletions and downloads')
    .option('--default-backup-ttl <duration>', 'TTL of backups that set none', '720h')
    .option('--default-backup-storage-location <name>', 'location of backups that name none', 'default')
    .option('--credentials-file <file>', 'AWS credentials file for locations without spec.credential')
    .option('--restore-resource-priorities <list>', 'resources restored first, comma-separated')
    .option('--client-page-size <n>', 'page size of list calls to the API server', '500')
    .option('--store-validation-frequency <duration>', 'how often locations are validated', '1m')
    .option('--metrics-address <host:port>', 'address for /metrics and /healthz (empty disables)', ':8085')
    .option('--log-level <level>', 'trace, debug, info, warn or error', 'info')
    .option('--garbage-collection-frequency <duration>', 'how often expired backups are looked for (0 = 1h)', '1h')
    .option('--disable-controllers <names>', 'controllers not to run, comma-separated (e.g. gc,restore)')
    .addHelpText(
      'after',
      `
Examples:
  skiff server
  skiff server -n backups --default-backup-ttl 168h --metrics-address 127.0.0.1:8085 --log-level debug
  skiff server --garbage-collection-frequency 10m
  skiff server --disable-controllers gc,backup-deletion    # keep every backup, expired or not`,
    )
    .action(async (flags, cmd) => {
      await runServer(serverOptions(CliContext.fromCommand(cmd), flags));
    });
}
