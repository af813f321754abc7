/**
 * Velero's install flags that set a default of the server (reference §8.5: "server defaults
 * passed through") and `--plugins`. Each server default becomes the same `skiff server` flag on
 * the Deployment, checked here as the server would check it, so a typo fails before anything is
 * created. A Velero install script then runs unchanged with `skiff install`.
 */
import type { Command, OptionValues } from '@commander-js/extra-typings';
import { parseCountFlag, parseDurationFlag, parseOptionalBool, type ProblemCollector } from '../flags.ts';
import type { ServerFlags } from '../server/server.ts';

/** The server's own flags under the same names, plus Velero's install-only spellings. */
export type ServerDefaultFlags = Pick<
  ServerFlags,
  | 'defaultVolumesToFsBackup'
  | 'scheduleSkipImmediately'
  | 'garbageCollectionFrequency'
  | 'defaultRepoMaintainFrequency'
  | 'concurrentBackups'
  | 'itemBlockWorkerCount'
> & {
  /** Velero's install name of the server's `--fs-backup-timeout`. */
  podVolumeOperationTimeout?: string | undefined;
  plugins?: string | undefined;
};

type Check = 'bool' | 'duration' | 'count';

/** Install flag, its key, the `skiff server` flag it becomes, and how its value is checked. */
export const SERVER_DEFAULT_FLAGS: readonly {
  key: Exclude<keyof ServerDefaultFlags, 'plugins'>;
  flag: string;
  server: string;
  check: Check;
  help: string;
}[] = [
  {
    key: 'defaultVolumesToFsBackup',
    flag: '--default-volumes-to-fs-backup',
    server: '--default-volumes-to-fs-backup',
    check: 'bool',
    help: 'server default: back up every pod volume with the node agent unless a backup says otherwise',
  },
  {
    key: 'scheduleSkipImmediately',
    flag: '--schedule-skip-immediately',
    server: '--schedule-skip-immediately',
    check: 'bool',
    help: 'server default: schedules without spec.skipImmediately skip their first run',
  },
  {
    key: 'garbageCollectionFrequency',
    flag: '--garbage-collection-frequency',
    server: '--garbage-collection-frequency',
    check: 'duration',
    help: 'server: how often expired backups are looked for (default 1h)',
  },
  {
    key: 'defaultRepoMaintainFrequency',
    flag: '--default-repo-maintain-frequency',
    server: '--default-repo-maintain-frequency',
    check: 'duration',
    help: 'server default: how often backup repositories are maintained (1h kopia, 168h restic)',
  },
  {
    key: 'podVolumeOperationTimeout',
    flag: '--pod-volume-operation-timeout',
    server: '--fs-backup-timeout',
    check: 'duration',
    help: 'server: how long a backup waits for its pod volume backups (skiff server --fs-backup-timeout; default 240m)',
  },
  {
    key: 'concurrentBackups',
    flag: '--concurrent-backups',
    server: '--concurrent-backups',
    check: 'count',
    help: 'server: backups of disjoint namespaces that run at once (default 1)',
  },
  {
    key: 'itemBlockWorkerCount',
    flag: '--item-block-worker-count',
    server: '--item-block-worker-count',
    check: 'count',
    help: 'server: resource listings one backup runs at once (default 3)',
  },
];

/** The help of an install flag of the table above. */
function helpOf(flag: string): string {
  return SERVER_DEFAULT_FLAGS.find((f) => f.flag === flag)?.help ?? '';
}

/** Adds the flags to `skiff install` (spelt out, so that commander types each one). */
export function serverDefaultOptions<Args extends unknown[], Opts extends OptionValues>(cmd: Command<Args, Opts>) {
  return cmd
    .option('--default-volumes-to-fs-backup [bool]', helpOf('--default-volumes-to-fs-backup'))
    .option('--schedule-skip-immediately [bool]', helpOf('--schedule-skip-immediately'))
    .option('--garbage-collection-frequency <duration>', helpOf('--garbage-collection-frequency'))
    .option('--default-repo-maintain-frequency <duration>', helpOf('--default-repo-maintain-frequency'))
    .option('--pod-volume-operation-timeout <duration>', helpOf('--pod-volume-operation-timeout'))
    .option('--concurrent-backups <n>', helpOf('--concurrent-backups'))
    .option('--item-block-worker-count <n>', helpOf('--item-block-worker-count'))
    .option(
      '--plugins <images>',
      'Velero plugin images, comma-separated: the AWS and CSI ones are built into Skiff and need nothing; others are refused',
    );
}

/** The `skiff server` flags the given server defaults become, each value checked. */
export function serverDefaultArgs(flags: ServerDefaultFlags, p: ProblemCollector): string[] {
  const args: string[] = [];
  for (const { key, flag, server, check } of SERVER_DEFAULT_FLAGS) {
    const value = flags[key];
    if (value === undefined) continue;
    const checked = p.attempt(() => checkValue(check, value, flag));
    if (checked !== undefined) args.push(`${server}=${checked}`);
  }
  return args;
}

function checkValue(check: Check, value: string | boolean, flag: string): string | undefined {
  if (check === 'bool') return String(parseOptionalBool(value, flag));
  const text = String(value);
  if (check === 'duration') return parseDurationFlag(text, flag);
  return String(parseCountFlag(text, flag));
}

/**
 * Velero plugin images that Skiff has built in: the AWS object store and volume snapshotter
 * (Skiff's S3 store; it takes no native snapshots, see `--use-volume-snapshots`), and the CSI
 * plugin, part of Velero itself since 1.14.
 */
const BUILT_IN_PLUGINS = /(^|\/)velero-plugin-for-(aws|csi)(:[^/]*)?(@sha256:[0-9a-f]+)?$/;

/** `--plugins`: a note for each built-in one, a problem naming each other one. */
export function pluginNotes(plugins: string | undefined, p: ProblemCollector): string[] {
  const notes: string[] = [];
  for (const image of (plugins ?? '').split(',').map((i) => i.trim())) {
    if (image === '') continue;
    if (BUILT_IN_PLUGINS.test(image)) notes.push(`--plugins ${image}: built into Skiff, nothing to install`);
    else p.add(`--plugins ${image}: Skiff runs no plugins, and has no built-in counterpart of this one`);
  }
  return notes;
}
